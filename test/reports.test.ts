import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CallAttribution } from '../src/domain/attribution/call-attribution.js';
import { NumberAssigner } from '../src/domain/attribution/number-assigner.js';
import { visitSourceFrom, type VisitTags } from '../src/domain/attribution/visit-source.js';
import type { CallEvent, CallRecord, InboundCall } from '../src/domain/calls.js';
import { buildCampaignReport, type ReportRow } from '../src/domain/reports.js';
import type { MediaJob } from '../src/domain/recordings.js';
import type { CallStore } from '../src/store/call-store.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { openPostgresStore } from '../src/store/postgres/postgres-store.js';
import { ROLLUP_LOCK_KEY } from '../src/store/postgres/report-rollup.js';
import pg from 'pg';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { parseEventPayload } from '../src/http/webhook-payloads.js';
import { scriptCall, seededRandom, shuffled, type FlowName } from './helpers/call-flows.js';
import { createTestDatabase, postgresSkipReason } from './helpers/postgres.js';
import { startTestService, type TestService } from './helpers/service.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const WINDOW_START = Date.UTC(2026, 2, 1, 0, 0, 0);
const WINDOW_DAYS = 9;
const SEED = 20261124;
const CALLS = 420;

/**
 * Every campaign's tracking numbers; 442080000004 moves from Radio to Web halfway through; the
 * pooled ones are a number pool's, shown to website visitors.
 */
const NUMBERS: { number: string; campaign: string | null; laterCampaign?: string; pooled?: true }[] = [
  { number: '442080000001', campaign: 'Radio' },
  { number: '442080000002', campaign: 'Radio' },
  { number: '442080000003', campaign: 'Billboard' },
  { number: '442080000004', campaign: 'Radio', laterCampaign: 'Web' },
  { number: '442080000005', campaign: 'Web', pooled: true },
  { number: '442080000006', campaign: '-2+3 promo', pooled: true },
  { number: '442080000007', campaign: null },
];
const POOL_NUMBERS = NUMBERS.filter((line) => line.pooled).map((line) => line.number);
const HOLD_MS = 30 * 60_000;
const REASSIGNED_AT = WINDOW_START + Math.floor(WINDOW_DAYS / 2) * DAY_MS + 5 * HOUR_MS;

/** The phones calls are forwarded to; each call rings one, chosen by its position. */
const DESTINATIONS = ['447700900000', '447700900001', '447700900002'];

type Flow = FlowName | 'still ringing' | 'still talking' | 'blocked';
const FLOWS: Flow[] = ['answered', 'answered', 'answered', 'busy', 'timeout', 'unanswered', 'caller hangs up while ringing', 'still ringing', 'still talking'];

/** What a call is, known independently of any store: the truth the reports are checked against. */
interface TrueCall {
  uuid: string;
  trackingNumber: string;
  campaign: string | null;
  caller: string | null;
  startedAt: number;
  outcome: 'answered' | 'missed' | 'in_progress' | 'blocked';
  /** Talk time; null while an answered call is still going. */
  durationSeconds: number | null;
  /** The destination that answered; null when none has. */
  answeredBy: string | null;
  conversationUuid: string;
  /** Whether a recording of the conversation arrived. */
  recorded: boolean;
  /** Whether the caller left a voicemail (only once every destination failed: missed calls). */
  voicemail: boolean;
}

interface Generated {
  truth: TrueCall[];
  inbound: InboundCall[];
  events: CallEvent[];
  /** Calls handed over complete, through the bulk path. */
  imported: CallRecord[];
  /** Recording webhooks' jobs: recordings, voicemails, transcripts of them, repeats, strays. */
  media: MediaJob[];
}

function mediaJob(kind: MediaJob['kind'], id: string, conversationUuid: string, at: number): MediaJob {
  return {
    id, kind, conversationUuid, recordingId: null, url: `https://api.nexmo.com/v1/files/${id}`, sizeBytes: 1000,
    startedAt: new Date(at), endedAt: new Date(at + 60_000), receivedAt: new Date(at + 70_000), expiresAt: new Date(at + 30 * DAY_MS),
  };
}

/** A seeded mix of call flows: repeat and withheld callers, every outcome, ties in time. */
function generateCalls(seed: number): Generated {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const callers = Array.from({ length: 60 }, (_, i) => `4477009${String(10000 + i * 37)}`);
  // The recordings draw from their own sequence, so the calls stay the mix they were before them.
  const mediaRandom = seededRandom(seed + 14);
  const generated: Generated = { truth: [], inbound: [], events: [], imported: [], media: [] };
  let previousStart = WINDOW_START;
  for (let i = 0; i < CALLS; i++) {
    const line = pick(NUMBERS);
    // Some calls start in the same millisecond as the one before, often from the same caller.
    const startedAt = random() < 0.05 ? previousStart : WINDOW_START + Math.floor(random() * WINDOW_DAYS * DAY_MS);
    previousStart = startedAt;
    const caller = random() < 0.1 ? null : random() < 0.3 ? pick(callers.slice(0, 6)) : pick(callers);
    const campaign = line.laterCampaign !== undefined && startedAt >= REASSIGNED_AT ? line.laterCampaign : line.campaign;
    const picked = pick(FLOWS);
    // Every other call still ringing is a blocked one instead: both draw nothing more from the
    // seeded sequence, so the rest of the mix stays as it was.
    const flow: Flow = picked === 'still ringing' && i % 2 === 0 ? 'blocked' : picked;
    const script = scriptCall(
      caller === null ? 'withheld caller' : flow === 'still ringing' || flow === 'still talking' || flow === 'blocked' ? 'answered' : flow,
      line.number, caller, startedAt,
    );
    const destination = DESTINATIONS[i % DESTINATIONS.length]!;
    const events = script.events.map((body): Record<string, string> => (body.direction === 'outbound' ? { ...body, to: destination } : { ...body }));
    let outcome: TrueCall['outcome'] = script.expected.outcome;
    let durationSeconds: number | null = script.expected.durationSeconds;
    if (flow === 'blocked') {
      // A blocked caller hears a message on their own leg and is never connected.
      events.splice(0, events.length, ...events.filter((e) => e.direction === 'inbound'));
      outcome = 'blocked';
      durationSeconds = null;
    } else if (flow === 'still ringing') {
      events.splice(5);
      outcome = 'in_progress';
      durationSeconds = null;
    } else if (flow === 'still talking') {
      events.splice(6);
      durationSeconds = null;
    } else if (outcome === 'answered') {
      // Talk times on both sides of the thresholds the tests use.
      durationSeconds = 1 + Math.floor(random() * 180);
      const forwardedCompleted = events.find((e) => e.status === 'completed' && e.direction === 'outbound')!;
      forwardedCompleted.duration = String(durationSeconds);
    }
    const answeredBy = outcome === 'answered' ? destination : null;
    const recorded = outcome !== 'blocked' && mediaRandom() < 0.4;
    const voicemail = outcome === 'missed' && mediaRandom() < 0.5;
    if (recorded) generated.media.push(mediaJob('call', `rec-${i}`, script.conversationUuid, startedAt));
    if (voicemail) generated.media.push(mediaJob('voicemail', `vm-${i}`, script.conversationUuid, startedAt));
    // A transcript counts for nothing; a retried webhook counts once.
    if (recorded && mediaRandom() < 0.3) generated.media.push({ ...mediaJob('transcript', `transcript-rec-${i}`, script.conversationUuid, startedAt), recordingId: `rec-${i}` });
    if (voicemail && mediaRandom() < 0.3) generated.media.push(mediaJob('voicemail', `vm-${i}`, script.conversationUuid, startedAt));
    generated.truth.push({
      uuid: script.uuid, trackingNumber: line.number, campaign, caller, startedAt, outcome, durationSeconds, answeredBy,
      conversationUuid: script.conversationUuid, recorded, voicemail,
    });
    const inbound: InboundCall = {
      uuid: script.uuid, conversationUuid: script.conversationUuid, trackingNumber: line.number, caller, campaign,
      forwardTo: '447700900000', startedAt: new Date(startedAt), ...(outcome === 'blocked' && { blocked: true }),
      ...(line.pooled && { pooled: true }),
    };
    if (random() < 0.25) {
      generated.imported.push({
        ...inbound, outcome, durationSeconds, answeredBy, answeredAt: outcome === 'answered' ? new Date(startedAt + 6000) : null,
        endedAt: null, inboundStatus: null, forwardedStatus: null,
      });
    } else {
      generated.inbound.push(inbound);
      generated.events.push(...events.map((body) => parseEventPayload(body, new Date(startedAt))));
    }
  }
  // A recording of a conversation no call is stored for changes no figure.
  generated.media.push(mediaJob('call', 'rec-stray', 'CON-no-such-call', WINDOW_START));
  return generated;
}

/** A website visit's start, or a heartbeat of the visit planned `visit`-th. */
type VisitStep = { at: number; kind: 'visit'; visit: number; tags: VisitTags } | { at: number; kind: 'heartbeat'; visit: number };

const NO_TAGS: VisitTags = {
  utmSource: null, utmMedium: null, utmCampaign: null, utmTerm: null, utmContent: null, gclid: null, referrer: null, landingPage: null,
};
const LANDING = 'https://shop.example/';
/** Where visits come from: an ad click, tagged e-mail and social links, a search engine, direct. */
const VISIT_TAGS: VisitTags[] = [
  { ...NO_TAGS, gclid: 'Cj0-click', landingPage: LANDING },
  { ...NO_TAGS, utmSource: 'newsletter', utmMedium: 'email', utmCampaign: 'march', landingPage: LANDING },
  { ...NO_TAGS, utmSource: 'facebook', utmMedium: 'social', landingPage: LANDING },
  { ...NO_TAGS, referrer: 'https://www.bing.com/search', landingPage: LANDING },
  { ...NO_TAGS, landingPage: LANDING },
];

/**
 * Website visits over the window, in time order, each at its own millisecond: often alone, at
 * times in bursts that exhaust the two-number pool; some send heartbeats that extend their hold.
 */
function planVisits(seed: number): VisitStep[] {
  const random = seededRandom(seed);
  const steps: VisitStep[] = [];
  let visits = 0;
  for (let i = 0; i < 260; i++) {
    const at = WINDOW_START + Math.floor(random() * WINDOW_DAYS * DAY_MS);
    const burst = random() < 0.2 ? 3 : 1;
    for (let b = 0; b < burst; b++) {
      const visit = visits++;
      steps.push({ at: at + b * 60_000, kind: 'visit', visit, tags: VISIT_TAGS[Math.floor(random() * VISIT_TAGS.length)]! });
      if (random() < 0.4) steps.push({ at: at + b * 60_000 + 20 * 60_000, kind: 'heartbeat', visit });
    }
  }
  steps.sort((a, b) => a.at - b.at);
  steps.forEach((step, i) => {
    step.at += i; // no two steps in one millisecond: holds never tie
  });
  return steps;
}

/** A hold as the assigner reported it: the truth calls are credited from. */
interface KnownHold {
  visitId: string;
  number: string;
  from: number;
  until: number;
  tags: VisitTags;
}

/** Gives the planned visits their numbers through the store, on a test clock; returns the holds. */
async function runVisits(store: CallStore, steps: readonly VisitStep[]): Promise<KnownHold[]> {
  await store.dni.savePool({ id: 'website', campaign: 'Web', replacesNumber: '442080000000', numbers: POOL_NUMBERS, holdSeconds: HOLD_MS / 1000 });
  const clock = { ms: 0 };
  const assigner = new NumberAssigner(store.dni, () => new Date(clock.ms));
  const holds = new Map<number, KnownHold>();
  for (const step of steps) {
    clock.ms = step.at;
    if (step.kind === 'visit') {
      const outcome = await assigner.numberFor('website', null, visitSourceFrom(step.tags));
      assert.equal(outcome.kind, 'held');
      if (outcome.kind !== 'held') continue;
      holds.set(step.visit, { visitId: outcome.visitId, number: outcome.number, from: step.at, until: outcome.heldUntil.getTime(), tags: step.tags });
    } else {
      const hold = holds.get(step.visit)!;
      const renewed = await assigner.renew(hold.visitId);
      if (renewed !== null) hold.until = renewed.heldUntil.getTime();
    }
  }
  return [...holds.values()];
}

/**
 * The visit a call is credited to, from the holds alone: the latest given of those live on its
 * number when it came in, ambiguous when there are two or more; none for other numbers.
 */
function expectedAttribution(call: TrueCall, holds: readonly KnownHold[]): CallAttribution | null {
  if (!POOL_NUMBERS.includes(call.trackingNumber)) return null;
  const live = holds.filter((h) => h.number === call.trackingNumber && h.from <= call.startedAt && call.startedAt < h.until);
  const latest = live.sort((a, b) => b.from - a.from)[0];
  if (latest === undefined) return null;
  return { ...visitSourceFrom(latest.tags), visitId: latest.visitId, poolId: 'website', ambiguous: live.length > 1 };
}

/**
 * Writes the calls the way production does, in a scrambled order and in batches. A recording
 * comes after its call is stored (Vonage sends it once the call is over), before or after the
 * call's events.
 */
async function fillStore(store: CallStore, generated: Generated, seed: number, attributionOf: (uuid: string) => CallAttribution | null): Promise<void> {
  const random = seededRandom(seed);
  type Write = { kind: 'call'; call: InboundCall } | { kind: 'event'; event: CallEvent } | { kind: 'import'; call: CallRecord }
    | { kind: 'media'; job: MediaJob };
  const writes: Write[] = shuffled<Write>([
    ...generated.inbound.map((call) => ({ kind: 'call' as const, call })),
    ...generated.events.map((event) => ({ kind: 'event' as const, event })),
    // The bulk path stores records as given, their attribution too.
    ...generated.imported.map((call) => ({ kind: 'import' as const, call: { ...call, attribution: attributionOf(call.uuid) } })),
    ...generated.media.map((job) => ({ kind: 'media' as const, job })),
  ], random);
  const storedConversations = new Set<string | null>();
  let waiting: MediaJob[] = [];
  for (let start = 0; start < writes.length; start += 40) {
    const batch = writes.slice(start, start + 40);
    const calls = batch.flatMap((w) => (w.kind === 'call' ? [w.call] : []));
    const imported = batch.flatMap((w) => (w.kind === 'import' ? [w.call] : []));
    await store.recordCalls(calls);
    await store.importCalls(imported);
    for (const call of [...calls, ...imported]) storedConversations.add(call.conversationUuid);
    const media = [...waiting, ...batch.flatMap((w) => (w.kind === 'media' ? [w.job] : []))];
    waiting = media.filter((job) => !storedConversations.has(job.conversationUuid));
    for (const job of media) if (storedConversations.has(job.conversationUuid)) await store.media.saveMediaJob(job);
    await store.recordEvents(batch.flatMap((w) => (w.kind === 'event' ? [w.event] : [])));
  }
  for (const job of waiting) await store.media.saveMediaJob(job);
}

/** The zones every report is checked in: whole-hour, half-hour and 45-minute offsets, DST. */
const ZONES = ['UTC', 'America/New_York', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Adelaide'];
const WEEKDAY_NUMBERS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** Local day, weekday (Sunday = 0) and hour of an instant, read from Intl directly. */
function localTime(ms: number, zone: string): { day: string; weekday: number; hour: number } {
  const parts: Record<string, string> = {};
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', weekday: 'short',
  });
  for (const part of format.formatToParts(ms)) parts[part.type] = part.value;
  return { day: `${parts.year}-${parts.month}-${parts.day}`, weekday: WEEKDAY_NUMBERS[parts.weekday!]!, hour: Number(parts.hour) };
}

const compareCampaigns = (a: string | null, b: string | null) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1);
const earlier = (a: TrueCall, b: TrueCall) => a.startedAt - b.startedAt || (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0);

function expectedRow(campaign: string | null, calls: TrueCall[], firstCalls: Set<TrueCall>, qualifiedCallSeconds: number): ReportRow {
  const answered = calls.filter((c) => c.outcome === 'answered');
  const missed = calls.filter((c) => c.outcome === 'missed').length;
  const blocked = calls.filter((c) => c.outcome === 'blocked').length;
  const totalDurationSeconds = answered.reduce((sum, c) => sum + (c.durationSeconds ?? 0), 0);
  return {
    campaign,
    trackingNumbers: [...new Set(calls.map((c) => c.trackingNumber))].sort(),
    calls: calls.length,
    uniqueCallers: new Set(calls.flatMap((c) => (c.caller === null ? [] : [c.caller]))).size,
    firstTimeCallers: calls.filter((c) => firstCalls.has(c)).length,
    answered: answered.length,
    missed,
    blocked,
    answerRate: answered.length + missed === 0 ? null : answered.length / (answered.length + missed),
    averageDurationSeconds: answered.length === 0 ? null : totalDurationSeconds / answered.length,
    totalDurationSeconds,
    qualifiedCalls: answered.filter((c) => (c.durationSeconds ?? 0) >= qualifiedCallSeconds).length,
    voicemails: calls.filter((c) => c.voicemail).length,
    recordedCalls: calls.filter((c) => c.recorded).length,
  };
}

function expectedFirstCalls(truth: TrueCall[]) {
  const firstCalls = new Set<TrueCall>();
  const seen = new Set<string>();
  for (const call of [...truth].sort(earlier)) {
    if (call.caller !== null && !seen.has(call.caller)) firstCalls.add(call), seen.add(call.caller);
  }
  return { firstCalls };
}

function expectedReport(truth: TrueCall[], since: number, until: number, qualifiedCallSeconds: number) {
  const { firstCalls } = expectedFirstCalls(truth);
  const inRange = truth.filter((c) => c.startedAt >= since && c.startedAt < until);
  const campaigns = [...new Set(inRange.map((c) => c.campaign))];
  const rows = campaigns
    .map((campaign) => expectedRow(campaign, inRange.filter((c) => c.campaign === campaign), firstCalls, qualifiedCallSeconds))
    .sort((a, b) => b.calls - a.calls || compareCampaigns(a.campaign, b.campaign));
  return { rows, totals: expectedRow(null, inRange, firstCalls, qualifiedCallSeconds) };
}

function expectedDaily(truth: TrueCall[], since: number, until: number, zone: string) {
  const days = new Map<string, { day: string; campaign: string | null; calls: number; answered: number; missed: number }>();
  for (const call of truth.filter((c) => c.startedAt >= since && c.startedAt < until)) {
    const { day } = localTime(call.startedAt, zone);
    const key = JSON.stringify([day, call.campaign]);
    const row = days.get(key) ?? { day, campaign: call.campaign, calls: 0, answered: 0, missed: 0 };
    row.calls += 1;
    if (call.outcome === 'answered') row.answered += 1;
    if (call.outcome === 'missed') row.missed += 1;
    days.set(key, row);
  }
  return [...days.values()].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : compareCampaigns(a.campaign, b.campaign)));
}

function expectedHourOfWeek(truth: TrueCall[], since: number, until: number, zone: string): number[][] {
  const counts = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
  for (const call of truth.filter((c) => c.startedAt >= since && c.startedAt < until)) {
    const { weekday, hour } = localTime(call.startedAt, zone);
    counts[weekday]![hour]! += 1;
  }
  return counts;
}

/** Number rows: one per tracking number and campaign, sorted by calls, number, campaign. */
function expectedNumberRows(truth: TrueCall[], since: number, until: number, qualifiedCallSeconds: number) {
  const { firstCalls } = expectedFirstCalls(truth);
  const inRange = truth.filter((c) => c.startedAt >= since && c.startedAt < until);
  const pairs = [...new Map(inRange.map((c) => [JSON.stringify([c.trackingNumber, c.campaign]), c])).values()];
  return pairs
    .map((pair) => ({
      trackingNumber: pair.trackingNumber,
      ...expectedRow(pair.campaign, inRange.filter((c) => c.trackingNumber === pair.trackingNumber && c.campaign === pair.campaign), firstCalls, qualifiedCallSeconds),
    }))
    .sort((a, b) => b.calls - a.calls || (a.trackingNumber < b.trackingNumber ? -1 : a.trackingNumber > b.trackingNumber ? 1 : 0) || compareCampaigns(a.campaign, b.campaign));
}

/**
 * Destination rows: one per destination that answered, and one (answeredBy null) for the calls
 * nobody answered; distinct callers are per campaign and number only.
 */
function expectedDestinationRows(truth: TrueCall[], since: number, until: number, qualifiedCallSeconds: number) {
  const { firstCalls } = expectedFirstCalls(truth);
  const inRange = truth.filter((c) => c.startedAt >= since && c.startedAt < until);
  return [...new Set(inRange.map((c) => c.answeredBy))]
    .map((answeredBy) => {
      const { campaign: _, ...row } = expectedRow(null, inRange.filter((c) => c.answeredBy === answeredBy), firstCalls, qualifiedCallSeconds);
      return { answeredBy, ...row, uniqueCallers: null };
    })
    .sort((a, b) => b.calls - a.calls || compareCampaigns(a.answeredBy, b.answeredBy));
}

/**
 * Rows by website source and medium (`by` 'source'), or by medium alone: the calls credited to
 * no visit in a row of nulls; distinct callers are per campaign and number only.
 */
function expectedSourceRows(
  by: 'source' | 'medium', attributionOf: (call: TrueCall) => CallAttribution | null, since: number, until: number, qualifiedCallSeconds: number,
) {
  const { firstCalls } = expectedFirstCalls(truth);
  const inRange = truth.filter((c) => c.startedAt >= since && c.startedAt < until);
  const keyOf = (call: TrueCall) => {
    const attribution = attributionOf(call);
    return { ...(by === 'source' && { source: attribution?.source ?? null }), medium: attribution?.medium ?? null };
  };
  const keys = [...new Set(inRange.map((c) => JSON.stringify(keyOf(c))))];
  return keys
    .map((key) => {
      const { campaign: _, ...row } = expectedRow(null, inRange.filter((c) => JSON.stringify(keyOf(c)) === key), firstCalls, qualifiedCallSeconds);
      return { ...(JSON.parse(key) as { source?: string | null; medium: string | null }), ...row, uniqueCallers: null };
    })
    .sort((a, b) => b.calls - a.calls || compareCampaigns(a.source ?? null, b.source ?? null) || compareCampaigns(a.medium, b.medium));
}

const generated = generateCalls(SEED);
const VISIT_STEPS = planVisits(SEED + 2);
/** The zones the reports by source are checked in, besides the local days below. */
const SOURCE_ZONES = ['UTC', 'America/New_York', 'Asia/Kolkata'];
const truth = generated.truth;
const sortedStarts = [...new Set(truth.map((c) => c.startedAt))].sort((a, b) => a - b);
const at = (index: number) => sortedStarts[index]!;

/** Ranges that start and end anywhere: whole days, odd milliseconds, inside one hour, on a call. */
const RANGES: [string, number, number][] = [
  ['all time', Date.UTC(2000, 0, 1), Date.UTC(2100, 0, 1)],
  ['whole days', WINDOW_START + DAY_MS, WINDOW_START + 4 * DAY_MS],
  ['odd edges', WINDOW_START + 2 * DAY_MS + 3 * HOUR_MS + 17 * 60_000 + 5123, WINDOW_START + 7 * DAY_MS + 11 * HOUR_MS + 59 * 60_000 + 1],
  // More calls in the range than after it: its returning callers are read from the buckets before it.
  ['most of the history, odd edges', WINDOW_START + DAY_MS + 7 * 60_000 + 31, WINDOW_START + (WINDOW_DAYS - 2) * DAY_MS + 5 * HOUR_MS + 999],
  ['starting on a call and ending on another', at(40), at(300)],
  ['within one hour', WINDOW_START + 3 * DAY_MS + 14 * HOUR_MS + 60_000, WINDOW_START + 3 * DAY_MS + 14 * HOUR_MS + 59 * 60_000],
  ['after the reassignment', REASSIGNED_AT, WINDOW_START + WINDOW_DAYS * DAY_MS],
  ['one millisecond holding a call', at(100), at(100) + 1],
];

/**
 * Local days asked for with bare dates, and where they begin and end (written out by hand): New
 * York's 23-hour day as DST starts, Kathmandu's +5:45, Kolkata's +5:30, Adelaide's +10:30.
 */
const LOCAL_DAYS: { zone: string; since: string; until: string; from: number; to: number }[] = [
  { zone: 'America/New_York', since: '2026-03-08', until: '2026-03-09', from: Date.UTC(2026, 2, 8, 5), to: Date.UTC(2026, 2, 9, 4) },
  { zone: 'America/New_York', since: '2026-03-02', until: '2026-03-09', from: Date.UTC(2026, 2, 2, 5), to: Date.UTC(2026, 2, 9, 4) },
  { zone: 'Asia/Kathmandu', since: '2026-03-03', until: '2026-03-06', from: Date.UTC(2026, 2, 2, 18, 15), to: Date.UTC(2026, 2, 5, 18, 15) },
  { zone: 'Asia/Kolkata', since: '2026-03-04', until: '2026-03-05', from: Date.UTC(2026, 2, 3, 18, 30), to: Date.UTC(2026, 2, 4, 18, 30) },
  { zone: 'Australia/Adelaide', since: '2026-03-02', until: '2026-03-07', from: Date.UTC(2026, 2, 1, 13, 30), to: Date.UTC(2026, 2, 6, 13, 30) },
];

const cleanups: (() => Promise<void>)[] = [];
const BACKENDS: { name: string; skip?: string; open(): Promise<CallStore> }[] = [
  { name: 'memory', open: async () => new MemoryStore() },
  {
    name: 'sqlite',
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ct-reports-'));
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      return openSqliteStore(join(dir, 'calls.db'));
    },
  },
  {
    name: 'postgres',
    skip: postgresSkipReason,
    open: async () => {
      const database = await createTestDatabase('reports');
      cleanups.push(database.drop);
      return openPostgresStore(database.url);
    },
  },
  {
    // Every call stays pending: a connection of the test's holds the rollup's lock throughout, so
    // each report reads the buckets (empty) plus what the pending calls would add.
    name: 'not-yet-counted PostgreSQL',
    skip: postgresSkipReason,
    open: async () => {
      const database = await createTestDatabase('reports_pending');
      const holder = new pg.Client({ connectionString: database.url });
      await holder.connect();
      cleanups.push(() => holder.end(), database.drop);
      await holder.query('SELECT pg_advisory_lock($1)', [ROLLUP_LOCK_KEY]);
      return openPostgresStore(database.url);
    },
  },
];

after(async () => {
  for (const cleanup of cleanups) await cleanup();
});

for (const backend of BACKENDS) {
  describe(`report figures (${backend.name} store)`, { skip: backend.skip }, () => {
    let store: CallStore;
    /** One service per zone, each with TIMEZONE set to it, all over the one store. */
    const services = new Map<string, TestService>();
    let service: TestService;
    /** Each call's visit, from the holds the assigner gave (calls to other numbers: none). */
    const attributions = new Map<string, CallAttribution | null>();
    const attributionOf = (call: TrueCall) => attributions.get(call.uuid) ?? null;
    before(async () => {
      store = await backend.open();
      const holds = await runVisits(store, VISIT_STEPS);
      for (const call of truth) attributions.set(call.uuid, expectedAttribution(call, holds));
      await fillStore(store, generated, SEED + 1, (uuid) => attributions.get(uuid) ?? null);
      for (const zone of ZONES) services.set(zone, await startTestService({ QUALIFIED_CALL_SECONDS: '60', TIMEZONE: zone }, store));
      service = services.get('UTC')!;
    });
    after(async () => {
      for (const running of services.values()) await running.stop();
      await store.close();
    });

    const getIn = async (zone: string, path: string, since: number | string, until: number | string, extra: Record<string, string> = {}) => {
      const time = (t: number | string) => (typeof t === 'number' ? new Date(t).toISOString() : t);
      const query = new URLSearchParams({ since: time(since), until: time(until), ...extra });
      const running = services.get(zone)!;
      const res = await fetch(`${running.url}${path}?${query}`, { headers: running.admin });
      assert.equal(res.status, 200);
      return res.json();
    };
    const get = (path: string, since: number, until: number) => getIn('UTC', path, since, until);

    test('the seeded mix holds what the figures must handle', () => {
      assert.ok(truth.some((c) => c.caller === null), 'withheld callers');
      assert.ok(truth.some((c) => c.outcome === 'in_progress'), 'calls in progress');
      assert.ok(truth.some((c) => c.outcome === 'blocked'), 'blocked callers');
      assert.deepEqual(new Set(truth.map((c) => c.answeredBy)), new Set([...DESTINATIONS, null]), 'every destination answers some calls');
      assert.ok(truth.some((c) => c.outcome === 'answered' && c.durationSeconds === null), 'answered calls still talking');
      assert.ok(truth.some((c) => c.voicemail) && truth.some((c) => c.outcome === 'missed' && !c.voicemail), 'missed calls with and without a voicemail');
      assert.ok(truth.some((c) => c.recorded && c.outcome === 'answered') && truth.some((c) => c.recorded && c.outcome !== 'answered'), 'recorded calls of each kind');
      assert.ok(generated.media.some((job) => job.kind === 'transcript'), 'transcripts');
      assert.ok(new Set(truth.map((c) => c.caller)).size < truth.length / 3, 'repeat callers');
      assert.ok(truth.some((a) => truth.some((b) => a !== b && a.caller !== null && a.caller === b.caller && a.startedAt === b.startedAt)), 'a caller twice in one millisecond');
      const reassigned = truth.filter((c) => c.trackingNumber === '442080000004');
      assert.deepEqual(new Set(reassigned.map((c) => c.campaign)), new Set(['Radio', 'Web']));
      const dstDay = LOCAL_DAYS[0]!;
      assert.ok(truth.some((c) => c.startedAt >= dstDay.from && c.startedAt < dstDay.to), 'calls on the day DST starts in New York');
      const credited = truth.filter((c) => attributionOf(c) !== null);
      assert.ok(new Set(credited.map((c) => attributionOf(c)!.source)).size === VISIT_TAGS.length, 'calls from every kind of visit');
      assert.ok(credited.some((c) => attributionOf(c)!.ambiguous), 'calls while two visits held the number');
      assert.ok(credited.some((c) => generated.imported.some((i) => i.uuid === c.uuid)), 'credited calls imported');
      assert.ok(truth.some((c) => POOL_NUMBERS.includes(c.trackingNumber) && attributionOf(c) === null), 'pool calls no visit held');
    });

    test('every call is credited to the visit the holds say, ambiguous when two held its number', async () => {
      for (const call of truth) assert.deepEqual((await store.findCall(call.uuid))?.attribution ?? null, attributionOf(call), call.uuid);
    });

    for (const [label, since, until] of RANGES) {
      test(`the campaign report matches the definitions over a range ${label}`, async () => {
        const report = await get('/api/report', since, until);
        const expected = expectedReport(truth, since, until, 60);
        assert.ok(expected.totals.calls > 0 || label === 'within one hour');
        assert.deepEqual({ rows: report.rows, totals: report.totals }, expected);
      });

      test(`the report by tracking number matches the definitions over a range ${label}`, async () => {
        const report = await getIn('UTC', '/api/report', since, until, { groupBy: 'number' });
        assert.deepEqual({ rows: report.rows, totals: report.totals }, {
          rows: expectedNumberRows(truth, since, until, 60), totals: expectedReport(truth, since, until, 60).totals,
        });
      });

      test(`the report by the destination that answered matches the definitions over a range ${label}`, async () => {
        const report = await getIn('UTC', '/api/report', since, until, { groupBy: 'destination' });
        assert.deepEqual({ rows: report.rows, totals: report.totals }, {
          rows: expectedDestinationRows(truth, since, until, 60), totals: expectedReport(truth, since, until, 60).totals,
        });
      });

      for (const zone of SOURCE_ZONES) {
        test(`the reports by website source and by medium match the definitions over a range ${label}, TIMEZONE=${zone}`, async () => {
          const totals = expectedReport(truth, since, until, 60).totals;
          for (const by of ['source', 'medium'] as const) {
            const report = await getIn(zone, '/api/report', since, until, { groupBy: by });
            assert.deepEqual({ rows: report.rows, totals: report.totals }, { rows: expectedSourceRows(by, attributionOf, since, until, 60), totals });
          }
        });
      }

      for (const zone of ZONES) {
        test(`calls per day and the hour-of-week grid match the calls over a range ${label}, TIMEZONE=${zone}`, async () => {
          assert.deepEqual((await getIn(zone, '/api/report/daily', since, until)).days, expectedDaily(truth, since, until, zone));
          const grid = await getIn(zone, '/api/report/hour-of-week', since, until);
          assert.equal(grid.timezone, zone);
          assert.deepEqual(grid.counts, expectedHourOfWeek(truth, since, until, zone));
        });
      }
    }

    for (const zone of SOURCE_ZONES) {
      test(`the report by website source counts credited calls in the partial slots at a range's edges, TIMEZONE=${zone}`, async () => {
        const credited = truth.filter((c) => attributionOf(c) !== null).sort(earlier);
        const ambiguous = credited.find((c) => attributionOf(c)!.ambiguous)!;
        const ranges = [[credited[3]!.startedAt, credited[credited.length - 4]!.startedAt + 1], [ambiguous.startedAt, ambiguous.startedAt + 1]];
        for (const [since, until] of ranges as [number, number][]) {
          const report = await getIn(zone, '/api/report', since, until, { groupBy: 'source' });
          assert.deepEqual(report.rows, expectedSourceRows('source', attributionOf, since, until, 60));
        }
      });
    }

    for (const day of LOCAL_DAYS) {
      test(`bare dates are local days: ${day.since} to ${day.until} in ${day.zone}, by TIMEZONE and by tz=`, async () => {
        const expected = expectedReport(truth, day.from, day.to, 60);
        for (const [zone, extra] of [[day.zone, {}], ['UTC', { tz: day.zone }]] as const) {
          const report = await getIn(zone, '/api/report', day.since, day.until, extra);
          assert.deepEqual([report.since, report.until], [new Date(day.from).toISOString(), new Date(day.to).toISOString()]);
          assert.deepEqual({ rows: report.rows, totals: report.totals }, expected);
          const bySource = await getIn(zone, '/api/report', day.since, day.until, { ...extra, groupBy: 'source' });
          assert.deepEqual(bySource.rows, expectedSourceRows('source', attributionOf, day.from, day.to, 60));
          const daily = await getIn(zone, '/api/report/daily', day.since, day.until, extra);
          assert.deepEqual(daily.days, expectedDaily(truth, day.from, day.to, day.zone));
          assert.deepEqual(new Set(daily.days.map((d: { day: string }) => d.day)).size <= (day.to - day.from) / (23 * HOUR_MS), true);
        }
      });
    }

    test('qualified calls follow the threshold each report asks for', async () => {
      const [, since, until] = RANGES[2]!;
      for (const seconds of [0, 30, 60, 121, 60]) {
        const report = await buildCampaignReport(store.reports, { since: new Date(since), until: new Date(until) }, { qualifiedCallSeconds: seconds, groupBy: 'campaign', timezone: 'UTC' });
        const expected = expectedReport(truth, since, until, seconds);
        assert.deepEqual(report.rows.map((r) => [r.campaign, r.qualifiedCalls]), expected.rows.map((r) => [r.campaign, r.qualifiedCalls]));
      }
    });

    test('a call whose outcome arrives later moves from calls only into answered', async () => {
      const script = scriptCall('answered', '442080000005', '447700955555', WINDOW_START + 12 * DAY_MS + 1234);
      await store.recordCalls([{
        uuid: script.uuid, conversationUuid: script.conversationUuid, trackingNumber: script.trackingNumber, caller: script.caller,
        campaign: 'Web', forwardTo: '447700900000', startedAt: new Date(WINDOW_START + 12 * DAY_MS + 1234),
      }]);
      const since = WINDOW_START + 12 * DAY_MS;
      const before = await get('/api/report', since, since + DAY_MS);
      assert.deepEqual(before.totals, { ...before.totals, calls: 1, answered: 0, missed: 0, uniqueCallers: 1, firstTimeCallers: 1 });
      await store.recordEvents(script.events.map((body) => parseEventPayload(body, new Date())));
      const after = await get('/api/report', since, since + DAY_MS);
      assert.deepEqual(after.totals, { ...after.totals, calls: 1, answered: 1, totalDurationSeconds: 42, qualifiedCalls: 0 });
    });

    test('an older call stored late takes over "first time" from the caller\'s later calls', async () => {
      const caller = '447700966666';
      const later = { ...generated.inbound[0]!, uuid: 'late-2', conversationUuid: 'CON-late-2', caller, startedAt: new Date(WINDOW_START + 15 * DAY_MS) };
      const earlierCall = { ...later, uuid: 'late-1', conversationUuid: 'CON-late-1', startedAt: new Date(WINDOW_START + 14 * DAY_MS) };
      const range = [WINDOW_START + 15 * DAY_MS, WINDOW_START + 16 * DAY_MS] as const;
      await store.recordCalls([later]);
      assert.equal((await get('/api/report', ...range)).totals.firstTimeCallers, 1);
      await store.recordCalls([earlierCall]);
      assert.equal((await get('/api/report', ...range)).totals.firstTimeCallers, 0);
      assert.equal((await get('/api/report', range[0] - DAY_MS, range[1])).totals.firstTimeCallers, 1);
      assert.equal((await get('/api/report', range[0] - DAY_MS, range[1])).totals.uniqueCallers, 1);
    });

    test('the 25-hour day when New York leaves DST counts its repeated hour once per call, on one local day', async () => {
      // 1 November 2026: 01:00-02:00 happens twice, first EDT (05:xxZ) then EST (06:xxZ).
      const starts = [Date.UTC(2026, 10, 1, 4, 30), Date.UTC(2026, 10, 1, 5, 30), Date.UTC(2026, 10, 1, 6, 30), Date.UTC(2026, 10, 2, 4, 59)];
      await store.importCalls(starts.map((ms, i) => ({
        ...generated.inbound[0]!, uuid: `fall-back-${i}`, conversationUuid: `CON-fall-back-${i}`, caller: null, startedAt: new Date(ms),
        outcome: 'missed' as const, answeredAt: null, endedAt: null, durationSeconds: 0, inboundStatus: null, forwardedStatus: null,
      })));
      const daily = await getIn('America/New_York', '/api/report/daily', '2026-11-01', '2026-11-02');
      assert.deepEqual([daily.since, daily.until], ['2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z']);
      assert.deepEqual(daily.days.map((d: { day: string; calls: number }) => [d.day, d.calls]), [['2026-11-01', 4]]);
      const grid = await getIn('America/New_York', '/api/report/hour-of-week', '2026-11-01', '2026-11-02');
      assert.deepEqual([grid.counts[0][0], grid.counts[0][1], grid.counts[0][23]], [1, 2, 1]);
    });
  });
}
