// Which outgoing webhook events a change to a call causes, and the body each one carries. One
// definition for every store: each calls `eventsOfCallChange` inside the transaction that makes
// the change, and writes what it returns to its outbox.

import { randomUUID } from 'node:crypto';
import type { CallRecord } from '../domain/calls.js';
import { callToJson, type CallJson } from '../http/routes/call-json.js';

/**
 * Every event type a subscription can ask for. The recording helper adds `recording.ready` and
 * `voicemail.ready` here (and writes them where a recording is stored).
 */
export const WEBHOOK_EVENT_TYPES = ['call.started', 'call.completed', 'call.missed', 'call.blocked'] as const;

/** `webhook.test` is sent only by "send a test event", whatever a subscription asked for. */
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number] | 'webhook.test';

/** The JSON a receiver gets: Standard Webhooks' suggested `{type, timestamp, data}`. */
export interface WebhookEventBody {
  type: WebhookEventType;
  timestamp: string;
  data: CallJson | { message: string };
}

/** One event waiting in the outbox: its id is the `webhook-id`, the same at every retry. */
export interface OutboxEvent {
  id: string;
  type: WebhookEventType;
  /** The call the event is about; null for test events. Erasure and retention find events by it. */
  callUuid: string | null;
  /** The serialized WebhookEventBody, signed and sent byte for byte at every attempt. */
  body: string;
  createdAt: Date;
}

/** Standard Webhooks suggests `msg_` ids; any unique string will do. */
export function newEventId(): string {
  return `msg_${randomUUID().replaceAll('-', '')}`;
}

export function outboxEvent(type: WebhookEventType, data: WebhookEventBody['data'], callUuid: string | null, now = new Date()): OutboxEvent {
  const body: WebhookEventBody = { type, timestamp: now.toISOString(), data };
  return { id: newEventId(), type, callUuid, body: JSON.stringify(body), createdAt: now };
}

/** A call's state as far as its webhooks go: each final state is announced once. */
type Announced = 'started' | 'completed' | 'missed' | 'blocked';

function announcedStates(call: CallRecord): Set<Announced> {
  const states = new Set<Announced>();
  if (call.outcome === 'blocked') {
    states.add('blocked');
    return states;
  }
  states.add('started');
  // The caller's own leg completes last: then the outcome, talk time and end are final. Before
  // it, a fail-over call is "missed" after one destination fails while the next one rings.
  if (call.inboundStatus !== 'completed') return states;
  if (call.outcome === 'answered' && call.durationSeconds !== null) states.add('completed');
  if (call.outcome === 'missed') states.add('missed');
  return states;
}

/** The events a call's change from `before` (null: newly stored) to `after` causes, in order. */
export function eventsOfCallChange(before: CallRecord | null, after: CallRecord, now = new Date()): OutboxEvent[] {
  const had = before === null ? new Set<Announced>() : announcedStates(before);
  const events: OutboxEvent[] = [];
  for (const state of announcedStates(after)) {
    if (!had.has(state)) events.push(outboxEvent(`call.${state}`, callToJson(after), after.uuid, now));
  }
  return events;
}
