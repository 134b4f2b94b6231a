// A tracking number's route, and the one decision every routing rule lives in: given the route,
// the caller, the time and the attempts so far, which NCCO the call gets next. Pure: no clock,
// no store, no settings read here, so that it can be property-tested (test/route-decision.test.ts).

import { emptyBlockList, isBlockedBy, type BlockList } from './block-list.js';
import { connectNcco, recordConversationAction, talkNcco, voicemailNcco, type Ncco, type RecordOptions } from './ncco.js';
import { recordingEventUrl, transcriptionEventUrl, type RecordingKind } from './recording-urls.js';
import { isOpenAt, type Schedule, type TimeSpan } from './opening-hours.js';
import { legEventUrl, type RouteProgress } from './route-progress.js';
import type { Weekday } from './time-zone.js';
import type { CallbackMac } from '../security/callback-mac.js';

export interface Destination {
  /** E.164 digits. */
  number: string;
  /** How long this phone rings before the next one is tried; null: as long as Vonage rings (60 s). */
  ringSeconds: number | null;
}

/**
 * What a caller gets when the number is closed, or when every destination failed: a message, a
 * forward, or a voicemail after the greeting and a beep.
 */
export type ClosedAction =
  | { type: 'message'; text: string }
  | { type: 'forward'; number: string }
  | { type: 'voicemail'; greeting: string };

/** Spoken before a recorded call is connected, unless the number has a notice of its own. */
export const DEFAULT_CONSENT_NOTICE = 'This call may be recorded for quality and training purposes.';
/** Spoken before the beep of a voicemail, unless the number has a greeting of its own. */
export const DEFAULT_VOICEMAIL_GREETING = 'Sorry, nobody can take your call right now. Please leave a message after the beep, and press hash when you are done.';

/** Call recording, voicemail and transcription as set through the numbers API (each null: off). */
export interface RecordingSettings {
  /** Null: DEFAULT_CONSENT_NOTICE. */
  record: { notice: string | null } | null;
  /** Null: DEFAULT_VOICEMAIL_GREETING. */
  voicemail: { greeting: string | null } | null;
  /** BCP-47 language of the recordings, e.g. en-GB. */
  transcription: { language: string } | null;
}

export type RouteStrategy = 'in_order' | 'round_robin';

/** A route as set through the numbers API; every field has a default that keeps plain forwarding. */
export interface RouteSettings {
  /** Null: the TIMEZONE setting. */
  timeZone: string | null;
  /** Null: open around the clock. */
  hours: Partial<Record<Weekday, TimeSpan[]>> | null;
  closedDates: string[];
  /** Null: the number's forwardTo, else PROXY_TO_NUMBER. */
  destinations: Destination[] | null;
  /** in_order always starts with the first destination; round_robin starts one further each call. */
  strategy: RouteStrategy;
  /** Null: when closed, CLOSED_MESSAGE is spoken; when every destination failed, the call ends. */
  closedAction: ClosedAction | null;
  /** This number's own block list, on top of the global one. */
  blockList: BlockList;
  /** Null (or left out, as in routes saved before recording): off. */
  record?: RecordingSettings['record'];
  voicemail?: RecordingSettings['voicemail'];
  transcription?: RecordingSettings['transcription'];
}

/** A route with every default filled in: what the decision works from. */
export interface Route {
  schedule: Schedule;
  /** Never empty. */
  destinations: Destination[];
  strategy: RouteStrategy;
  /** A number with voicemail on and no closed action of its own takes a voicemail. */
  closedAction: ClosedAction | null;
  blockList: BlockList;
  /** The notice spoken before a recorded call is connected; null: calls are not recorded. */
  consentNotice: string | null;
  /** Null: recordings are not transcribed. */
  transcriptionLanguage: string | null;
}

/**
 * What a blocked caller hears before the call ends. Vonage has no hangup or reject action, and an
 * NCCO must hold at least one action (its schema's minItems), so the cheapest documented way to
 * end a call is the shortest speech: the inbound leg is answered and billed from the moment
 * Vonage asks for the NCCO whatever it holds, and the call ends as soon as this word is spoken.
 */
export const BLOCKED_CALL_TEXT = 'Goodbye.';

/** Spoken when the number is closed and no closed action is set. */
export const CLOSED_MESSAGE = 'Sorry, nobody can take your call at the moment. Please call again during opening hours.';

export interface RouteDefaults {
  /** The TIMEZONE setting. */
  timeZone: string;
  /** The number's forwardTo, else PROXY_TO_NUMBER. */
  forwardTo: string;
}

function closedActionOf(settings: RouteSettings | null): ClosedAction | null {
  if (settings?.closedAction) return settings.closedAction;
  if (settings?.voicemail) return { type: 'voicemail', greeting: settings.voicemail.greeting ?? DEFAULT_VOICEMAIL_GREETING };
  return null;
}

export function resolveRoute(settings: RouteSettings | null, defaults: RouteDefaults): Route {
  return {
    schedule: {
      timeZone: settings?.timeZone ?? defaults.timeZone,
      hours: settings?.hours ?? null,
      closedDates: settings?.closedDates ?? [],
    },
    destinations: settings?.destinations ?? [{ number: defaults.forwardTo, ringSeconds: null }],
    strategy: settings?.strategy ?? 'in_order',
    closedAction: closedActionOf(settings),
    blockList: settings?.blockList ?? emptyBlockList(),
    consentNotice: settings?.record ? (settings.record.notice ?? DEFAULT_CONSENT_NOTICE) : null,
    transcriptionLanguage: settings?.transcription?.language ?? null,
  };
}

/** The call has just come in: its caller, and its round-robin turn (0 for in_order routes). */
export interface AnswerStage {
  kind: 'answer';
  caller: string | null;
  turn: number;
}

/** Where the call stands: just answered, or a destination's leg has just failed. */
export type RouteStage = AnswerStage | { kind: 'failover'; progress: RouteProgress };

export interface RouteInput<Stage extends RouteStage = RouteStage> {
  route: Route;
  globalBlockList: BlockList;
  /** Shown to each destination as caller ID; null when Vonage sent no `to`. */
  trackingNumber: string | null;
  /** PUBLIC_URL; without it no leg can report back, so there is no fail-over. */
  publicUrl: string | null;
  /** Signs the progress in each leg's event URL. */
  callbackMac: CallbackMac;
  /** The whisper played to whoever answers, when the number has one. */
  whisperUrl: string | undefined;
  now: Date;
  stage: Stage;
}

export type RouteDecision =
  | { kind: 'blocked'; ncco: Ncco }
  | { kind: 'connect'; destination: string; ncco: Ncco }
  | { kind: 'closed'; ncco: Ncco }
  /** The caller hears the greeting and the beep; what they say arrives as a voicemail recording. */
  | { kind: 'voicemail'; ncco: Ncco }
  /** After a failed leg with nothing left to try and no closed action: the call ends as it does today. */
  | { kind: 'end' };

/** The destinations in the order this call tries them: rotated by `turn` for round robin. */
function destinationOrder(route: Route, turn: number): Destination[] {
  const count = route.destinations.length;
  const start = route.strategy === 'round_robin' ? ((turn % count) + count) % count : 0;
  return [...route.destinations.slice(start), ...route.destinations.slice(0, start)];
}

/** At the answer there is always a first destination, so the call never simply ends there. */
export function decideRoute(input: RouteInput<AnswerStage>): Exclude<RouteDecision, { kind: 'end' }>;
export function decideRoute(input: RouteInput): RouteDecision;
export function decideRoute(input: RouteInput): RouteDecision {
  const { route, stage } = input;
  if (stage.kind === 'answer' && (isBlockedBy(input.globalBlockList, stage.caller) || isBlockedBy(route.blockList, stage.caller))) {
    return { kind: 'blocked', ncco: talkNcco(BLOCKED_CALL_TEXT) };
  }
  if (!isOpenAt(route.schedule, input.now)) return closed(input);

  const turn = stage.kind === 'answer' ? stage.turn : stage.progress.turn;
  const tried = stage.kind === 'answer' ? 0 : stage.progress.tried;
  const order = destinationOrder(route, turn);
  const next = order[tried];
  if (next === undefined) return route.closedAction ? closed(input) : { kind: 'end' };

  // Only a leg that reports back synchronously can be followed by another step; without
  // PUBLIC_URL, or with nothing after this leg, the connect is exactly the plain forwarding one.
  const hasNextStep = tried + 1 < order.length || route.closedAction !== null;
  const failover = hasNextStep && input.publicUrl !== null;
  const progress = failover ? { trackingNumber: input.trackingNumber, turn, tried: tried + 1 } : null;
  const connect = connectNcco({
    callerIdNumber: input.trackingNumber,
    forwardTo: next.number,
    whisperUrl: input.whisperUrl,
    ringSeconds: next.ringSeconds ?? undefined,
    eventUrl: input.publicUrl === null ? undefined : legEventUrl(input.publicUrl, progress, input.callbackMac),
    synchronous: failover,
  });
  // The recording starts with the call's first connect and runs on through any fail-over, so
  // only the answer's NCCO carries the notice and the record action.
  const notice = stage.kind === 'answer' ? route.consentNotice : null;
  const recording = notice === null ? null : recordingOf(input, 'call');
  const ncco: Ncco = notice !== null && recording !== null
    ? [...talkNcco(notice), recordConversationAction(recording), ...connect]
    : connect;
  return { kind: 'connect', destination: next.number, ncco };
}

/** Where a record action reports; null without PUBLIC_URL, when nothing could be recorded. */
function recordingOf(input: RouteInput, kind: RecordingKind): RecordOptions | null {
  const { publicUrl } = input;
  if (publicUrl === null) return null;
  const language = input.route.transcriptionLanguage;
  return {
    eventUrl: recordingEventUrl(publicUrl, kind),
    transcription: language === null ? null : { language, eventUrl: transcriptionEventUrl(publicUrl) },
  };
}

function closed(input: RouteInput): RouteDecision {
  const action = input.route.closedAction;
  if (action === null) return { kind: 'closed', ncco: talkNcco(CLOSED_MESSAGE) };
  switch (action.type) {
    case 'message':
      return { kind: 'closed', ncco: talkNcco(action.text) };
    case 'forward':
      return {
        kind: 'closed',
        ncco: connectNcco({
          callerIdNumber: input.trackingNumber,
          forwardTo: action.number,
          whisperUrl: input.whisperUrl,
          eventUrl: input.publicUrl === null ? undefined : legEventUrl(input.publicUrl, null, input.callbackMac),
        }),
      };
    case 'voicemail': {
      // Without PUBLIC_URL a message could be left but never reach us: the greeting would lie.
      const recording = recordingOf(input, 'voicemail');
      if (recording === null) return { kind: 'closed', ncco: talkNcco(CLOSED_MESSAGE) };
      return { kind: 'voicemail', ncco: voicemailNcco(action.greeting, recording) };
    }
  }
}
