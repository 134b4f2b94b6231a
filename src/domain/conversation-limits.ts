// How much of one conversation the stores accept. Every event re-derives the lifecycle of the
// calls of its conversation from the events of that conversation, so without a bound a forged
// flood of answer and event webhooks sharing one conversation_uuid makes each new event cost more
// than the last, on the thread that answers every caller. A real conversation has a handful of
// legs: the inbound call, the forwarded leg, a few fail-over destinations and a voicemail, each
// reporting each of Vonage's thirteen statuses at most once (a retry repeats one, which the
// stores keep once). The bounds below are several times that; what exceeds them is ignored and
// logged, so the cost of one webhook stays the same however many came before it.

import type { Logger } from '../logger.js';

/** Inbound legs (answer webhooks) recorded as calls per conversation; real ones have one. */
export const MAX_CALLS_PER_CONVERSATION = 4;
/** Events kept per conversation: more than five legs of thirteen statuses each. */
export const MAX_EVENTS_PER_CONVERSATION = 100;
/** Events kept per leg, whether or not Vonage named its conversation. */
export const MAX_EVENTS_PER_LEG = 20;

/** Conversations remembered as logged; the oldest is forgotten (and may be logged again) past this. */
const REMEMBERED_CONVERSATIONS = 1000;

/** Who an ignored call or event belonged to: its conversation, or its leg when Vonage sent none. */
export interface ExcessSource {
  kind: 'call' | 'event';
  legUuid: string;
  conversationUuid: string | null;
}

/**
 * Logs the first call or event a store ignores in each conversation, once: a flood must not
 * turn into a flood of log lines. Uuids only, never callers' numbers.
 */
export class ExcessLog {
  readonly #logged = new Set<string>();

  constructor(private readonly logger: Logger) {}

  note(source: ExcessSource): void {
    const key = source.conversationUuid ?? `leg:${source.legUuid}`;
    if (this.#logged.has(key)) return;
    if (this.#logged.size >= REMEMBERED_CONVERSATIONS) this.#logged.delete(this.#logged.values().next().value!);
    this.#logged.add(key);
    this.logger.warn(`${source.kind} ignored: its conversation is over its limits (further excess in it is ignored without a log line)`, {
      conversationUuid: source.conversationUuid,
      legUuid: source.legUuid,
      maxCallsPerConversation: MAX_CALLS_PER_CONVERSATION,
      maxEventsPerConversation: MAX_EVENTS_PER_CONVERSATION,
      maxEventsPerLeg: MAX_EVENTS_PER_LEG,
    });
  }
}
