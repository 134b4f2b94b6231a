// The calls CSV that /api/calls.csv writes and `npm run import` reads: its columns, defined once
// (the schema below, in column order), how a call becomes a record, and a record a call again.
// The website visit a call is credited to comes last, so that files exported before calls
// carried it (their header ends at `attempts`) still import, as calls without a visit.

import { z } from 'zod';
import type { CallAttribution } from '../domain/attribution/call-attribution.js';
import { CALL_OUTCOMES, type CallRecord } from '../domain/calls.js';
import { normalisePhoneNumber, parseCallerId, parseTrackingNumber } from '../domain/phone.js';
import { csvLine, type CsvCell } from './csv.js';
import { NO_CONTROL_CHARACTERS } from './routes/admin-query.js';
import { callStatus, vonageId } from './webhook-payloads.js';

const time = z.iso.datetime({ error: 'must be an ISO 8601 UTC time such as 2026-11-02T09:30:00.000Z' }).transform((text) => new Date(text));

/** Digits as the store keeps them: the form the given parser gives back unchanged. */
const digits = (parse: (raw: string) => string | null, whenEmpty = '') =>
  z.string().refine((text) => parse(text) === text, `must be a phone number in E.164 digits without "+"${whenEmpty}`);

const wholeSeconds = z.string().regex(/^\d{1,9}$/, 'must be a whole number of seconds').transform(Number);

const text = z.string().regex(NO_CONTROL_CHARACTERS, 'must not contain control characters');

const attempt = z.strictObject({ destination: text.nullable(), status: text.nullable(), answered: z.boolean() });

/** The destinations rung, as a JSON list in one cell. */
const attempts = z
  .string()
  .transform((json, ctx) => {
    try {
      return JSON.parse(json) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON list such as [{"destination":"447700900000","status":"completed","answered":true}]' });
      return z.NEVER;
    }
  })
  .pipe(z.array(attempt));

const visitText = text.nullable();

/** The visit's columns, named as the tags a call-tracking export user knows; empty without a visit. */
const visitColumns = {
  source: visitText,
  medium: visitText,
  utmCampaign: visitText,
  utmTerm: visitText,
  utmContent: visitText,
  gclid: visitText,
  referrer: visitText,
  landingPage: visitText,
  visitId: visitText,
  pool: visitText,
  attributionAmbiguous: z.enum(['true', 'false']).transform((flag) => flag === 'true').nullable(),
};

type VisitColumn = keyof typeof visitColumns;

const isVisitColumn = (column: string): column is VisitColumn => Object.hasOwn(visitColumns, column);

/** What a call credited to a visit must have; the others may be empty. */
const REQUIRED_VISIT_COLUMNS = ['source', 'medium', 'visitId', 'pool', 'attributionAmbiguous'] as const satisfies readonly VisitColumn[];

/** One record of the calls CSV; the keys, in this order, are the header. */
const callCsvRecord = z.strictObject({
  startedAt: time,
  trackingNumber: digits(parseTrackingNumber, ', or empty when Vonage sent none').nullable(),
  campaign: text.nullable(),
  caller: digits(parseCallerId, ', or empty when withheld').nullable(),
  outcome: z.enum(CALL_OUTCOMES),
  durationSeconds: wholeSeconds.nullable(),
  answeredAt: time.nullable(),
  endedAt: time.nullable(),
  forwardTo: digits(normalisePhoneNumber),
  inboundStatus: callStatus.nullable(),
  forwardedStatus: callStatus.nullable(),
  uuid: vonageId,
  conversationUuid: vonageId.nullable(),
  answeredBy: text.nullable(),
  attempts,
  ...visitColumns,
});

export const CALL_CSV_COLUMNS = callCsvRecord.keyof().options;

/** The columns of a file exported before calls carried their visit. */
const COLUMNS_WITHOUT_VISIT = CALL_CSV_COLUMNS.length - Object.keys(visitColumns).length;

/** A record as the call it describes: the visit's columns gathered into its attribution, or none. */
const callOfRecord = callCsvRecord.transform((record, ctx): CallRecord => {
  const { source, medium, utmCampaign, utmTerm, utmContent, gclid, referrer, landingPage, visitId, pool, attributionAmbiguous, ...call } = record;
  const given = (Object.keys(visitColumns) as VisitColumn[]).filter((column) => record[column] !== null);
  if (given.length === 0) return { ...call, attribution: null };
  if (source === null || medium === null || visitId === null || pool === null || attributionAmbiguous === null) {
    const missing = REQUIRED_VISIT_COLUMNS.filter((column) => record[column] === null);
    ctx.addIssue({ code: 'custom', path: [missing[0]!], message: `must be set for a call credited to a visit (${given.join(', ')} set)` });
    return z.NEVER;
  }
  return {
    ...call,
    attribution: {
      source, medium, campaign: utmCampaign, term: utmTerm, content: utmContent, gclid, referrer, landingPage,
      visitId, poolId: pool, ambiguous: attributionAmbiguous,
    },
  };
});

export const CALL_CSV_HEADER = csvLine(CALL_CSV_COLUMNS);

type CallCsvColumn = (typeof CALL_CSV_COLUMNS)[number];

function visitCellOf(visit: CallAttribution | null | undefined, column: VisitColumn): CsvCell {
  if (!visit) return null;
  switch (column) {
    case 'utmCampaign':
      return visit.campaign;
    case 'utmTerm':
      return visit.term;
    case 'utmContent':
      return visit.content;
    case 'pool':
      return visit.poolId;
    case 'attributionAmbiguous':
      return String(visit.ambiguous);
    default:
      return visit[column];
  }
}

function cellOf(call: CallRecord, column: CallCsvColumn): CsvCell {
  if (isVisitColumn(column)) return visitCellOf(call.attribution, column);
  switch (column) {
    case 'answeredBy':
      return call.answeredBy ?? null;
    case 'attempts':
      // Keys in one order, whatever order the store gave them back in (jsonb sorts them).
      return JSON.stringify((call.attempts ?? []).map(({ destination, status, answered }) => ({ destination, status, answered })));
    default: {
      const value = call[column];
      return value instanceof Date ? value.toISOString() : value;
    }
  }
}

/** One call as a line of the calls CSV. */
export function callCsvLine(call: CallRecord): string {
  return csvLine(CALL_CSV_COLUMNS.map((column) => cellOf(call, column)));
}

/** A header's column count (the current header's, or one from before the visit's columns), or the reason it is not the calls CSV's. */
export function readCallCsvHeader(cells: readonly (string | null)[]): { columnCount: number } | { reason: string } {
  const known = (count: number) => cells.length === count && cells.every((cell, i) => cell === CALL_CSV_COLUMNS[i]);
  if (known(CALL_CSV_COLUMNS.length) || known(COLUMNS_WITHOUT_VISIT)) return { columnCount: cells.length };
  return { reason: `the header must be the one /api/calls.csv writes: ${CALL_CSV_COLUMNS.join(',')}` };
}

export type ParsedCallRecord = { call: CallRecord } | { reason: string };

/**
 * A record's cells (as csv.ts's readCell gives them) as a call, or the reason they are not one;
 * `columnCount` is its header's (readCallCsvHeader), the columns it lacks read as empty.
 */
export function parseCallCsvRecord(cells: readonly (string | null)[], columnCount = CALL_CSV_COLUMNS.length): ParsedCallRecord {
  if (cells.length !== columnCount) return { reason: `has ${cells.length} cells, expected ${columnCount}` };
  const parsed = callOfRecord.safeParse(Object.fromEntries(CALL_CSV_COLUMNS.map((column, i) => [column, cells[i] ?? null])));
  if (parsed.success) return { call: parsed.data };
  const issue = parsed.error.issues[0]!;
  const column = String(issue.path[0]);
  const emptyCell = issue.code !== 'custom' && (cells[CALL_CSV_COLUMNS.indexOf(column as never)] ?? null) === null;
  return { reason: emptyCell ? `"${column}" is empty` : `"${column}" ${issue.message}` };
}
