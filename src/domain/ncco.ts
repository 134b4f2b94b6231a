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

export type NccoAction = ConnectAction | TalkAction;
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
