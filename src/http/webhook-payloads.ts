// Parses what Vonage sends to the answer and event webhooks into domain types, once, at the
// boundary. Vonage adds fields over time, so unknown ones are ignored; known ones are checked.

import { z } from 'zod';
import type { CallEvent } from '../domain/calls.js';
import { badRequest } from './http-error.js';
import { parseCallerId, parseTrackingNumber } from '../domain/phone.js';

/** No field Vonage sends comes near this; longer values are not Vonage's. */
const MAX_FIELD_LENGTH = 512;
const MAX_FIELDS = 64;

const text = z.string().max(MAX_FIELD_LENGTH);
/** A Vonage uuid or conversation uuid. */
export const vonageId = z.string().min(1).max(128).regex(/^[\w.:-]+$/, 'must be an identifier');
/** A Vonage call status as an event reports it (`answered`, `completed`, …). */
export const callStatus = z.string().regex(/^[a-z_]{1,32}$/, 'must be a Vonage call status');

/** Query strings and JSON bodies alike must be a flat object of short scalars. */
function assertFlatPayload(payload: unknown): asserts payload is Record<string, unknown> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw badRequest('the payload must be a JSON object or query parameters');
  }
  // A for-in walk rather than Object.entries: no array per field on every webhook. The query
  // parser and JSON.parse both build plain objects, whose keys are all their own.
  let fields = 0;
  for (const key in payload) {
    if (++fields > MAX_FIELDS) throw badRequest('too many fields');
    const value = (payload as Record<string, unknown>)[key];
    if (Array.isArray(value)) throw badRequest(`"${key.slice(0, 40)}" is given more than once`);
    if (value !== null && typeof value === 'object') throw badRequest(`"${key.slice(0, 40)}" must be a plain value`);
    if (typeof value === 'string' && value.length > MAX_FIELD_LENGTH) throw badRequest(`"${key.slice(0, 40)}" is too long`);
  }
}

function describe(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `"${issue.path.join('.')}" ${issue.message}` : 'invalid payload';
}

const answerSchema = z.object({
  to: text.optional(),
  from: text.optional(),
  from_user: text.optional(),
  uuid: vonageId.optional(),
  conversation_uuid: vonageId.optional(),
});

/** What the answer webhook carries, as the tracker needs it. */
export interface AnswerRequest {
  uuid: string | null;
  conversationUuid: string | null;
  trackingNumber: string | null;
  caller: string | null;
}

export function parseAnswerPayload(payload: unknown): AnswerRequest {
  assertFlatPayload(payload);
  const parsed = answerSchema.safeParse(payload);
  if (!parsed.success) throw badRequest(describe(parsed.error));
  const fields = parsed.data;
  return {
    uuid: fields.uuid ?? null,
    conversationUuid: fields.conversation_uuid ?? null,
    trackingNumber: parseTrackingNumber(fields.to),
    caller: parseCallerId(fields.from),
  };
}

/** Bounds on an event's time: any real call falls well inside, and every store can hold them. */
const EARLIEST_EVENT_MS = Date.UTC(2000, 0, 1);
const LATEST_EVENT_MS = Date.UTC(2100, 0, 1);

const scalar = z.union([z.string().max(MAX_FIELD_LENGTH), z.number()]);

const eventSchema = z.object({
  uuid: vonageId.optional(),
  call_uuid: vonageId.optional(),
  conversation_uuid: vonageId.optional(),
  status: callStatus,
  direction: text.optional(),
  to: text.optional(),
  timestamp: text.optional(),
  duration: scalar.optional(),
});

/**
 * Parses an event webhook. `human`/`machine` events name the leg `call_uuid` instead of `uuid`;
 * a missing timestamp falls back to the time of receipt.
 */
export function parseEventPayload(payload: unknown, receivedAt: Date): CallEvent {
  assertFlatPayload(payload);
  const parsed = eventSchema.safeParse(payload);
  if (!parsed.success) throw badRequest(describe(parsed.error));
  const fields = parsed.data;
  const legUuid = fields.uuid ?? fields.call_uuid;
  if (!legUuid) throw badRequest('"uuid" is required');

  let occurredAt = receivedAt;
  if (fields.timestamp !== undefined) {
    occurredAt = new Date(fields.timestamp);
    const time = occurredAt.getTime();
    if (Number.isNaN(time)) throw badRequest('"timestamp" must be an ISO 8601 time');
    if (time < EARLIEST_EVENT_MS || time > LATEST_EVENT_MS) throw badRequest('"timestamp" is not a plausible time for a call');
  }

  let durationSeconds: number | null = null;
  if (fields.duration !== undefined && fields.duration !== '') {
    durationSeconds = Number(fields.duration);
    if (!Number.isSafeInteger(durationSeconds) || durationSeconds < 0) {
      throw badRequest('"duration" must be a whole number of seconds');
    }
  }

  return {
    legUuid,
    conversationUuid: fields.conversation_uuid ?? null,
    status: fields.status,
    occurredAt,
    direction: fields.direction === 'inbound' || fields.direction === 'outbound' ? fields.direction : null,
    durationSeconds,
    // For a forwarded leg, the destination it rang; recorded as the call's attempts.
    to: parseTrackingNumber(fields.to),
  };
}
