// NCCO (Call Control Object) types and the builders for the actions this server answers with.

export interface PhoneEndpoint {
  type: 'phone';
  /** E.164 digits, no "+" (the NCCO schema's pattern). */
  number: string;
  /** Fetched by Vonage when the callee answers; its NCCO is played to the callee only. */
  onAnswer?: { url: string };
}

export interface ConnectAction {
  action: 'connect';
  from?: string;
  endpoint: PhoneEndpoint[];
  /** Seconds the endpoint rings before the leg ends with `timeout` (Vonage's default: 60). */
  timeout?: number;
  /** Vonage then asks eventUrl what to do when the leg fails, and follows the NCCO it answers. */
  eventType?: 'synchronous';
  eventUrl?: string[];
  eventMethod?: 'POST' | 'GET';
}

export interface TalkAction {
  action: 'talk';
  text: string;
}

/** Vonage's record action; only the options this server uses. */
export interface RecordAction {
  action: 'record';
  format: 'mp3';
  /** Stereo: the caller on one channel, what the caller heard on the other. */
  split?: 'conversation';
  channels?: number;
  /** Seconds of silence that end a message (3–10). */
  endOnSilence?: number;
  endOnKey?: '#';
  /** The longest recording, in seconds. */
  timeOut?: number;
  beepStart?: boolean;
  eventUrl: string[];
  eventMethod: 'POST';
  /** Not in the published schema, which allows extra properties; Vonage's record reference has it. */
  transcription?: { language: string; eventUrl: string[]; eventMethod: 'POST' };
}

export type NccoAction = ConnectAction | TalkAction | RecordAction;
export type Ncco = NccoAction[];

export interface ConnectOptions {
  /** The number shown to the callee: the tracking number, so they know a tracked call is coming. */
  callerIdNumber: string | null;
  forwardTo: string;
  whisperUrl?: string;
  eventUrl?: string;
  ringSeconds?: number;
  /** Fail-over: the event URL's answer to a failed leg replaces the rest of the NCCO. */
  synchronous?: boolean;
}

export function connectNcco(options: ConnectOptions): Ncco {
  const endpoint: PhoneEndpoint = { type: 'phone', number: options.forwardTo };
  if (options.whisperUrl) endpoint.onAnswer = { url: options.whisperUrl };
  const connect: ConnectAction = { action: 'connect', endpoint: [endpoint] };
  if (options.callerIdNumber) connect.from = options.callerIdNumber;
  if (options.ringSeconds !== undefined) connect.timeout = options.ringSeconds;
  if (options.synchronous) connect.eventType = 'synchronous';
  if (options.eventUrl) {
    connect.eventUrl = [options.eventUrl];
    connect.eventMethod = 'POST';
  }
  return [connect];
}

export function talkNcco(text: string): Ncco {
  return [{ action: 'talk', text }];
}

export interface RecordOptions {
  /** Where Vonage posts the recording webhook. */
  eventUrl: string;
  /** Where Vonage posts the transcription; null: not transcribed. */
  transcription: { language: string; eventUrl: string } | null;
}

function withTranscription(action: RecordAction, options: RecordOptions): RecordAction {
  if (options.transcription === null) return action;
  const { language, eventUrl } = options.transcription;
  return { ...action, transcription: { language, eventUrl: [eventUrl], eventMethod: 'POST' } };
}

/**
 * Vonage's recorded proxy call: the record action runs on (no end condition) while the connect
 * that follows it bridges the caller, so the whole conversation is recorded in stereo.
 */
export function recordConversationAction(options: RecordOptions): RecordAction {
  return withTranscription(
    { action: 'record', format: 'mp3', split: 'conversation', channels: 2, eventUrl: [options.eventUrl], eventMethod: 'POST' },
    options,
  );
}

/** Longest voicemail, in seconds. */
export const VOICEMAIL_MAX_SECONDS = 180;
/** Silence that ends a voicemail, in seconds. */
const VOICEMAIL_END_ON_SILENCE_SECONDS = 5;

/** A message after the beep: ends on silence, on `#`, or after VOICEMAIL_MAX_SECONDS. */
export function voicemailNcco(greeting: string, options: RecordOptions): Ncco {
  return [
    { action: 'talk', text: greeting },
    withTranscription({
      action: 'record', format: 'mp3', endOnSilence: VOICEMAIL_END_ON_SILENCE_SECONDS, endOnKey: '#',
      timeOut: VOICEMAIL_MAX_SECONDS, beepStart: true, eventUrl: [options.eventUrl], eventMethod: 'POST',
    }, options),
  ];
}
