// Fills a store with a realistic, reproducible history of calls through the import's path
// (`importCallBatches`: into an empty store, the bulk load), for the report benchmark; keeps the
// filled SQLite file, and the data directory of a filled PostgreSQL, between runs.
//
// Also a command: `npx tsx bench/fill.ts <file.db> [calls]` fills a SQLite file to look at.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CallOutcome, CallRecord } from '../src/domain/calls.js';
import type { CallStore } from '../src/store/call-store.js';
import { consoleLogger } from '../src/logger.js';
import { openStore } from '../src/store/open-store.js';
import { postgresMigrations } from '../src/store/postgres/migrations.js';
import { sqliteMigrations } from '../src/store/sqlite/migrations.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { startKeptPostgres, type Postgres } from './postgres.js';

/** Bump when the generated data changes: cached files of another version are filled again. */
export const FILL_VERSION = 2;

const DAY_MS = 86_400_000;
const BUSINESS_PHONE = '447700900000';

export interface FillPlan {
  calls: number;
  days: number;
  /** Calls start before this instant; the last few minutes' calls are still in progress. */
  endAt: Date;
  seed: number;
}

export const CAMPAIGNS = [
  'Google Ads', 'Facebook', 'Radio FM 101', 'Billboard M4', 'Newspaper', 'Flyers', 'Yellow Pages',
  'Bing Ads', 'Instagram', 'TV regional', 'Podcast', 'Bus shelter', 'Email newsletter', 'Trade show',
  'Van livery', 'Website header', 'Website footer', 'Local magazine', 'Referral card', 'LinkedIn',
];
/** One tracking number per campaign, and one without a campaign (a number not yet assigned). */
export const FILL_TRACKING_NUMBERS = CAMPAIGNS.map((_, i) => `4420794602${String(i).padStart(2, '0')}`);
const UNASSIGNED_NUMBER = '442079460299';

/** Share of calls a campaign gets: a long tail, as real marketing mixes have. */
const CAMPAIGN_WEIGHTS = CAMPAIGNS.map((_, i) => 1 / (i + 1) ** 0.8);
const UNASSIGNED_SHARE = 0.01;
const WITHHELD_SHARE = 0.04;
const REPEAT_CALLER_SHARE = 0.3;
/** Calls started this close to endAt have not ended yet. */
const IN_PROGRESS_WINDOW_MS = 10 * 60_000;

/** How the forwarded leg ended for calls nobody answered, with how often each happens. */
const MISSES: { status: string; weight: number; ringSeconds: [number, number] }[] = [
  { status: 'unanswered', weight: 15, ringSeconds: [25, 40] },
  { status: 'busy', weight: 7, ringSeconds: [1, 4] },
  { status: 'timeout', weight: 4, ringSeconds: [30, 60] },
  { status: 'cancelled', weight: 3.5, ringSeconds: [3, 20] },
  { status: 'failed', weight: 0.5, ringSeconds: [0, 2] },
];
const ANSWERED_WEIGHT = 70;

/** Calls by hour of day (UTC): office hours busiest, nights nearly silent. */
const HOUR_WEIGHTS = [0.2, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.5, 3, 4.5, 5, 5, 4.2, 4.4, 4.6, 4.3, 3.8, 3, 2.2, 1.8, 1.4, 1, 0.7, 0.4];
/** Calls by day of week, Sunday first. */
const WEEKDAY_WEIGHTS = [0.4, 1.1, 1.05, 1, 1, 0.95, 0.6];

function pickWeighted<T>(items: readonly T[], weights: readonly number[], random: () => number): T {
  const total = weights.reduce((a, b) => a + b, 0);
  let r = random() * total;
  for (let i = 0; i < items.length; i++) {
    r -= weights[i]!;
    if (r < 0) return items[i]!;
  }
  return items[items.length - 1]!;
}

/** Standard normal, by Box–Muller. */
function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function uuidFrom(random: () => number): string {
  let hex = '';
  for (let i = 0; i < 4; i++) hex += Math.floor(random() * 0x1_0000_0000).toString(16).padStart(8, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** How many of the calls fall on each day, following the weekday weights, summing to `calls`. */
function callsPerDay(plan: FillPlan, firstDay: number): number[] {
  const endMs = plan.endAt.getTime();
  const weights = Array.from({ length: plan.days }, (_, d) => {
    const dayStart = firstDay + d * DAY_MS;
    return WEEKDAY_WEIGHTS[new Date(dayStart).getUTCDay()]! * (Math.min(DAY_MS, endMs - dayStart) / DAY_MS);
  });
  const total = weights.reduce((a, b) => a + b, 0);
  const counts = weights.map((w) => Math.floor((w / total) * plan.calls));
  const shortfall = plan.calls - counts.reduce((a, b) => a + b, 0);
  for (let i = 0; i < shortfall; i++) counts[i % counts.length]! += 1;
  return counts;
}

/** The calls of the plan in batches, oldest first, as they would have arrived. */
export function* generateCalls(plan: FillPlan, batchSize: number): Generator<CallRecord[]> {
  const generator = xoroshiro128plus(plan.seed);
  const random = () => uniformFloat64(generator);
  const endMs = plan.endAt.getTime();
  // The last day is the one endAt falls in (a partial day), the first plan.days - 1 days before it.
  const firstDay = Math.floor((endMs - 1) / DAY_MS) * DAY_MS - (plan.days - 1) * DAY_MS;
  const knownCallers = new Float64Array(plan.calls);
  let knownCount = 0;
  const outcomes = ['answered', ...MISSES.map((m) => m.status)];
  const outcomeWeights = [ANSWERED_WEIGHT, ...MISSES.map((m) => m.weight)];
  const hours = HOUR_WEIGHTS.map((_, h) => h);

  let batch: CallRecord[] = [];
  const perDay = callsPerDay(plan, firstDay);
  for (let d = 0; d < plan.days; d++) {
    const dayStart = firstDay + d * DAY_MS;
    const dayLengthMs = Math.min(DAY_MS, endMs - dayStart);
    const times: number[] = [];
    for (let i = 0; i < perDay[d]!; i++) {
      const offset = dayLengthMs === DAY_MS
        ? pickWeighted(hours, HOUR_WEIGHTS, random) * 3_600_000 + Math.floor(random() * 3_600_000)
        : Math.floor(random() * dayLengthMs);
      times.push(dayStart + offset);
    }
    times.sort((a, b) => a - b);

    for (const startedMs of times) {
      const unassigned = random() < UNASSIGNED_SHARE;
      const campaignIndex = unassigned ? -1 : CAMPAIGNS.indexOf(pickWeighted(CAMPAIGNS, CAMPAIGN_WEIGHTS, random));

      let caller: string | null = null;
      if (random() >= WITHHELD_SHARE) {
        let digits: number;
        if (knownCount > 0 && random() < REPEAT_CALLER_SHARE) {
          digits = knownCallers[Math.floor(random() * knownCount)]!;
        } else {
          digits = 447_000_000_000 + Math.floor(random() * 999_999_999);
          knownCallers[knownCount++] = digits;
        }
        caller = String(digits);
      }

      const uuid = uuidFrom(random);
      const base = {
        uuid,
        conversationUuid: `CON-${uuidFrom(random)}`,
        trackingNumber: unassigned ? UNASSIGNED_NUMBER : FILL_TRACKING_NUMBERS[campaignIndex]!,
        caller,
        campaign: unassigned ? null : CAMPAIGNS[campaignIndex]!,
        forwardTo: BUSINESS_PHONE,
        startedAt: new Date(startedMs),
      };

      let call: CallRecord;
      if (endMs - startedMs < IN_PROGRESS_WINDOW_MS) {
        const ringing = random() < 0.5;
        call = {
          ...base, outcome: 'in_progress', answeredAt: ringing ? null : new Date(startedMs + 8_000), endedAt: null,
          durationSeconds: null, inboundStatus: 'answered', forwardedStatus: ringing ? 'ringing' : 'answered',
        };
      } else {
        const status = pickWeighted(outcomes, outcomeWeights, random);
        if (status === 'answered') {
          const ringMs = 3_000 + Math.floor(random() * 20_000);
          // Talk time is log-normal: most calls a couple of minutes, a few very long.
          const talkSeconds = Math.min(7200, Math.max(1, Math.round(Math.exp(Math.log(150) + 1.0 * normal(random)))));
          const answeredAt = startedMs + ringMs;
          call = {
            ...base, outcome: 'answered' satisfies CallOutcome, answeredAt: new Date(answeredAt),
            endedAt: new Date(answeredAt + talkSeconds * 1000), durationSeconds: talkSeconds,
            inboundStatus: 'completed', forwardedStatus: 'completed',
          };
        } else {
          const miss = MISSES.find((m) => m.status === status)!;
          const [least, most] = miss.ringSeconds;
          const ringMs = (least + random() * (most - least)) * 1000;
          call = {
            ...base, outcome: 'missed', answeredAt: null, endedAt: new Date(startedMs + Math.round(ringMs)),
            durationSeconds: 0, inboundStatus: 'completed', forwardedStatus: status,
          };
        }
      }
      batch.push(call);
      if (batch.length === batchSize) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}

/** Imports the plan's calls and the tracking numbers with their campaigns. */
export async function fillStore(store: CallStore, plan: FillPlan, batchSize = 5000): Promise<number> {
  for (const [i, campaign] of CAMPAIGNS.entries()) {
    await store.saveTrackingNumber({ number: FILL_TRACKING_NUMBERS[i]!, campaign, forwardTo: null, whisper: null, route: null });
  }
  return store.importCallBatches(generateCalls(plan, batchSize));
}

/** The report benchmark's history: `calls` calls over 90 days up to the hour of `now`, whose last calls are still in progress. */
export function reportPlan(calls: number, now = new Date()): FillPlan {
  return { calls, days: 90, endAt: new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000), seed: 20_261_124 };
}

export interface FilledDatabase {
  path: string;
  /** Seconds the fill took, when it was made (now or by an earlier run: see `cached`). */
  fillSeconds: number;
  /** Whether an earlier run made the fill. */
  cached: boolean;
  plan: FillPlan;
}

/** What is kept beside a cached fill: its plan, how long it took, and the schema it was made at. */
interface FillRecord extends Omit<FillPlan, 'endAt'> {
  endAt: string;
  fillSeconds: number;
  /** One fingerprint per migration applied when the fill was made, in order. */
  migrations: string[];
}

type Migrations = readonly { version: number }[];

const migrationFingerprints = (migrations: Migrations): string[] =>
  migrations.map((migration) => createHash('sha256').update(JSON.stringify(migration)).digest('hex').slice(0, 10));

/**
 * The cached fill's record, when there is one the current code can use: every migration applied
 * when it was made is still one of this code's, unchanged; the store applies the others when it
 * opens it, as it would upgrade a user's database. Filling ten million calls takes long; an
 * upgrade does not need a new fill.
 */
function usableFill(path: string, recordPath: string, migrations: Migrations): FillRecord | null {
  if (!existsSync(path) || !existsSync(recordPath)) return null;
  const record = JSON.parse(readFileSync(recordPath, 'utf8')) as Partial<FillRecord>;
  const current = migrationFingerprints(migrations);
  const made = record.migrations;
  if (!made || typeof record.fillSeconds !== 'number') return null;
  return made.every((fingerprint) => current.includes(fingerprint)) ? (record as FillRecord) : null;
}

const planOf = (record: FillRecord): FillPlan => ({ calls: record.calls, days: record.days, seed: record.seed, endAt: new Date(record.endAt) });

function saveFillRecord(recordPath: string, plan: FillPlan, fillSeconds: number, migrations: Migrations): void {
  const record: FillRecord = { ...plan, endAt: plan.endAt.toISOString(), fillSeconds, migrations: migrationFingerprints(migrations) };
  writeFileSync(recordPath, JSON.stringify(record));
}

/**
 * A SQLite file filled with `calls` calls, from the cache when one of this fill version and size
 * exists at this schema or an earlier one (its record is kept beside it). A file is cached only
 * once it is complete.
 */
export async function filledSqliteDatabase(cacheDir: string, calls: number, now = new Date()): Promise<FilledDatabase> {
  const path = join(cacheDir, `reports-v${FILL_VERSION}-${calls}-calls.db`);
  const recordPath = `${path}.json`;
  const cached = usableFill(path, recordPath, sqliteMigrations);
  if (cached) return { path, fillSeconds: cached.fillSeconds, cached: true, plan: planOf(cached) };

  mkdirSync(cacheDir, { recursive: true });
  rmSync(recordPath, { force: true });
  const plan = reportPlan(calls, now);
  const partial = `${path}.partial`;
  for (const suffix of ['', '-wal', '-shm']) {
    rmSync(path + suffix, { force: true });
    rmSync(partial + suffix, { force: true });
  }
  const started = performance.now();
  const store = openSqliteStore(partial);
  try {
    await fillStore(store, plan);
  } finally {
    await store.close();
  }
  const fillSeconds = (performance.now() - started) / 1000;
  renameSync(partial, path);
  saveFillRecord(recordPath, plan, fillSeconds, sqliteMigrations);
  return { path, fillSeconds, cached: false, plan };
}

export interface FilledPostgres {
  /** A server on the kept data directory, holding the calls in its call_tracker_bench database. */
  server: Postgres;
  /** Seconds the fill took, when it was made (now or by an earlier run: see `cached`). */
  fillSeconds: number;
  cached: boolean;
  plan: FillPlan;
}

/**
 * A PostgreSQL server on a data directory filled with `calls` calls, kept between runs like the
 * SQLite files: filled through importCallBatches when no directory of this fill version and size exists
 * at this schema or an earlier one, and kept only once it is complete. The tracker upgrades a
 * kept directory in place when it opens it.
 */
export async function filledPostgresServer(cacheDir: string, calls: number, now = new Date()): Promise<FilledPostgres | { unavailable: string }> {
  const dir = join(cacheDir, `pg-reports-v${FILL_VERSION}-${calls}-calls`);
  const recordPath = `${dir}.json`;
  const cached = usableFill(dir, recordPath, postgresMigrations);
  if (cached) {
    const server = await startKeptPostgres(dir);
    return 'unavailable' in server ? server : { server, fillSeconds: cached.fillSeconds, cached: true, plan: planOf(cached) };
  }

  mkdirSync(cacheDir, { recursive: true });
  rmSync(recordPath, { force: true });
  const plan = reportPlan(calls, now);
  const partial = `${dir}.partial`;
  for (const stale of [dir, partial]) rmSync(stale, { recursive: true, force: true });
  const filling = await startKeptPostgres(partial);
  if ('unavailable' in filling) return filling;
  const started = performance.now();
  try {
    const store = await openStore({ kind: 'postgres', url: filling.url }, consoleLogger);
    try {
      await fillStore(store, plan);
    } finally {
      await store.close();
    }
  } finally {
    await filling.stop();
  }
  const fillSeconds = (performance.now() - started) / 1000;
  renameSync(partial, dir);
  saveFillRecord(recordPath, plan, fillSeconds, postgresMigrations);
  const server = await startKeptPostgres(dir);
  return 'unavailable' in server ? server : { server, fillSeconds, cached: false, plan };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const [target, count = '1000000'] = process.argv.slice(2);
  if (!target) {
    process.stderr.write('usage: npx tsx bench/fill.ts <file.db> [calls]\n');
    process.exit(2);
  }
  const calls = Number(count);
  const store = openSqliteStore(target);
  const started = performance.now();
  const imported = await fillStore(store, reportPlan(calls));
  await store.close();
  process.stdout.write(`${imported} calls in ${((performance.now() - started) / 1000).toFixed(1)} s into ${target}\n`);
}
