// Parses a route (PUT /api/numbers/:number, field "route") and a block list (PUT /api/block-list)
// from JSON into domain types, refusing what the route decision could not follow with a message
// that names the field: an unknown time zone, inverted or overlapping spans, no destinations, a
// number that is not a phone number.

import { z } from 'zod';
import { badRequest } from '../http-error.js';
import type { BlockList } from '../../domain/block-list.js';
import { normalisePhoneNumber } from '../../domain/phone.js';
import { DEFAULT_VOICEMAIL_GREETING, type RouteSettings } from '../../domain/route.js';
import { isTimeZone, WEEKDAYS } from '../../domain/time-zone.js';
import { NO_CONTROL_CHARACTERS } from './admin-query.js';

/**
 * Each destination tried is one more leg in the call's conversation (plus the inbound leg and a
 * closed action's forward): this keeps a conversation within a dozen legs.
 */
export const MAX_DESTINATIONS = 8;
/** Vonage rings a connect for 60 s unless told otherwise; a phone rung under 5 s cannot be picked up. */
const MIN_RING_SECONDS = 5;
const MAX_RING_SECONDS = 300;
const MAX_SPANS_PER_DAY = 12;
const MAX_CLOSED_DATES = 366;
const MAX_BLOCKED_ENTRIES = 1000;
/** The NCCO schema's limit for a talk action's text. */
export const MAX_SPOKEN_LENGTH = 1500;

export const printable = (max: number) =>
  z.string().trim().min(1).max(max).regex(NO_CONTROL_CHARACTERS, 'must not contain control characters');

const phoneNumber = z.string().max(40).transform((raw, ctx) => {
  const number = normalisePhoneNumber(raw);
  if (number === null) {
    ctx.addIssue({ code: 'custom', message: `"${raw}" is not a phone number: write it in international form, e.g. +44 7700 900000` });
    return z.NEVER;
  }
  return number;
});

const clockTime = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'must be a time of day written HH:MM, from 00:00 to 24:00');

const span = z
  .strictObject({ from: clockTime, to: clockTime })
  .refine((s) => s.from < s.to, { message: 'must be after "from" (a span past midnight is two spans, one each day)', path: ['to'] });

const daySpans = z
  .array(span)
  .max(MAX_SPANS_PER_DAY)
  .superRefine((spans, ctx) => {
    const order = spans.map((s, index) => ({ ...s, index })).sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
    for (let i = 1; i < order.length; i++) {
      const previous = order[i - 1]!;
      const current = order[i]!;
      if (current.from < previous.to) {
        ctx.addIssue({ code: 'custom', message: `overlaps ${previous.from}-${previous.to}`, path: [current.index] });
      }
    }
  });

const hours = z.strictObject(Object.fromEntries(WEEKDAYS.map((day) => [day, daySpans.optional()])) as Record<(typeof WEEKDAYS)[number], z.ZodOptional<typeof daySpans>>);

const localDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date written YYYY-MM-DD')
  .refine((date) => new Date(`${date}T00:00:00Z`).toISOString().startsWith(date), 'is not a calendar date');

const digitsPrefix = z
  .string()
  .max(40)
  .transform((raw) => raw.replace(/[\s().-]/g, '').replace(/^\+/, ''))
  .pipe(z.string().regex(/^\d{1,15}$/, 'must be the leading digits of a phone number, e.g. +44 7700 or 1900'));

const blockListSchema = z.strictObject({
  numbers: z.array(phoneNumber).max(MAX_BLOCKED_ENTRIES).default([]),
  prefixes: z.array(digitsPrefix).max(MAX_BLOCKED_ENTRIES).default([]),
  withheld: z.boolean().default(false),
});

const closedAction = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('message'), text: printable(MAX_SPOKEN_LENGTH) }),
  z.strictObject({ type: z.literal('forward'), number: phoneNumber }),
  z.strictObject({ type: z.literal('voicemail'), greeting: printable(MAX_SPOKEN_LENGTH).default(DEFAULT_VOICEMAIL_GREETING) }),
]);

/** A BCP-47 tag such as en-GB or es-419 (Vonage's transcription languages are all of this shape). */
const languageTag = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$/, 'must be a BCP-47 language tag such as en-GB');

export const routeSchema = z.strictObject({
  timeZone: z.string().max(64).refine(isTimeZone, 'is not an IANA time zone such as Europe/London or America/New_York').nullable().default(null),
  hours: hours.nullable().default(null),
  closedDates: z.array(localDate).max(MAX_CLOSED_DATES).default([]),
  destinations: z
    .array(z.strictObject({
      number: phoneNumber,
      ringSeconds: z.number().int().min(MIN_RING_SECONDS).max(MAX_RING_SECONDS).nullable().default(null),
    }))
    .min(1, 'must list at least one destination (leave it out to use forwardTo)')
    .max(MAX_DESTINATIONS)
    .nullable()
    .default(null),
  strategy: z.enum(['in_order', 'round_robin']).default('in_order'),
  closedAction: closedAction.nullable().default(null),
  blockList: blockListSchema.default({ numbers: [], prefixes: [], withheld: false }),
  record: z.strictObject({ notice: printable(MAX_SPOKEN_LENGTH).nullable().default(null) }).nullable().default(null),
  voicemail: z.strictObject({ greeting: printable(MAX_SPOKEN_LENGTH).nullable().default(null) }).nullable().default(null),
  transcription: z.strictObject({ language: languageTag }).nullable().default(null),
}).refine((route) => route.transcription === null || route.record !== null || route.voicemail !== null, {
  message: 'transcribes recordings: turn on "record" or "voicemail" too', path: ['transcription'],
}) satisfies z.ZodType<RouteSettings, unknown>;

/** The first problem, as `"field.path" message`. */
export function describeIssue(error: z.ZodError, prefix: string[] = []): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid body';
  const keys = (issue as { keys?: string[] }).keys;
  const path = [...prefix, ...issue.path.map(String)];
  if (keys?.length) return `"${[...path, keys[0]].join('.')}" is not a field this API knows`;
  return `"${path.join('.')}" ${issue.message}`;
}

export function parseBlockList(body: unknown): BlockList {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('send a JSON object such as {"numbers": ["+44 7700 900123"], "prefixes": ["+1 900"], "withheld": true}');
  }
  const parsed = blockListSchema.safeParse(body);
  if (!parsed.success) throw badRequest(describeIssue(parsed.error));
  return parsed.data;
}
