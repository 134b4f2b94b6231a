// Parses what Vonage sends to the answer and event webhooks into domain types, once, at the
// boundary. Vonage adds fields over time, so unknown ones are ignored; known ones are checked.

import { z } from 'zod';
import type { CallEvent } from '../domain/calls.js';
import { badRequest } from './http-error.js';
import { parseCallerId, parseTrackingNumber } from '../domain/phone.js';
import type { RecordingKind } from '../domain/recording-urls.js';
import { transcriptIdOf, VONAGE_RETENTION_MS, type MediaJob } from '../domain/recordings.js';

/** No field Vonage sends comes near this; longer values are not Vonage's. */
const MAX_FIELD_LENGTH = 512;
const MAX_FIELDS = 64;

const text = z.string().max(MAX_FIELD_LENGTH);
/** A Vonage uuid or conversation uuid. */
export const vonageId = z.string().min(1).max(128).regex(/^[\w.:-]+$/, 'must be an identifier');
/** A Vonage call status as an event reports it (`answered`, `completed`, …). */
export const callStatus = z.string().regex(/^[a-z_]{1,32}$/, 'must be a Vonage call status');

/**
 * Query strings and JSON bodies alike must be an object of a bounded number of fields, and each
 * field this server reads (`readFields`) a single short scalar: a repeated query parameter
 * arrives as an array. Fields it does not read are ignored whatever their shape: Vonage sends
 * objects among them (`headers: {}` on call events, `custom_data` on app calls), and refusing
 * those would drop the caller or lose the call's outcome.
 */
function assertFlatPayload(payload: unknown, readFields: z.ZodRawShape): asserts payload is Record<string, unknown> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw badRequest('the payload must be a JSON object or query parameters');
  }
  // A for-in walk rather than Object.entries: no array per field on every webhook. The query
  // parser and JSON.parse both build plain objects, whose keys are all their own.
  let fields = 0;
  for (const key in payload) {
    if (++fields > MAX_FIELDS) throw badRequest('too many fields');
    if (!Object.hasOwn(readFields, key)) continue;
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
  assertFlatPayload(payload, answerSchema.shape);
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

const otherEventSchema = z.object({
  uuid: vonageId.optional(),
  conversation_uuid: vonageId.optional(),
  conversation_uuid_from: vonageId.optional(),
  conversation_uuid_to: vonageId.optional(),
  reason: text.optional(),
});

/** One of Vonage's event webhooks that carry no call status: a leg moved to another conversation (`transfer`), an error, and others. */
export interface OtherVonageEvent {
  conversationUuid: string | null;
  /** An error event's reason, with runs of four or more digits (a phone number, perhaps) taken out. */
  reason: string | null;
}

/**
 * Such events say nothing of a call's outcome, and answering them with an error status would
 * send Vonage to the application's fallback URL; they are acknowledged. Null when the payload
 * has a `status` (parseEventPayload reads it); a payload that names no leg or conversation is
 * no Vonage event and is refused.
 */
export function parseOtherEvent(payload: unknown): OtherVonageEvent | null {
  // Most events have a status: parseEventPayload checks the payload, once.
  if (typeof payload === 'object' && payload !== null && Object.hasOwn(payload, 'status')) return null;
  assertFlatPayload(payload, otherEventSchema.shape);
  const parsed = otherEventSchema.safeParse(payload);
  if (!parsed.success) throw badRequest(describe(parsed.error));
  const fields = parsed.data;
  if (!fields.uuid && !fields.conversation_uuid && !fields.conversation_uuid_from && !fields.conversation_uuid_to) {
    throw badRequest('"status" is required');
  }
  return {
    conversationUuid: fields.conversation_uuid ?? fields.conversation_uuid_to ?? null,
    reason: fields.reason === undefined ? null : fields.reason.replace(/\d{4,}/g, '…'),
  };
}

/**
 * Parses an event webhook. `human`/`machine` events name the leg `call_uuid` instead of `uuid`;
 * a missing timestamp falls back to the time of receipt.
 */
export function parseEventPayload(payload: unknown, receivedAt: Date): CallEvent {
  assertFlatPayload(payload, eventSchema.shape);
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

/** Vonage's recording and file ids are UUIDs; they become file names, so nothing else is accepted. */
const fileId = z.string().regex(/^[A-Za-z0-9-]{1,100}$/, 'must be a Vonage id (letters, digits and dashes)');
const optionalTime = text.optional().transform((raw, ctx) => {
  if (raw === undefined || raw === '') return null;
  const time = new Date(raw);
  if (Number.isNaN(time.getTime()) || time.getTime() < EARLIEST_EVENT_MS || time.getTime() > LATEST_EVENT_MS) {
    ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 time' });
    return z.NEVER;
  }
  return time;
});

const recordingSchema = z.object({
  recording_url: text.min(1),
  recording_uuid: fileId,
  conversation_uuid: vonageId,
  size: z.union([z.number(), z.string().regex(/^\d{1,15}$/)]).transform(Number).pipe(z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)),
  start_time: optionalTime,
  end_time: optionalTime,
});

/** The job a recording webhook asks for; Vonage deletes the file 30 days after the recording started. */
export function parseRecordingPayload(payload: unknown, kind: RecordingKind, receivedAt: Date): MediaJob {
  assertFlatPayload(payload, recordingSchema.shape);
  const parsed = recordingSchema.safeParse(payload);
  if (!parsed.success) throw badRequest(describe(parsed.error));
  const fields = parsed.data;
  return {
    id: fields.recording_uuid,
    kind,
    conversationUuid: fields.conversation_uuid,
    recordingId: null,
    url: fields.recording_url,
    sizeBytes: fields.size,
    startedAt: fields.start_time,
    endedAt: fields.end_time,
    receivedAt,
    expiresAt: new Date((fields.start_time ?? receivedAt).getTime() + VONAGE_RETENTION_MS),
  };
}

// The transcription webhook's fields as Vonage's recording guide shows them (not in the API
// specification): the transcript is a JSON file fetched, like a recording, with the JWT.
const transcriptionSchema = z.object({
  transcription_url: text.min(1),
  recording_uuid: fileId,
  conversation_uuid: vonageId,
});

export function parseTranscriptionPayload(payload: unknown, receivedAt: Date): MediaJob {
  assertFlatPayload(payload, transcriptionSchema.shape);
  const parsed = transcriptionSchema.safeParse(payload);
  if (!parsed.success) throw badRequest(describe(parsed.error));
  const fields = parsed.data;
  return {
    id: transcriptIdOf(fields.recording_uuid),
    kind: 'transcript',
    conversationUuid: fields.conversation_uuid,
    recordingId: fields.recording_uuid,
    url: fields.transcription_url,
    sizeBytes: null,
    startedAt: null,
    endedAt: null,
    receivedAt,
    expiresAt: new Date(receivedAt.getTime() + VONAGE_RETENTION_MS),
  };
}
