// Which outgoing webhook events a change to a call causes, and the body each one carries. One
// definition for every store: each calls `eventsOfCallChange` inside the transaction that makes
// the change, and writes what it returns to its outbox.

import { randomUUID } from 'node:crypto';
import type { CallRecord } from '../domain/calls.js';
import type { MediaRecord } from '../domain/recordings.js';
import { callToJson, fullCaller, type CallJson } from '../http/routes/call-json.js';
import { audioPath } from '../http/routes/media-json.js';

/**
 * Every event type a subscription can ask for. `recording.ready` and `voicemail.ready` are
 * written where the media worker marks a file stored (eventsOfStoredRecording).
 */
export const WEBHOOK_EVENT_TYPES = [
  'call.started', 'call.completed', 'call.missed', 'call.blocked', 'recording.ready', 'voicemail.ready',
] as const;

/** `webhook.test` is sent only by "send a test event", whatever a subscription asked for. */
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number] | 'webhook.test';

/** The JSON a receiver gets: Standard Webhooks' suggested `{type, timestamp, data}`. */
export interface WebhookEventBody {
  type: WebhookEventType;
  timestamp: string;
  data: CallJson | RecordingEventData | { message: string };
}

/**
 * What a recording event carries: the call and where to fetch the file with the admin token (the
 * path /api/calls gives), never the audio itself nor the caller's number.
 */
export interface RecordingEventData {
  callUuid: string;
  recordingId: string;
  kind: 'call' | 'voicemail';
  startedAt: string | null;
  endedAt: string | null;
  sizeBytes: number | null;
  contentType: string | null;
  audioUrl: string;
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
    if (!had.has(state)) events.push(outboxEvent(`call.${state}`, callToJson(after, fullCaller), after.uuid, now));
  }
  return events;
}

/**
 * The events a recording or voicemail now stored causes: one per call of its conversation
 * (`callUuids`). A transcript causes none: it is announced with nothing of its own to play.
 */
export function eventsOfStoredRecording(record: MediaRecord, callUuids: readonly string[], now = new Date()): OutboxEvent[] {
  if (record.kind === 'transcript') return [];
  const kind = record.kind;
  return callUuids.map((callUuid) => outboxEvent(kind === 'call' ? 'recording.ready' : 'voicemail.ready', {
    callUuid, recordingId: record.id, kind, startedAt: record.startedAt?.toISOString() ?? null, endedAt: record.endedAt?.toISOString() ?? null,
    sizeBytes: record.storedBytes, contentType: record.contentType, audioUrl: audioPath(record.id),
  }, callUuid, now));
}
