// The domain's records: an inbound call to a tracking number, the events Vonage reports about
// its legs, and the lifecycle derived from them.

import type { CallAttribution } from './attribution/call-attribution.js';

/** `blocked`: the caller was on a block list and never connected; neither answered nor missed. */
export const CALL_OUTCOMES = ['in_progress', 'answered', 'missed', 'blocked'] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

/** What the answer webhook learns: who called which number, and where the call was sent. */
export interface InboundCall {
  /** The inbound leg's uuid: the call's key, so a retried webhook records it once. */
  uuid: string;
  conversationUuid: string | null;
  /** The Vonage number that was dialled; null only when Vonage's `to` was missing. */
  trackingNumber: string | null;
  /** E.164 digits, or null when the caller ID was withheld or malformed. */
  caller: string | null;
  /** The number's campaign when the call came in; later reassignment never rewrites it. */
  campaign: string | null;
  /** The first destination rung; for a blocked or closed call, where it would have gone. */
  forwardTo: string;
  startedAt: Date;
  /** The caller was on a block list: the call was ended, never connected. Absent: false. */
  blocked?: boolean;
  /**
   * The tracking number was one of a number pool's (dynamic number insertion): the store credits
   * the call to the website visit holding it. Absent: false, and no visit is looked up.
   */
  pooled?: boolean;
}

/** One destination the call rang, from the events of the leg `connect` created for it. */
export interface CallAttempt {
  /** The number rung (the leg's `to`); null when Vonage's events did not say. */
  destination: string | null;
  /** The leg's last status, e.g. answered, completed, busy, timeout. */
  status: string | null;
  answered: boolean;
}

/** How the call went, derived from its events; see lifecycle.ts. */
export interface CallLifecycle {
  outcome: CallOutcome;
  answeredAt: Date | null;
  endedAt: Date | null;
  /** Talk time on the forwarded leg; 0 when missed, null while unknown (and for blocked calls). */
  durationSeconds: number | null;
  inboundStatus: string | null;
  forwardedStatus: string | null;
  /** The destinations rung, in the order they were rung (absent on records imported without them). */
  attempts?: CallAttempt[];
  /** The destination that answered: the first attempt that did (absent: as null). */
  answeredBy?: string | null;
}

/**
 * A stored call. `attribution`: the website visit it is credited to (call-attribution.ts),
 * settled when the call was stored; null (or absent) when none is.
 */
export type CallRecord = InboundCall & CallLifecycle & { attribution?: CallAttribution | null };

/** One status report from Vonage's event webhook, about one leg. */
export interface CallEvent {
  legUuid: string;
  conversationUuid: string | null;
  status: string;
  /** Vonage's own timestamp of the event (receipt time when Vonage sent none). */
  occurredAt: Date;
  direction: 'inbound' | 'outbound' | null;
  /** Only on `completed`: seconds the leg was up. */
  durationSeconds: number | null;
  /** The number the leg called: for a forwarded leg, the destination it rang. Absent: unknown. */
  to?: string | null;
}

export const IN_PROGRESS: CallLifecycle = Object.freeze({
  outcome: 'in_progress',
  answeredAt: null,
  endedAt: null,
  durationSeconds: null,
  inboundStatus: null,
  forwardedStatus: null,
  attempts: [],
  answeredBy: null,
});
