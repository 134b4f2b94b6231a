// Times the reports against a store holding many calls, the measurement behind the report
// buckets: median time per report, and what a call insert costs. (The benchmark, npm run bench,
// measures the same reports over HTTP with its own data.)
//
//   npx tsx scripts/report-timing.ts [--calls 1000000] [--db path/to/kept.db] [--runs 9] [--timezone America/New_York]
//   scripts/throwaway-postgres.sh npx tsx scripts/report-timing.ts --store postgres [--calls 1000000]
//
// SQLite: without --db the file lives in a temp dir and is removed; with it, a file filled by an
// earlier run is reused (delete it after a schema change). PostgreSQL: TEST_DATABASE_URL's
// database is used and must start empty.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CallRecord, InboundCall } from '../src/domain/calls.js';
import { buildCampaignReport, buildDailyReport, buildHourOfWeekReport } from '../src/domain/reports.js';
import type { CallStore } from '../src/store/call-store.js';
import { openPostgresStore } from '../src/store/postgres/postgres-store.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { seededRandom } from '../test/helpers/call-flows.js';

const DAY_MS = 86_400_000;
const CAMPAIGNS = Array.from({ length: 20 }, (_, i) => `Campaign ${String(i + 1).padStart(2, '0')}`);
/** Calls by UTC hour of day: office hours busiest. */
const HOUR_WEIGHTS = [0.2, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.5, 3, 4.5, 5, 5, 4.2, 4.4, 4.6, 4.3, 3.8, 3, 2.2, 1.8, 1.4, 1, 0.7, 0.4];

function pickWeighted(weights: readonly number[], random: () => number): number {
  let r = random() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < weights.length; i++) if ((r -= weights[i]!) < 0) return i;
  return weights.length - 1;
}

/**
 * `count` calls over the 90 days before `end`, oldest first: campaigns with a long tail, 1% on a
 * number without one, 4% withheld, 30% from earlier callers, 70% answered with log-normal talk
 * time, the rest missed, the last 10 minutes still in progress.
 */
function* historicCalls(count: number, end: number, batchSize: number): Generator<CallRecord[]> {
  const random = seededRandom(20_261_124);
  const campaignWeights = CAMPAIGNS.map((_, i) => 1 / (i + 1) ** 0.8);
  const knownCallers: string[] = [];
  const starts = Array.from({ length: count }, () => {
    const day = Math.floor(end / DAY_MS) * DAY_MS - Math.floor(random() * 90) * DAY_MS;
    const start = day + pickWeighted(HOUR_WEIGHTS, random) * 3_600_000 + Math.floor(random() * 3_600_000);
    // Today's later hours have not come yet: those calls go to the day before.
    return start < end ? start : start - DAY_MS;
  }).sort((a, b) => a - b);
  let batch: CallRecord[] = [];
  for (const [i, startedMs] of starts.entries()) {
    const campaignIndex = random() < 0.01 ? -1 : pickWeighted(campaignWeights, random);
    let caller: string | null = null;
    if (random() >= 0.04) {
      caller = knownCallers.length > 0 && random() < 0.3
        ? knownCallers[Math.floor(random() * knownCallers.length)]!
        : String(447_000_000_000 + Math.floor(random() * 999_999_999));
      knownCallers.push(caller);
    }
    const startedAt = new Date(startedMs);
    // Vonage's uuids are random: the primary key index is written all over, as in production.
    const uuid = `${Math.floor(random() * 2 ** 32).toString(16).padStart(8, '0')}-hist-${i}`;
    const base = {
      uuid, conversationUuid: `CON-${uuid}`, trackingNumber: `4420794602${String(campaignIndex + 1).padStart(2, '0')}`,
      caller, campaign: CAMPAIGNS[campaignIndex] ?? null, forwardTo: '447700900000', startedAt, inboundStatus: 'completed',
    };
    const talkSeconds = Math.min(7200, Math.max(1, Math.round(Math.exp(Math.log(150) + Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())))));
    if (end - startedMs < 600_000) {
      batch.push({ ...base, outcome: 'in_progress', answeredAt: null, endedAt: null, durationSeconds: null, inboundStatus: 'answered', forwardedStatus: 'ringing' });
    } else if (random() < 0.7) {
      const answeredAt = new Date(startedMs + 8000);
      batch.push({ ...base, outcome: 'answered', answeredAt, endedAt: new Date(answeredAt.getTime() + talkSeconds * 1000), durationSeconds: talkSeconds, forwardedStatus: 'completed' });
    } else {
      batch.push({ ...base, outcome: 'missed', answeredAt: null, endedAt: new Date(startedMs + 25_000), durationSeconds: 0, forwardedStatus: 'unanswered' });
    }
    if (batch.length === batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '1000000' },
    db: { type: 'string' },
    runs: { type: 'string', default: '9' },
    store: { type: 'string', default: 'sqlite' },
    timezone: { type: 'string', default: 'UTC' },
    'skip-inserts': { type: 'boolean', default: false },
  },
});
const timezone = values.timezone;
const calls = Number(values.calls);
const runs = Number(values.runs);
const tempDir = values.db ? null : mkdtempSync(join(tmpdir(), 'ct-report-timing-'));
const path = values.db ?? join(tempDir!, 'calls.db');

const median = (samples: number[]) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;

/**
 * Median wall time of a report, and this process's CPU time for it: on a shared machine the
 * wall time waits for other processes, while SQLite's work is all in this process's CPU time.
 */
async function timed(label: string, work: () => Promise<unknown>): Promise<void> {
  await work(); // warm: prepared statements, page cache
  const samples: number[] = [];
  const cpuSamples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await work();
    samples.push(performance.now() - started);
    const cpu = process.cpuUsage(cpuBefore);
    cpuSamples.push((cpu.user + cpu.system) / 1000);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  process.stdout.write(`${label.padEnd(44)} median ${median(samples).toFixed(1).padStart(7)} ms   min ${sorted[0]!.toFixed(1).padStart(7)}   max ${sorted.at(-1)!.toFixed(1).padStart(7)}   cpu median ${median(cpuSamples).toFixed(1).padStart(7)} ms\n`);
}

let store: CallStore;
let reused = false;
if (values.store === 'postgres') {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('--store postgres needs TEST_DATABASE_URL (run it under scripts/throwaway-postgres.sh)');
  store = await openPostgresStore(url);
  reused = (await store.listCalls({ limit: 1 })).calls.length > 0;
} else {
  reused = existsSync(path);
  store = openSqliteStore(path);
}
try {
  if (!reused) {
    const started = performance.now();
    let imported = 0;
    for (const batch of historicCalls(calls, Date.now(), 5000)) {
      await store.importCalls(batch);
      imported += batch.length;
    }
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(`filled ${imported} calls in ${seconds.toFixed(1)} s (${Math.round(imported / seconds)} calls/s through importCalls)\n`);
  } else {
    process.stdout.write(`reusing the calls stored already\n`);
  }
  const started = performance.now();
  await store.reports.useQualifiedThreshold(60);
  process.stdout.write(`buckets ready at 60 s in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  const options = { qualifiedCallSeconds: 60, groupBy: 'campaign' as const, timezone };
  const now = new Date();
  const last30Days = { since: new Date(now.getTime() - 30 * DAY_MS), until: now };
  const allTime = { since: new Date(0), until: now };
  const oddRange = { since: new Date(now.getTime() - 47 * DAY_MS - 3_723_456), until: new Date(now.getTime() - 5 * DAY_MS - 1_234_567) };

  const reports = store.reports;
  await timed('/api/report, last 30 days', () => buildCampaignReport(reports, last30Days, options));
  await timed('/api/report, all time', () => buildCampaignReport(reports, allTime, options));
  await timed('/api/report, 42 days with odd edges', () => buildCampaignReport(reports, oddRange, options));
  await timed('/api/report?groupBy=number, last 30 days', () => buildCampaignReport(reports, last30Days, { ...options, groupBy: 'number' }));
  await timed('/api/report?groupBy=destination, last 30 days', () => buildCampaignReport(reports, last30Days, { ...options, groupBy: 'destination' }));
  await timed('/api/report/daily, last 30 days', () => buildDailyReport(reports, last30Days, timezone));
  await timed('/api/report/daily, all time', () => buildDailyReport(reports, allTime, timezone));
  await timed('/api/report/hour-of-week, last 30 days', () => buildHourOfWeekReport(reports, last30Days, timezone));
  await timed('/api/report/hour-of-week, all time', () => buildHourOfWeekReport(reports, allTime, timezone));
  await timed('/api/calls, first page of 100', () => store.listCalls({ limit: 100 }));
  await timed('/api/calls, first page, one campaign', () => store.listCalls({ limit: 100, campaign: 'Campaign 11' }));
  await timed('/api/calls, first page, last 30 days', () => store.listCalls({ limit: 100, ...last30Days }));

  // The answer webhook's path: batches of new calls from callers seen before and new ones.
  let sequence = 0;
  const batch = (size: number): InboundCall[] =>
    Array.from({ length: size }, () => {
      sequence += 1;
      const uuid = `timing-${process.pid}-${Date.now()}-${sequence}`;
      return {
        uuid, conversationUuid: `CON-${uuid}`, trackingNumber: '442079460205', campaign: 'Campaign 05', forwardTo: '447700900000',
        caller: sequence % 3 === 0 ? '447000000001' : `4479${String(sequence).padStart(8, '0')}`, startedAt: new Date(),
      };
    });
  for (const size of values['skip-inserts'] ? [] : [1, 50]) {
    const rounds = size === 1 ? 2000 : 100;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < rounds; i++) await store.recordCalls(batch(size));
    const microseconds = ((performance.now() - started) * 1000) / (rounds * size);
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMicroseconds = (cpu.user + cpu.system) / (rounds * size);
    process.stdout.write(`${`recordCalls, batches of ${size}`.padEnd(44)} ${microseconds.toFixed(1).padStart(7)} µs per call   cpu ${cpuMicroseconds.toFixed(1)} µs per call\n`);
  }
} finally {
  await store.close();
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
}
