// `npm run bench`: measures the answer webhook against bare Express (SQLite, and PostgreSQL when
// one is available), the reports over a million calls, and memory over 200,000 calls; prints a
// table and writes BENCHMARKS.md. `npm run bench -- --quick` (or BENCH_SMOKE=1) is a smoke run
// of a few seconds with tiny data, which the test suite runs so this script cannot rot.

import Database from 'better-sqlite3';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { CAMPAIGNS, FILL_TRACKING_NUMBERS, filledSqliteDatabase } from './fill.js';
import { BENCH_TRACKING_NUMBERS, answerWebhookPaths, driveLoad, percentile, summariseRounds, type LoadResult, type LoadSummary } from './load.js';
import { measureEventCost } from './event-cost.js';
import { startThrowawayPostgres, type Postgres } from './postgres.js';
import {
  ADMIN_TOKEN, PROJECT_ROOT, buildEntrypoints, configureNumbers, startServer, type Entrypoints, type MemoryReading, type ServerProcess,
} from './processes.js';
import {
  formatMegabytes, formatMs, formatNumber, formatRatio, markdownTable, verdict, type TargetRow,
} from './report.js';

const BUSINESS_PHONE = '447700900000';
const CONNECTIONS = 50;

const TARGET_THROUGHPUT_RATIO = 0.85;
const TARGET_P99_RATIO = 2;
const TARGET_REPORT_MEDIAN_MS = 100;
const TARGET_MEMORY_GROWTH_BYTES = 20 * 1_048_576;

interface Settings {
  quick: boolean;
  warmupSeconds: number;
  rounds: number;
  roundSeconds: number;
  reportCalls: number;
  /** Timed requests per report endpoint, after one untimed… */
  reportRepeats: number;
  /** …unless the endpoint is so slow that this budget runs out first (3 requests at least). */
  reportBudgetSeconds: number;
  memoryWarmupCalls: number;
  memoryCalls: number;
}

const FULL: Settings = {
  quick: false, warmupSeconds: 3, rounds: 10, roundSeconds: 3, reportCalls: 1_000_000, reportRepeats: 15,
  reportBudgetSeconds: 20, memoryWarmupCalls: 50_000, memoryCalls: 200_000,
};
const QUICK: Settings = {
  quick: true, warmupSeconds: 0.2, rounds: 1, roundSeconds: 0.5, reportCalls: 2_000, reportRepeats: 2,
  reportBudgetSeconds: 5, memoryWarmupCalls: 200, memoryCalls: 1_000,
};

const args = process.argv.slice(2);
const settings = args.includes('--quick') || process.env.BENCH_SMOKE === '1' ? QUICK : FULL;
const outIndex = args.indexOf('--out');
const outPath = outIndex >= 0 && args[outIndex + 1]
  ? args[outIndex + 1]!
  : settings.quick ? join(PROJECT_ROOT, 'bench', '.cache', 'BENCHMARKS.quick.md') : join(PROJECT_ROOT, 'BENCHMARKS.md');
const command = `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}${process.env.BENCH_SMOKE === '1' ? ' (BENCH_SMOKE=1)' : ''}`;

const say = (line: string) => process.stderr.write(`${line}\n`);

interface WebhookComparison {
  label: string;
  instances: number;
  ours: LoadSummary;
  bare: LoadSummary;
  /** Overall req/s ÷ overall req/s. */
  throughputRatio: number;
  /**
   * Median over rounds of ours ÷ bare, each round's two runs back to back: what the verdict
   * uses, because other work on a shared machine comes and goes between rounds.
   */
  pairedThroughputRatio: number;
  p99Ratio: number;
  /** Facts checked after the run: rows stored, log lines, warnings. */
  checks: string[];
}

interface ReportTiming {
  name: string;
  path: string;
  requests: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** A status other than 200, when the route answered one. */
  failure: string | null;
}

interface MemoryResult {
  atStart: MemoryReading;
  beforeLoad: MemoryReading;
  /** After each quarter of the calls: flat means memory does not grow with the calls stored. */
  during: { calls: number; reading: MemoryReading }[];
  afterLoad: MemoryReading;
  calls: number;
  stored: number | null;
  growthBytes: number;
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const work = mkdtempSync(join(tmpdir(), 'call-tracker-bench-'));
  const cleanups: (() => Promise<void>)[] = [];
  const notes: string[] = [];
  try {
    say(`building (${settings.quick ? 'tsx, quick run' : 'tsc → compiled JavaScript, as production runs'})…`);
    const entrypoints = buildEntrypoints(settings.quick ? 'tsx' : 'compiled');
    if (entrypoints.buildWarnings) notes.push(`tsc reported type errors; the emitted code was benchmarked anyway:\n${entrypoints.buildWarnings.slice(0, 1500)}`);

    const webhooks: WebhookComparison[] = [];
    say('answer webhook, SQLite…');
    webhooks.push(await compareSqliteWebhook(entrypoints, work));

    let postgresVersion: string | null = null;
    say('answer webhook, PostgreSQL…');
    const postgres = await postgresForBench();
    if ('unavailable' in postgres) {
      notes.push(`PostgreSQL webhook benchmark skipped: ${postgres.unavailable}.`);
    } else {
      cleanups.push(postgres.stop);
      postgresVersion = postgres.version;
      const comparison = await comparePostgresWebhook(entrypoints, work, postgres);
      if (typeof comparison === 'string') notes.push(`PostgreSQL webhook benchmark skipped: ${comparison}`);
      else webhooks.push(comparison);
    }

    say(`reports over ${formatNumber(settings.reportCalls)} calls…`);
    const reports = await timeReports(entrypoints, work, notes);

    say(`memory over ${formatNumber(settings.memoryCalls)} answer webhooks…`);
    const memory = await measureMemory(entrypoints, work);

    say('event cost against conversation size…');
    const eventCost = await measureEventCost(entrypoints, work, settings.quick);

    const finishedAt = new Date();
    const markdown = renderMarkdown({ startedAt, finishedAt, webhooks, reports, memory, notes, postgresVersion });
    process.stdout.write(`${renderSummary(webhooks, reports, memory)}\n${eventCost.summary}\n`);
    mkdirSync(join(outPath, '..'), { recursive: true });
    writeFileSync(outPath, markdown + eventCost.markdown);
    say(`wrote ${outPath} (${((finishedAt.getTime() - startedAt.getTime()) / 1000).toFixed(0)} s)`);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => say(`cleanup failed: ${String(error)}`));
    rmSync(work, { recursive: true, force: true });
  }
}

/** The call-tracker as production runs it: SQLite (or the given database), access log to a file. */
function trackerEnv(work: string, name: string, databaseUrl: string): Record<string, string> {
  return {
    PROXY_TO_NUMBER: BUSINESS_PHONE,
    DATABASE_URL: databaseUrl,
    ADMIN_TOKEN,
    ACCESS_LOG: join(work, `${name}-access.log`),
    SPOOL_PATH: join(work, `${name}-spool.ndjson`),
  };
}

async function startTracker(entrypoints: Entrypoints, work: string, name: string, databaseUrl: string): Promise<ServerProcess> {
  return startServer(entrypoints, { name, entry: 'server', env: trackerEnv(work, name, databaseUrl), cwd: work, logPath: join(work, `${name}.log`) });
}

async function startBare(entrypoints: Entrypoints, work: string, name: string): Promise<ServerProcess> {
  return startServer(entrypoints, { name, entry: 'bare', env: {}, cwd: work, logPath: join(work, `${name}.log`) });
}

/** One answer webhook by hand: the server must connect the call, or its numbers mean nothing. */
async function assertAnswersConnect(server: ServerProcess, nextPath: () => string): Promise<void> {
  const res = await fetch(server.url + nextPath());
  const body = (await res.json().catch(() => null)) as { action?: unknown }[] | null;
  if (res.status !== 200 || !Array.isArray(body) || body[0]?.action !== 'connect') {
    throw new Error(`${server.name} does not answer a connect NCCO: ${res.status} ${JSON.stringify(body)}`);
  }
}

/**
 * Warms both sides up, then alternates rounds between them (ours first in odd rounds, bare
 * first in even ones) so that drift in the machine's load falls on both alike.
 */
async function alternateRounds(ours: ServerProcess[], bare: ServerProcess[], nextPath: () => string, databaseCpu: () => number | null = () => null) {
  const drive = async (servers: ServerProcess[], seconds: number) => {
    const cpu = async () => (await Promise.all(servers.map((s) => s.cpuMicroseconds()))).reduce((a, b) => a + b, 0);
    const cpuBefore = await cpu();
    const databaseBefore = databaseCpu();
    const result = await driveLoad({ targets: servers.map((s) => s.url), connections: CONNECTIONS, durationSeconds: seconds, nextPath });
    const databaseAfter = databaseCpu();
    const databaseCpuMicroseconds = databaseBefore === null || databaseAfter === null ? null : databaseAfter - databaseBefore;
    return { ...result, serverCpuMicroseconds: (await cpu()) - cpuBefore, databaseCpuMicroseconds };
  };
  await drive(ours, settings.warmupSeconds);
  await drive(bare, settings.warmupSeconds);
  const oursRounds: LoadResult[] = [];
  const bareRounds: LoadResult[] = [];
  /** The database server's CPU during our timed rounds, when it can be read. */
  let oursDatabaseCpu: number | null = 0;
  for (let round = 0; round < settings.rounds; round++) {
    const order = round % 2 === 0 ? (['ours', 'bare'] as const) : (['bare', 'ours'] as const);
    for (const side of order) {
      const result = await drive(side === 'ours' ? ours : bare, settings.roundSeconds);
      (side === 'ours' ? oursRounds : bareRounds).push(result);
      if (side === 'ours') {
        oursDatabaseCpu = oursDatabaseCpu === null || result.databaseCpuMicroseconds === null ? null : oursDatabaseCpu + result.databaseCpuMicroseconds;
      }
      const cpuPerRequest = (result.serverCpuMicroseconds ?? Number.NaN) / result.ok;
      say(`  round ${round + 1} ${side}: ${formatNumber(result.requestsPerSecond)} req/s, ${formatNumber(cpuPerRequest)} µs server CPU/req, ${result.errors} errors, ${result.non2xx} non-2xx`);
    }
  }
  return { oursRounds, bareRounds, oursDatabaseCpu };
}

function compare(label: string, instances: number, oursRounds: LoadResult[], bareRounds: LoadResult[], checks: string[]): WebhookComparison {
  const ours = summariseRounds(oursRounds);
  const bare = summariseRounds(bareRounds);
  const paired = oursRounds.map((r, i) => r.requestsPerSecond / bareRounds[i]!.requestsPerSecond).sort((a, b) => a - b);
  return {
    label, instances, ours, bare, checks,
    throughputRatio: ours.requestsPerSecond / bare.requestsPerSecond,
    pairedThroughputRatio: percentile(paired, 50),
    p99Ratio: ours.p99Ms / bare.p99Ms,
  };
}

/** Answers with status 2xx over a set of rounds: calls the store should now hold (at least). */
const okCount = (rounds: LoadResult[]) => rounds.reduce((sum, r) => sum + r.ok, 0);

function countLines(path: string): { lines: number; withQuery: number } {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { lines: 0, withQuery: 0 };
  }
  const lines = text.split('\n').filter((l) => l.length > 0);
  return { lines: lines.length, withQuery: lines.filter((l) => l.includes('?')).length };
}

const warnings = (log: string) => log.split('\n').filter((l) => / (warn|error) /.test(l) && !/is not set:/.test(l));

async function compareSqliteWebhook(entrypoints: Entrypoints, work: string): Promise<WebhookComparison> {
  const dbPath = join(work, 'webhook.db');
  const ours = await startTracker(entrypoints, work, 'ours-sqlite', `sqlite:${dbPath}`);
  let bare: ServerProcess | null = null;
  try {
    bare = await startBare(entrypoints, work, 'bare');
    await configureNumbers(ours);
    const nextPath = answerWebhookPaths();
    await assertAnswersConnect(ours, nextPath);
    await assertAnswersConnect(bare, nextPath);
    const { oursRounds, bareRounds } = await alternateRounds([ours], [bare], nextPath);
    await ours.stop();

    const db = new Database(dbPath, { readonly: true });
    const stored = db.prepare('SELECT count(*) FROM calls').pluck().get() as number;
    db.close();
    const accessLog = countLines(join(work, 'ours-sqlite-access.log'));
    const warned = warnings(ours.log());
    // Warm-up and the sanity request were answered too, so the store holds at least the rounds' calls.
    const checks = [
      `${formatNumber(stored)} calls stored for ${formatNumber(okCount(oursRounds))} answered in the timed rounds (plus warm-up)`,
      `access log: ${formatNumber(accessLog.lines)} lines, ${accessLog.withQuery} with a query string`,
      `server warnings/errors during the run: ${warned.length}${warned.length ? ` (first: ${warned[0]!.slice(0, 160)})` : ''}`,
    ];
    return compare('SQLite', 1, oursRounds, bareRounds, checks);
  } finally {
    await ours.stop();
    await bare?.stop();
  }
}

async function postgresForBench(): Promise<Postgres | { unavailable: string }> {
  const given = process.env.BENCH_DATABASE_URL;
  if (given) return { url: given, version: 'given by BENCH_DATABASE_URL', cpuMicroseconds: () => null, stop: async () => {} };
  if (settings.quick) return { unavailable: 'quick run (set BENCH_DATABASE_URL to include it)' };
  return startThrowawayPostgres();
}

async function countPostgresCalls(url: string): Promise<number | null> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    const result = await client.query<{ count: string }>('SELECT count(*) AS count FROM calls');
    return Number(result.rows[0]?.count);
  } catch {
    return null;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Two instances of ours behind one PostgreSQL against two bare instances, load split evenly. */
async function comparePostgresWebhook(entrypoints: Entrypoints, work: string, postgres: Postgres): Promise<WebhookComparison | string> {
  const { url } = postgres;
  const ours: ServerProcess[] = [];
  const bare: ServerProcess[] = [];
  try {
    try {
      ours.push(await startTracker(entrypoints, work, 'ours-pg-1', url));
    } catch (error) {
      const reason = String(error instanceof Error ? error.message : error).split('\n').filter(Boolean);
      return `the service does not start on PostgreSQL (${reason[reason.length - 1] ?? 'no reason given'})`;
    }
    // Numbers first, so that the second instance loads them at start-up.
    await configureNumbers(ours[0]!);
    ours.push(await startTracker(entrypoints, work, 'ours-pg-2', url));
    bare.push(await startBare(entrypoints, work, 'bare-pg-1'), await startBare(entrypoints, work, 'bare-pg-2'));
    const nextPath = answerWebhookPaths();
    for (const server of [...ours, ...bare]) await assertAnswersConnect(server, nextPath);
    const before = await countPostgresCalls(url);
    const { oursRounds, bareRounds, oursDatabaseCpu } = await alternateRounds(ours, bare, nextPath, () => postgres.cpuMicroseconds());
    for (const server of ours) await server.stop();
    const after = await countPostgresCalls(url);
    const warned = ours.flatMap((s) => warnings(s.log()));
    const checks = [
      before === null || after === null
        ? 'calls stored: could not count (no `calls` table?)'
        : `${formatNumber(after - before)} calls stored for ${formatNumber(okCount(oursRounds))} answered in the timed rounds`,
      `server warnings/errors during the run: ${warned.length}${warned.length ? ` (first: ${warned[0]!.slice(0, 160)})` : ''}`,
      oursDatabaseCpu === null
        ? 'PostgreSQL server CPU: not readable (a server given by URL)'
        : `PostgreSQL server CPU during call-tracker's timed rounds: ${formatNumber(oursDatabaseCpu / okCount(oursRounds))} µs per answer, on the same two cores`,
    ];
    return compare('PostgreSQL, 2 instances', 2, oursRounds, bareRounds, checks);
  } finally {
    for (const server of [...ours, ...bare]) await server.stop();
  }
}

async function timeReports(entrypoints: Entrypoints, work: string, notes: string[]): Promise<ReportTiming[]> {
  const cacheDir = settings.quick ? join(work, 'cache') : join(PROJECT_ROOT, 'bench', '.cache');
  const filled = await filledSqliteDatabase(cacheDir, settings.reportCalls);
  notes.push(
    filled.fillSeconds === null
      ? `Report data: ${formatNumber(settings.reportCalls)} calls from the cached fill ${filled.path.replace(PROJECT_ROOT + '/', '')}.`
      : `Report data: ${formatNumber(settings.reportCalls)} calls filled through store.importCalls in ${filled.fillSeconds.toFixed(1)} s.`,
  );
  // The server may migrate or write to the file: it works on a copy, the cache stays as filled.
  const dbPath = join(work, 'reports.db');
  copyFileSync(filled.path, dbPath);
  const server = await startTracker(entrypoints, work, 'ours-reports', `sqlite:${dbPath}`);
  try {
    // Ranges end where the filled history ends, so "30 days" is a full month whenever the fill was made.
    const now = filled.plan.endAt.getTime();
    const iso = (ms: number) => new Date(ms).toISOString();
    const last30Days = `since=${iso(now - 30 * 86_400_000)}&until=${iso(now)}`;
    const allTime = `since=2000-01-01&until=${iso(now)}`;
    const endpoints = [
      { name: 'campaign report, last 30 days', path: `/api/report?${last30Days}` },
      { name: 'campaign report, all time', path: `/api/report?${allTime}` },
      { name: 'calls per day, last 30 days', path: `/api/report/daily?${last30Days}` },
      { name: 'calls, first page', path: '/api/calls' },
      // The campaign with the fewest calls, and its number: pages found through the rollup's hours.
      { name: 'calls of one campaign, first page', path: `/api/calls?campaign=${encodeURIComponent(CAMPAIGNS.at(-1)!)}` },
      { name: 'calls of one number, first page', path: `/api/calls?number=${FILL_TRACKING_NUMBERS.at(-1)!}` },
    ];
    const timings: ReportTiming[] = [];
    for (const endpoint of endpoints) timings.push(await timeEndpoint(server, endpoint.name, endpoint.path));
    return timings;
  } finally {
    await server.stop();
  }
}

async function timeEndpoint(server: ServerProcess, name: string, path: string): Promise<ReportTiming> {
  const get = async () => {
    const started = performance.now();
    const res = await fetch(server.url + path, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, signal: AbortSignal.timeout(120_000) });
    await res.arrayBuffer();
    return { ms: performance.now() - started, status: res.status };
  };
  const first = await get();
  if (first.status !== 200) {
    return { name, path, requests: 0, medianMs: Number.NaN, minMs: Number.NaN, maxMs: Number.NaN, failure: `answers ${first.status}` };
  }
  const times: number[] = [];
  const budgetEnds = performance.now() + settings.reportBudgetSeconds * 1000;
  while (times.length < settings.reportRepeats && (times.length < 3 || performance.now() < budgetEnds)) {
    const { ms, status } = await get();
    if (status !== 200) return { name, path, requests: times.length, medianMs: Number.NaN, minMs: Number.NaN, maxMs: Number.NaN, failure: `answers ${status}` };
    times.push(ms);
  }
  times.sort((a, b) => a - b);
  return { name, path, requests: times.length, medianMs: percentile(times, 50), minMs: times[0]!, maxMs: times[times.length - 1]!, failure: null };
}

async function measureMemory(entrypoints: Entrypoints, work: string): Promise<MemoryResult> {
  const dbPath = join(work, 'memory.db');
  const server = await startTracker(entrypoints, work, 'ours-memory', `sqlite:${dbPath}`);
  try {
    await configureNumbers(server);
    const atStart = await server.measureMemory();
    const nextPath = answerWebhookPaths();
    const drive = (amount: number) => driveLoad({ targets: [server.url], connections: CONNECTIONS, amount, nextPath });
    // JIT, connection buffers, malloc's arenas and SQLite's page cache fill up during the warm-up
    // (RSS levels off within ~50,000 calls); growth is counted after it.
    await drive(settings.memoryWarmupCalls);
    await sleep(settings.quick ? 100 : 500);
    const beforeLoad = await server.measureMemory();
    const during: MemoryResult['during'] = [];
    let answered = 0;
    // A smoke run sends its calls at once: autocannon takes a second at least for any amount.
    const parts = settings.quick ? 1 : 4;
    for (let part = 1; part <= parts; part++) {
      answered += (await drive(settings.memoryCalls / parts)).ok;
      if (part < parts) during.push({ calls: answered, reading: await server.measureMemory() });
    }
    await sleep(settings.quick ? 100 : 1000);
    const afterLoad = await server.measureMemory();
    await server.stop();
    const db = new Database(dbPath, { readonly: true });
    const stored = db.prepare('SELECT count(*) FROM calls').pluck().get() as number;
    db.close();
    return { atStart, beforeLoad, during, afterLoad, calls: answered, stored, growthBytes: afterLoad.rss - beforeLoad.rss };
  } finally {
    await server.stop();
  }
}

function targetRows(webhooks: WebhookComparison[], reports: ReportTiming[], memory: MemoryResult): TargetRow[] {
  const rows: TargetRow[] = [];
  for (const w of webhooks) {
    const failures = w.ours.errors + w.ours.non2xx;
    rows.push(
      {
        what: `answer webhook throughput, ${w.label}`,
        target: `≥ ${TARGET_THROUGHPUT_RATIO} × bare, no errors`,
        measured: `${formatRatio(w.pairedThroughputRatio)} median of ${w.ours.rounds} paired rounds (overall ${formatNumber(w.ours.requestsPerSecond)} vs ${formatNumber(w.bare.requestsPerSecond)} req/s = ${formatRatio(w.throughputRatio)}), ${failures} errors/non-2xx`,
        verdict: verdict(w.pairedThroughputRatio >= TARGET_THROUGHPUT_RATIO && failures === 0),
      },
      {
        what: `answer webhook p99 latency, ${w.label}`,
        target: `≤ ${TARGET_P99_RATIO} × bare`,
        measured: `${formatRatio(w.p99Ratio)} (${formatMs(w.ours.p99Ms)} vs ${formatMs(w.bare.p99Ms)})`,
        verdict: verdict(w.p99Ratio <= TARGET_P99_RATIO),
      },
    );
  }
  for (const r of reports) {
    rows.push({
      what: `${r.name} (${formatNumber(settings.reportCalls)} calls)`,
      target: `median ≤ ${TARGET_REPORT_MEDIAN_MS} ms`,
      measured: r.failure ?? `${formatMs(r.medianMs)} median of ${r.requests}`,
      verdict: r.failure ? 'n/a' : verdict(r.medianMs <= TARGET_REPORT_MEDIAN_MS),
    });
  }
  rows.push({
    what: `memory growth over ${formatNumber(memory.calls)} answer webhooks`,
    target: `≤ ${formatMegabytes(TARGET_MEMORY_GROWTH_BYTES)}`,
    measured: `${formatMegabytes(memory.growthBytes)} (RSS ${formatMegabytes(memory.beforeLoad.rss)} → ${formatMegabytes(memory.afterLoad.rss)})`,
    verdict: verdict(memory.growthBytes <= TARGET_MEMORY_GROWTH_BYTES),
  });
  return rows;
}

function renderTargets(rows: TargetRow[]): string {
  return markdownTable(['What', 'Target', 'Measured', ''], rows.map((r) => [r.what, r.target, r.measured, r.verdict]));
}

function renderWebhooks(webhooks: WebhookComparison[]): string {
  const rows: string[][] = [];
  for (const w of webhooks) {
    for (const [side, s] of [['call-tracker', w.ours], ['bare Express', w.bare]] as const) {
      rows.push([w.label, side, formatNumber(s.requestsPerSecond), formatMs(s.p50Ms), formatMs(s.p99Ms), formatNumber(s.errors),
        formatNumber(s.non2xx), formatNumber(s.ok), `${formatNumber(s.cpuMicrosecondsPerRequest)} µs`]);
    }
    rows.push([w.label, 'ours ÷ bare', `${formatRatio(w.throughputRatio)} (paired ${formatRatio(w.pairedThroughputRatio)})`,
      formatRatio(w.ours.p50Ms / w.bare.p50Ms), formatRatio(w.p99Ratio), '', '', '', formatRatio(w.ours.cpuMicrosecondsPerRequest / w.bare.cpuMicrosecondsPerRequest)]);
  }
  return markdownTable(['Store', 'Server', 'req/s', 'p50', 'p99', 'errors', 'non-2xx', 'answered', 'server CPU/req'], rows);
}

function renderReports(reports: ReportTiming[]): string {
  return markdownTable(
    ['Request', 'Path', 'median', 'min', 'max', 'requests'],
    reports.map((r) => [r.name, `\`${r.path.replace(/since=[^&]+&until=[^&]+/, (m) => (m.includes('2000-01-01') ? 'since=2000-01-01&until=end' : 'since=end-30d&until=end'))}\``,
      r.failure ?? formatMs(r.medianMs), formatMs(r.minMs), formatMs(r.maxMs), String(r.requests)]),
  );
}

function renderMemory(memory: MemoryResult): string {
  const row = (label: string, m: MemoryReading) => [label, formatMegabytes(m.rss), formatMegabytes(m.heapUsed), formatMegabytes(m.external)];
  return [
    markdownTable(['When', 'RSS', 'JS heap used', 'external'], [
      row('started, numbers configured', memory.atStart),
      row(`after ${formatNumber(settings.memoryWarmupCalls)} warm-up calls`, memory.beforeLoad),
      ...memory.during.map((d) => row(`after ${formatNumber(d.calls)} more calls`, d.reading)),
      row(`after ${formatNumber(memory.calls)} more calls, settled`, memory.afterLoad),
    ]),
    '',
    `Calls stored: ${memory.stored === null ? 'n/a' : formatNumber(memory.stored)}; each reading follows a full GC (${memory.afterLoad.gcRan ? 'node --expose-gc' : 'GC not exposed'}).`,
  ].join('\n');
}

function renderSummary(webhooks: WebhookComparison[], reports: ReportTiming[], memory: MemoryResult): string {
  return ['', renderTargets(targetRows(webhooks, reports, memory)), '', renderWebhooks(webhooks), '', renderReports(reports), '', renderMemory(memory), ''].join('\n');
}

function sqliteVersion(): string {
  const db = new Database(':memory:');
  try {
    return db.prepare('SELECT sqlite_version()').pluck().get() as string;
  } finally {
    db.close();
  }
}

function readFindings(): string {
  try {
    return readFileSync(join(PROJECT_ROOT, 'bench', 'findings.md'), 'utf8').trim();
  } catch {
    return '';
  }
}

function renderMarkdown(run: {
  startedAt: Date; finishedAt: Date; webhooks: WebhookComparison[]; reports: ReportTiming[]; memory: MemoryResult;
  notes: string[]; postgresVersion: string | null;
}): string {
  const cpu = cpus();
  const seconds = Math.round((run.finishedAt.getTime() - run.startedAt.getTime()) / 1000);
  const machine = [
    `- CPU: ${cpu[0]?.model ?? 'unknown'}, ${cpu.length} cores; memory ${formatMegabytes(totalmem())}`,
    `- OS: ${osType()} ${release()}; load average at the start ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
    `- Node ${process.version}; SQLite ${sqliteVersion()}${run.postgresVersion ? `; ${run.postgresVersion}` : ''}`,
  ];
  const method = [
    `- Answer webhook: \`GET /track-call?from=…&to=…&uuid=…&conversation_uuid=…&region_url=…&endpoint_type=phone\`, a new uuid`,
    `  per request, ${CONNECTIONS} keep-alive connections from autocannon on loopback (split evenly across instances).`,
    `  Each server runs in its own process (\`node --expose-gc --import memory-probe.js <entry>\`, ${settings.quick ? 'TypeScript through tsx' : 'compiled by tsc'}).`,
    `  call-tracker: \`src/server.ts\` with DATABASE_URL=sqlite:<temp>/webhook.db (or the PostgreSQL URL), ACCESS_LOG=<file>, ADMIN_TOKEN set,`,
    `  20 tracking numbers with campaigns. Bare: \`bench/bare-express.ts\`, Express 5 answering one constant connect NCCO.`,
    `- ${settings.warmupSeconds} s warm-up each, then ${settings.rounds} rounds × ${settings.roundSeconds} s alternating ours/bare (order flipped every round).`,
    `  req/s = 2xx answers ÷ wall time over all rounds; p50/p99 over every response of every round.`,
    `- Reports: ${formatNumber(settings.reportCalls)} calls, 20 campaigns (+1% on an unassigned number), 90 days, ~70% answered with`,
    `  log-normal talk time (median 150 s), unanswered/busy/timeout/cancelled/failed misses, the last 10 minutes in progress,`,
    `  ~30% repeat callers, 4% withheld; filled through \`store.importCalls\` (\`bench/fill.ts\`). One untimed request, then the`,
    `  median of up to ${settings.reportRepeats} sequential requests with the admin token.`,
    `- Memory: RSS after a full GC, read inside the server by \`bench/memory-probe.ts\`, after ${formatNumber(settings.memoryWarmupCalls)} warm-up`,
    `  calls (start-up effects level off there), after each quarter of ${formatNumber(settings.memoryCalls)} more, and 1 s after the last;`,
    `  growth = last reading − reading after the warm-up. A fresh SQLite file, access log on.`,
  ];
  const findings = readFindings();
  return [
    '# Benchmarks',
    '',
    `Produced by \`${command}\` on ${run.startedAt.toISOString().replace(/\.\d{3}Z$/, 'Z')} in ${seconds} s.`,
    ...(settings.quick ? ['', '**Quick smoke run: tiny data and short rounds; these figures mean nothing.**'] : []),
    '',
    '## Targets',
    '',
    renderTargets(targetRows(run.webhooks, run.reports, run.memory)),
    '',
    '## Answer webhook: call-tracker vs bare Express',
    '',
    renderWebhooks(run.webhooks),
    '',
    ...run.webhooks.flatMap((w) => [`Checks after the ${w.label} run:`, ...w.checks.map((c) => `- ${c}`), '']),
    '## Reports',
    '',
    renderReports(run.reports),
    '',
    '## Memory',
    '',
    renderMemory(run.memory),
    '',
    '## Machine',
    '',
    ...machine,
    '',
    '## Method',
    '',
    ...method,
    '',
    ...(run.notes.length > 0 ? ['## Notes', '', ...run.notes.map((n) => `- ${n.replaceAll('\n', '\n  ')}`), ''] : []),
    ...(findings ? [findings, ''] : []),
  ].join('\n');
}

await main();
