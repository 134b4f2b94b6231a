// Times the report queries against a SQLite file holding many calls, the measurement behind the
// report indexes and rollups: median store time per report, and what a call insert costs.
//
//   npx tsx scripts/report-timing.ts [--calls 1000000] [--db path/to/kept.db] [--runs 9]
//
// Without --db the file lives in a temp dir and is removed; with it, a file filled by an earlier
// run is reused (delete it after a schema change).

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fillStore } from '../bench/fill.js';
import type { InboundCall } from '../src/calls.js';
import { buildCampaignReport, buildDailyReport, buildHourOfWeekReport } from '../src/reports.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';

const DAY_MS = 86_400_000;
const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '1000000' },
    db: { type: 'string' },
    runs: { type: 'string', default: '9' },
  },
});
const calls = Number(values.calls);
const runs = Number(values.runs);
const tempDir = values.db ? null : mkdtempSync(join(tmpdir(), 'ct-report-timing-'));
const path = values.db ?? join(tempDir!, 'calls.db');

const median = (samples: number[]) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;

async function timed(label: string, work: () => Promise<unknown>): Promise<void> {
  await work(); // warm: prepared statements, page cache
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await work();
    samples.push(performance.now() - started);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  process.stdout.write(`${label.padEnd(44)} median ${median(samples).toFixed(1).padStart(7)} ms   min ${sorted[0]!.toFixed(1).padStart(7)}   max ${sorted.at(-1)!.toFixed(1).padStart(7)}\n`);
}

const reused = existsSync(path);
const store = openSqliteStore(path);
try {
  if (!reused) {
    const started = performance.now();
    const imported = await fillStore(store, { calls, days: 90, endAt: new Date(), seed: 20_261_124 });
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(`filled ${imported} calls in ${seconds.toFixed(1)} s (${Math.round(imported / seconds)} calls/s through importCalls)\n`);
  } else {
    process.stdout.write(`reusing ${path}\n`);
  }
  const now = new Date();
  const last30Days = { since: new Date(now.getTime() - 30 * DAY_MS), until: now };
  const allTime = { since: new Date(0), until: now };
  const oddRange = { since: new Date(now.getTime() - 47 * DAY_MS - 3_723_456), until: new Date(now.getTime() - 5 * DAY_MS - 1_234_567) };

  await timed('/api/report, last 30 days', () => buildCampaignReport(store, last30Days, 60));
  await timed('/api/report, all time', () => buildCampaignReport(store, allTime, 60));
  await timed('/api/report, 42 days with odd edges', () => buildCampaignReport(store, oddRange, 60));
  await timed('/api/report/daily, last 30 days', () => buildDailyReport(store, last30Days));
  await timed('/api/report/daily, all time', () => buildDailyReport(store, allTime));
  await timed('/api/report/hour-of-week, last 30 days', () => buildHourOfWeekReport(store, last30Days));
  await timed('/api/calls, first page of 100', () => store.listCalls({ limit: 100 }));
  await timed('/api/calls, first page, one campaign', () => store.listCalls({ limit: 100, campaign: 'Podcast' }));
  await timed('/api/calls, first page, last 30 days', () => store.listCalls({ limit: 100, ...last30Days }));

  // The answer webhook's path: batches of new calls from callers seen before and new ones.
  let sequence = 0;
  const batch = (size: number): InboundCall[] =>
    Array.from({ length: size }, () => {
      sequence += 1;
      const uuid = `timing-${process.pid}-${Date.now()}-${sequence}`;
      return {
        uuid, conversationUuid: `CON-${uuid}`, trackingNumber: '442079460205', campaign: 'Flyers', forwardTo: '447700900000',
        caller: sequence % 3 === 0 ? '447000000001' : `4479${String(sequence).padStart(8, '0')}`, startedAt: new Date(),
      };
    });
  for (const size of [1, 50]) {
    const rounds = size === 1 ? 2000 : 100;
    const started = performance.now();
    for (let i = 0; i < rounds; i++) await store.recordCalls(batch(size));
    const microseconds = ((performance.now() - started) * 1000) / (rounds * size);
    process.stdout.write(`${`recordCalls, batches of ${size}`.padEnd(44)} ${microseconds.toFixed(1).padStart(7)} µs per call\n`);
  }
} finally {
  await store.close();
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
}
