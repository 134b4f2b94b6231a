// The rows SQLite and PostgreSQL return for calls, events, tracking numbers, recordings, webhook
// subscriptions and deliveries and the audit log, and the records they map to: written once for both. SQLite hands times over as epoch milliseconds, PostgreSQL
// as Dates; PostgreSQL's bigints come as strings, and its jsonb columns parsed where SQLite
// keeps JSON text.

import type { CallAttribution } from '../domain/attribution/call-attribution.js';
import type { CallAttempt, CallEvent, CallRecord } from '../domain/calls.js';
import type { MediaRecord } from '../domain/recordings.js';
import type { HistoriedCall } from '../domain/report-figures.js';
import type { RouteSettings } from '../domain/route.js';
import type { TrackingNumber } from '../domain/tracking-numbers.js';
import type { WebhookEventType } from '../webhooks/webhook-events.js';
import type { AuditEntry, WebhookDelivery, WebhookSubscription } from './webhook-records.js';

type SqlTime = number | Date;
type SqlInteger = number | string;
/** 0 or 1 (SQLite), or a boolean (PostgreSQL). */
type SqlBoolean = number | boolean;
/** JSON text (SQLite) or the value jsonb parsed to (PostgreSQL). */
type SqlJson<T> = string | T;

export interface CallRow {
  uuid: string;
  conversation_uuid: string | null;
  tracking_number: string | null;
  caller: string | null;
  campaign: string | null;
  forward_to: string;
  started_at: SqlTime;
  outcome: CallRecord['outcome'];
  answered_at: SqlTime | null;
  ended_at: SqlTime | null;
  duration_seconds: SqlInteger | null;
  inbound_status: string | null;
  forwarded_status: string | null;
  /** JSON of CallAttempt[]; null for calls stored before routing (SQLite 13, PostgreSQL 10). */
  attempts: SqlJson<CallAttempt[]> | null;
  answered_by: string | null;
  /** JSON of the CallAttribution settled when the call was stored; null when none. */
  attribution: SqlJson<CallAttribution> | null;
}

/** The columns of a call the reports read (see HistoriedCall). */
export interface HistoriedCallRow {
  started_at: SqlTime;
  campaign: string | null;
  tracking_number: string | null;
  caller: string | null;
  outcome: CallRecord['outcome'];
  duration_seconds: SqlInteger | null;
  answered_by: string | null;
  source: string | null;
  medium: string | null;
  prev_any_at: SqlTime | null;
  prev_campaign_at: SqlTime | null;
  prev_number_at: SqlTime | null;
  /** 0/1 in SQLite, a boolean in PostgreSQL. */
  recorded: SqlBoolean;
  voicemail: SqlBoolean;
  has_next_any: SqlBoolean;
  has_next_campaign: SqlBoolean;
  has_next_number: SqlBoolean;
}

export const HISTORIED_CALL_COLUMNS = 'started_at, campaign, tracking_number, caller, outcome, duration_seconds, answered_by, '
  + "attribution ->> 'source' AS source, attribution ->> 'medium' AS medium, "
  + 'prev_any_at, prev_campaign_at, prev_number_at, recorded, voicemail, has_next_any, has_next_campaign, has_next_number';

export interface EventRow {
  leg_uuid: string;
  status: string;
  occurred_at: SqlTime;
  conversation_uuid: string | null;
  direction: CallEvent['direction'];
  duration_seconds: SqlInteger | null;
  to_number: string | null;
}

export interface NumberRow {
  number: string;
  campaign: string | null;
  forward_to: string | null;
  whisper: string | null;
  /** JSON of RouteSettings, as the numbers API accepted it. */
  route: SqlJson<RouteSettings> | null;
}

const toDate = (time: SqlTime): Date => (time instanceof Date ? time : new Date(time));
const toDateOrNull = (time: SqlTime | null): Date | null => (time === null ? null : toDate(time));
const toMs = (time: SqlTime): number => (time instanceof Date ? time.getTime() : time);
const toMsOrNull = (time: SqlTime | null): number | null => (time === null ? null : toMs(time));
const toNumberOrNull = (value: SqlInteger | null): number | null => (value === null ? null : Number(value));
const fromJson = <T>(value: SqlJson<T>): T => (typeof value === 'string' ? (JSON.parse(value) as T) : value);

export function callRowToCall(row: CallRow): CallRecord {
  return {
    uuid: row.uuid,
    conversationUuid: row.conversation_uuid,
    trackingNumber: row.tracking_number,
    caller: row.caller,
    campaign: row.campaign,
    forwardTo: row.forward_to,
    startedAt: toDate(row.started_at),
    outcome: row.outcome,
    answeredAt: toDateOrNull(row.answered_at),
    endedAt: toDateOrNull(row.ended_at),
    durationSeconds: toNumberOrNull(row.duration_seconds),
    inboundStatus: row.inbound_status,
    forwardedStatus: row.forwarded_status,
    blocked: row.outcome === 'blocked',
    attempts: row.attempts === null ? [] : fromJson(row.attempts),
    answeredBy: row.answered_by,
    attribution: row.attribution === null ? null : fromJson(row.attribution),
  };
}

export function historiedCallRowToCall(row: HistoriedCallRow): HistoriedCall {
  return {
    startedAt: toMs(row.started_at),
    campaign: row.campaign,
    trackingNumber: row.tracking_number,
    caller: row.caller,
    outcome: row.outcome,
    durationSeconds: toNumberOrNull(row.duration_seconds),
    answeredBy: row.answered_by,
    source: row.source,
    medium: row.medium,
    prevAnyAt: toMsOrNull(row.prev_any_at),
    prevCampaignAt: toMsOrNull(row.prev_campaign_at),
    prevNumberAt: toMsOrNull(row.prev_number_at),
    recorded: Boolean(row.recorded),
    voicemail: Boolean(row.voicemail),
    hasNextAny: Boolean(row.has_next_any),
    hasNextCampaign: Boolean(row.has_next_campaign),
    hasNextNumber: Boolean(row.has_next_number),
  };
}

export function eventRowToEvent(row: EventRow): CallEvent {
  return {
    legUuid: row.leg_uuid,
    status: row.status,
    occurredAt: toDate(row.occurred_at),
    conversationUuid: row.conversation_uuid,
    direction: row.direction,
    durationSeconds: toNumberOrNull(row.duration_seconds),
    to: row.to_number,
  };
}

export function numberRowToTrackingNumber(row: NumberRow): TrackingNumber {
  return {
    number: row.number, campaign: row.campaign, forwardTo: row.forward_to, whisper: row.whisper,
    route: row.route === null ? null : fromJson(row.route),
  };
}

export interface SubscriptionRow {
  id: string;
  url: string;
  event_types: SqlJson<WebhookEventType[]>;
  secret: string;
  enabled: SqlBoolean;
  created_at: SqlTime;
}

export interface DeliveryRow {
  event_id: string;
  subscription_id: string;
  type: WebhookEventType;
  call_uuid: string | null;
  body: string;
  status: WebhookDelivery['status'];
  attempts: number;
  next_attempt_at: SqlTime;
  last_error: string | null;
  last_status_code: number | null;
  created_at: SqlTime;
  delivered_at: SqlTime | null;
}

export interface AuditRow {
  at: SqlTime;
  actor: string;
  action: string;
  target: string | null;
  details: SqlJson<Record<string, unknown>>;
}

export function subscriptionRowToSubscription(row: SubscriptionRow): WebhookSubscription {
  return {
    id: row.id, url: row.url, eventTypes: fromJson(row.event_types), secret: row.secret,
    enabled: row.enabled === true || row.enabled === 1, createdAt: toDate(row.created_at),
  };
}

export function deliveryRowToDelivery(row: DeliveryRow): WebhookDelivery {
  return {
    eventId: row.event_id, subscriptionId: row.subscription_id, type: row.type, callUuid: row.call_uuid, body: row.body,
    status: row.status, attempts: row.attempts, nextAttemptAt: toDate(row.next_attempt_at), lastError: row.last_error,
    lastStatusCode: row.last_status_code, createdAt: toDate(row.created_at), deliveredAt: toDateOrNull(row.delivered_at),
  };
}

export function auditRowToEntry(row: AuditRow): AuditEntry {
  return { at: toDate(row.at), actor: row.actor, action: row.action, target: row.target, details: fromJson(row.details) };
}

export interface MediaRow {
  id: string;
  kind: MediaRecord['kind'];
  conversation_uuid: string;
  recording_id: string | null;
  url: string;
  size_bytes: SqlInteger | null;
  started_at: SqlTime | null;
  ended_at: SqlTime | null;
  received_at: SqlTime;
  expires_at: SqlTime;
  status: MediaRecord['status'];
  attempts: number;
  next_attempt_at: SqlTime;
  file_key: string | null;
  stored_bytes: SqlInteger | null;
  content_type: string | null;
  last_error: string | null;
}

export function mediaRowToRecord(row: MediaRow): MediaRecord {
  return {
    id: row.id, kind: row.kind, conversationUuid: row.conversation_uuid, recordingId: row.recording_id, url: row.url,
    sizeBytes: toNumberOrNull(row.size_bytes), startedAt: toDateOrNull(row.started_at), endedAt: toDateOrNull(row.ended_at),
    receivedAt: toDate(row.received_at), expiresAt: toDate(row.expires_at), status: row.status, attempts: row.attempts,
    nextAttemptAt: toDate(row.next_attempt_at), fileKey: row.file_key, storedBytes: toNumberOrNull(row.stored_bytes),
    contentType: row.content_type, lastError: row.last_error,
  };
}
