// Parses the query strings of the admin API: filters, time ranges and page sizes.

import { z } from 'zod';
import { badRequest } from '../http-error.js';
import { normalisePhoneNumber, parseTrackingNumber } from '../../domain/phone.js';
import { CALL_OUTCOMES, type CallOutcome } from '../../domain/calls.js';
import type { CallQuery } from '../../store/call-store.js';
import { decodeCursor } from './call-json.js';
import { canonicalTimeZone, instantOfWallTime, startOfLocalDay } from '../../domain/time-zone.js';

export const MAX_PAGE_SIZE = 500;

/** PostgreSQL text cannot hold NUL, and no campaign name needs a control character. */
export const NO_CONTROL_CHARACTERS = /^[^\p{Cc}]*$/u;
export const DEFAULT_PAGE_SIZE = 100;

const single = (name: string) =>
  z.union([z.string().max(200), z.array(z.unknown())]).optional().refine((v) => !Array.isArray(v), {
    message: `"${name}" is given more than once`,
  }) as z.ZodType<string | undefined>;

const BARE_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A calendar date, YYYY-MM-DD, that exists (Date would roll 2026-02-30 over to March). */
export function isCalendarDate(raw: string): boolean {
  const day = new Date(`${raw}T00:00:00Z`);
  return BARE_DATE.test(raw) && !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === raw;
}

/** The zone named by `tz` (any case); TIMEZONE's when absent. */
export function parseTimeZone(raw: unknown, fallback: string): string {
  if (raw === undefined || raw === '') return fallback;
  const zone = typeof raw === 'string' ? canonicalTimeZone(raw) : null;
  if (zone === null) throw badRequest(`"tz" must be an IANA time zone such as Europe/London or America/New_York, got "${String(raw).slice(0, 64)}"`);
  return zone;
}

/**
 * An ISO 8601 time with a date; a bare date means the start of that day in `zone`, and a time
 * without an offset what a clock there reads (never the host's zone, which Date would use).
 */
export function parseTime(name: string, raw: string | undefined, zone: string): Date | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (BARE_DATE.test(raw)) {
    if (!isCalendarDate(raw)) throw badRequest(`"${name}" is not a calendar date`);
    return startOfLocalDay(zone, raw);
  }
  const match = /^\d{4}-\d{2}-\d{2}[T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?$/.exec(raw);
  if (match === null) {
    throw badRequest(`"${name}" must be an ISO 8601 time such as 2026-11-01 or 2026-11-01T09:00:00Z`);
  }
  const time = new Date(match[1] === undefined ? `${raw.replace(' ', 'T')}Z` : raw);
  if (Number.isNaN(time.getTime())) throw badRequest(`"${name}" is not a valid date`);
  return match[1] === undefined ? instantOfWallTime(zone, time.getTime()) : time;
}

function assertPrintable(name: string, value: string): string {
  if (!NO_CONTROL_CHARACTERS.test(value)) throw badRequest(`"${name}" must not contain control characters`);
  return value;
}

export function parseNumberParam(name: string, raw: string): string {
  const number = normalisePhoneNumber(raw) ?? parseTrackingNumber(raw);
  if (number === null) throw badRequest(`"${name}" must be a phone number such as 447700900000`);
  return number;
}

function parseOutcome(raw: string): CallOutcome {
  const outcome = CALL_OUTCOMES.find((o) => o === raw);
  if (outcome === undefined) throw badRequest(`"outcome" must be one of ${CALL_OUTCOMES.join(', ')}`);
  return outcome;
}

const callQuerySchema = z.object({
  number: single('number'),
  campaign: single('campaign'),
  outcome: single('outcome'),
  caller: single('caller'),
  since: single('since'),
  until: single('until'),
  limit: single('limit'),
  cursor: single('cursor'),
  tz: single('tz'),
});

/** `campaign=` (empty) selects calls of numbers without a campaign; bare dates are days in `tz` or `zone`. */
export function parseCallQuery(query: unknown, zone: string): CallQuery {
  const parsed = callQuerySchema.safeParse(query);
  if (!parsed.success) throw badRequest(parsed.error.issues[0]?.message ?? 'invalid query');
  const q = parsed.data;
  let limit = DEFAULT_PAGE_SIZE;
  if (q.limit !== undefined) {
    limit = Number(q.limit);
    if (!/^\d+$/.test(q.limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
      throw badRequest(`"limit" must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
    }
  }
  const tz = parseTimeZone(q.tz, zone);
  const since = parseTime('since', q.since, tz);
  const until = parseTime('until', q.until, tz);
  if (since && until && since >= until) throw badRequest('"since" must be before "until"');
  return {
    trackingNumber: q.number === undefined ? undefined : parseNumberParam('number', q.number),
    campaign: q.campaign === undefined ? undefined : q.campaign === '' ? null : assertPrintable('campaign', q.campaign),
    outcome: q.outcome === undefined || q.outcome === '' ? undefined : parseOutcome(q.outcome),
    caller: q.caller === undefined || q.caller === '' ? undefined : parseNumberParam('caller', q.caller),
    since,
    until,
    limit,
    cursor: q.cursor === undefined ? undefined : decodeCursor(q.cursor),
  };
}
