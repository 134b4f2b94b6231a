// The calls CSV that /api/calls.csv writes and `npm run import` reads: its columns, defined once
// (the schema below, in column order), how a call becomes a record, and a record a call again.

import { z } from 'zod';
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
});

export const CALL_CSV_COLUMNS = callCsvRecord.keyof().options;

export const CALL_CSV_HEADER = csvLine(CALL_CSV_COLUMNS);

type CallCsvColumn = (typeof CALL_CSV_COLUMNS)[number];

function cellOf(call: CallRecord, column: CallCsvColumn): CsvCell {
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

/** The reason a header is not the calls CSV's, or null when it is. */
export function checkCallCsvHeader(cells: readonly (string | null)[]): string | null {
  if (cells.length === CALL_CSV_COLUMNS.length && cells.every((cell, i) => cell === CALL_CSV_COLUMNS[i])) return null;
  return `the header must be the one /api/calls.csv writes: ${CALL_CSV_COLUMNS.join(',')}`;
}

export type ParsedCallRecord = { call: CallRecord } | { reason: string };

/** A record's cells (as csv.ts's readCell gives them) as a call, or the reason they are not one. */
export function parseCallCsvRecord(cells: readonly (string | null)[]): ParsedCallRecord {
  if (cells.length !== CALL_CSV_COLUMNS.length) return { reason: `has ${cells.length} cells, expected ${CALL_CSV_COLUMNS.length}` };
  const parsed = callCsvRecord.safeParse(Object.fromEntries(CALL_CSV_COLUMNS.map((column, i) => [column, cells[i]])));
  if (parsed.success) return { call: parsed.data };
  const issue = parsed.error.issues[0]!;
  const column = String(issue.path[0]);
  return { reason: cells[CALL_CSV_COLUMNS.indexOf(column as never)] === null ? `"${column}" is empty` : `"${column}" ${issue.message}` };
}
