// How a call and a page cursor look in the admin API.

import type { CallAttempt, CallRecord } from '../../domain/calls.js';
import type { CallAttribution } from '../../domain/attribution/call-attribution.js';
import type { VisitSource } from '../../domain/attribution/visit-source.js';
import { badRequest } from '../http-error.js';
import { maskPhoneNumber } from '../../domain/phone.js';
import { can, type Role } from '../../domain/team.js';
import type { CallCursor } from '../../store/call-store.js';

export interface CallJson {
  uuid: string;
  conversationUuid: string | null;
  trackingNumber: string | null;
  caller: string | null;
  campaign: string | null;
  forwardTo: string;
  startedAt: string;
  outcome: CallRecord['outcome'];
  answeredAt: string | null;
  endedAt: string | null;
  durationSeconds: number | null;
  inboundStatus: string | null;
  forwardedStatus: string | null;
  /** The destinations rung, in order, each with its last status and whether it answered. */
  attempts: CallAttempt[];
  /** The destination that answered, or null. */
  answeredBy: string | null;
  /** The website visit the call is credited to: the one holding the number when the call came in (call-attribution.ts). */
  attribution: AttributionJson | null;
  attributionAmbiguous: boolean;
}

export type AttributionJson = { visitId: string; pool: string } & VisitSource;

function attributionToJson(a: CallAttribution): AttributionJson {
  return {
    visitId: a.visitId, pool: a.poolId, source: a.source, medium: a.medium, campaign: a.campaign, term: a.term,
    content: a.content, gclid: a.gclid, referrer: a.referrer, landingPage: a.landingPage,
  };
}

/** Callers as recorded: for those allowed to see them, and for what the owner sends out (webhooks). */
export const fullCaller = (caller: string | null): string | null => caller;

/** How a role sees callers: in full with the callers permission, masked otherwise. */
export function callerFor(role: Role): (caller: string | null) => string | null {
  return can(role, 'callers') ? fullCaller : maskPhoneNumber;
}

/** `showCaller` masks the caller for roles that may not see it. */
export function callToJson(call: CallRecord, showCaller: (caller: string | null) => string | null): CallJson {
  const attribution = call.attribution ?? null;
  return {
    uuid: call.uuid,
    conversationUuid: call.conversationUuid,
    trackingNumber: call.trackingNumber,
    caller: showCaller(call.caller),
    campaign: call.campaign,
    forwardTo: call.forwardTo,
    startedAt: call.startedAt.toISOString(),
    outcome: call.outcome,
    answeredAt: call.answeredAt?.toISOString() ?? null,
    endedAt: call.endedAt?.toISOString() ?? null,
    durationSeconds: call.durationSeconds,
    inboundStatus: call.inboundStatus,
    forwardedStatus: call.forwardedStatus,
    attempts: call.attempts ?? [],
    answeredBy: call.answeredBy ?? null,
    attribution: attribution && attributionToJson(attribution),
    attributionAmbiguous: attribution?.ambiguous ?? false,
  };
}

export function encodeCursor(cursor: CallCursor): string {
  return Buffer.from(`${cursor.startedAt.getTime()}:${cursor.uuid}`, 'utf8').toString('base64url');
}

export function decodeCursor(encoded: string): CallCursor {
  const decoded = Buffer.from(encoded, 'base64url').toString('utf8');
  const match = /^(\d{1,15}):([\w.:-]{1,128})$/.exec(decoded);
  if (!match) throw badRequest('"cursor" is not a cursor this server gave out');
  return { startedAt: new Date(Number(match[1])), uuid: match[2]! };
}
