// A row of the SQLite calls table, and the call it stores.

import type { CallAttempt, CallRecord } from '../../domain/calls.js';

export interface CallRow {
  uuid: string;
  conversation_uuid: string | null;
  tracking_number: string | null;
  caller: string | null;
  campaign: string | null;
  forward_to: string;
  started_at: number;
  outcome: CallRecord['outcome'];
  answered_at: number | null;
  ended_at: number | null;
  duration_seconds: number | null;
  inbound_status: string | null;
  forwarded_status: string | null;
  /** JSON of CallAttempt[]; null for calls stored before routing (migration 13). */
  attempts: string | null;
  answered_by: string | null;
}

const toDate = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

export function callRowToCall(row: CallRow): CallRecord {
  return {
    uuid: row.uuid,
    conversationUuid: row.conversation_uuid,
    trackingNumber: row.tracking_number,
    caller: row.caller,
    campaign: row.campaign,
    forwardTo: row.forward_to,
    startedAt: new Date(row.started_at),
    outcome: row.outcome,
    answeredAt: toDate(row.answered_at),
    endedAt: toDate(row.ended_at),
    durationSeconds: row.duration_seconds,
    inboundStatus: row.inbound_status,
    forwardedStatus: row.forwarded_status,
    blocked: row.outcome === 'blocked',
    attempts: row.attempts === null ? [] : (JSON.parse(row.attempts) as CallAttempt[]),
    answeredBy: row.answered_by,
  };
}
