// `npm run bench`: measures the answer webhook under traffic shaped like real calls against bare
// Express and the tutorial's own server (SQLite; PostgreSQL when one is available), the reports
// over a million calls on SQLite and PostgreSQL (`--calls 10000000` for the size the targets are
// set at), and memory over 200,000 calls; prints a table and writes BENCHMARKS.md.
// `npm run bench -- --quick` (or BENCH_SMOKE=1) is a smoke run of a few seconds with tiny data,
// which the test suite runs so this script cannot rot; it judges nothing.

import Database from 'better-sqlite3';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { consoleLogger } from '../src/logger.js';
import { openStore } from '../src/store/open-store.js';
import { measureEventCost } from './event-cost.js';
import {
  CAMPAIGNS, FILL_TRACKING_NUMBERS, fillStore, filledPostgresServer, filledSqliteDatabase, reportPlan, type FillPlan,
} from './fill.js';
import { answerWebhookPaths, driveLoad, percentile, summariseRounds, type LoadResult, type LoadSummary } from './load.js';
import { startThrowawayPostgres, type Postgres } from './postgres.js';
import {
  ADMIN_TOKEN, PROJECT_ROOT, buildEntrypoints, startServer, type Entrypoints, type MemoryReading, type ServerProcess,
} from './processes.js';
import {
  formatMegabytes, formatMs, formatNumber, formatRatio, markdownTable, verdict, type TargetRow, type Verdict,
} from './report.js';

const BUSINESS_PHONE = '447700900000';
const CONNECTIONS = 50;

const TARGET_SQLITE_THROUGHPUT_RATIO = 0.85;
const TARGET_P99_RATIO = 2;
/** PostgreSQL: CPU each instance of ours spends per answer, against bare Express's. */
const TARGET_POSTGRES_CPU_RATIO = 1.3;
const TARGET_REPORT_MEDIAN_MS = 100;
/** The history the report target is set for; smaller runs are not judged against it. */
const TARGET_REPORT_CALLS = 10_000_000;
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
  quick: false, warmupSeconds: 3, rounds: 6, roundSeconds: 5, reportCalls: 1_000_000, reportRepeats: 15,
  reportBudgetSeconds: 20, memoryWarmupCalls: 50_000, memoryCalls: 200_000,
};
const QUICK: Settings = {
  quick: true, warmupSeconds: 0.2, rounds: 1, roundSeconds: 0.5, reportCalls: 2_000, reportRepeats: 2,
  reportBudgetSeconds: 5, memoryWarmupCalls: 200, memoryCalls: 1_000,
};

const { values: options } = parseArgs({
  options: { quick: { type: 'boolean' }, out: { type: 'string' }, calls: { type: 'string' } },
});
const quick = options.quick === true || process.env.BENCH_SMOKE === '1';
const settings: Settings = { ...(quick ? QUICK : FULL) };
if (options.calls !== undefined) {
  if (!/^\d+$/.test(options.calls) || Number(options.calls) < 1000) throw new Error(`--calls must be a whole number of at least 1000, got "${options.calls}"`);
  settings.reportCalls = Number(options.calls);
}
const outPath = options.out ?? (settings.quick ? join(PROJECT_ROOT, 'bench', '.cache', 'BENCHMARKS.quick.md') : join(PROJECT_ROOT, 'BENCHMARKS.md'));
const givenArgs = process.argv.slice(2);
const command = `npm run bench${givenArgs.length > 0 ? ` -- ${givenArgs.join(' ')}` : ''}${process.env.BENCH_SMOKE === '1' ? ' (BENCH_SMOKE=1)' : ''}`;

const say = (line: string) => process.stderr.write(`${line}\n`);

/** A quick run's figures judge nothing. */
const judge = (ok: boolean): Verdict => (settings.quick ? 'n/a' : verdict(ok));

type SideName = 'call-tracker' | 'bare Express' | 'tutorial server';

interface Side {
  name: SideName;
  servers: ServerProcess[];
}

interface SideResult {
  name: SideName;
  summary: LoadSummary;
  /**
   * Median over rounds of this side's req/s ÷ bare's in the same round: what the verdict uses,
   * because other work on a shared machine comes and goes between rounds.
   */
  pairedRatio: number;
}

interface WebhookComparison {
  store: 'SQLite' | 'PostgreSQL';
  label: string;
  instances: number;
  /** call-tracker first, then bare Express, then the tutorial's server when it ran. */
  sides: SideResult[];
  /** Facts checked after the run: rows stored, log lines, warnings. */
  checks: string[];
}

interface ReportTiming {
  name: string;
  /** As the tables print it: ranges relative to the end of the filled history. */
  path: string;
  requests: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** A status other than 200, when the route answered one. */
  failure: string | null;
}

interface ReportSet {
  store: 'SQLite' | 'PostgreSQL';
  calls: number;
  timings: ReportTiming[];
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
    say(`building (${settings.quick ? 'tsx, quick run' : 'npm run build → node dist/server.js, as npm start runs it'})…`);
    const entrypoints = buildEntrypoints(settings.quick ? 'tsx' : 'compiled');
    if (entrypoints.buildWarnings) notes.push(`tsc reported type errors; the emitted code was benchmarked anyway:\n${entrypoints.buildWarnings.slice(0, 1500)}`);

    const webhooks: WebhookComparison[] = [];
    say('answer webhook, SQLite…');
    webhooks.push(await compareSqliteWebhook(entrypoints, work));

    let postgresVersion: string | null = null;
    say('answer webhook, PostgreSQL…');
    const postgres = await postgresForBench();
    if ('unavailable' in postgres) {
      notes.push(`PostgreSQL benchmarks skipped: ${postgres.unavailable}.`);
    } else {
      cleanups.push(postgres.stop);
      postgresVersion = postgres.version;
      const comparison = await comparePostgresWebhook(entrypoints, work, postgres);
      if (typeof comparison === 'string') notes.push(`PostgreSQL webhook benchmark skipped: ${comparison}`);
      else webhooks.push(comparison);
    }

    const reports: ReportSet[] = [];
    say(`reports over ${formatNumber(settings.reportCalls)} calls, SQLite…`);
    reports.push(await timeSqliteReports(entrypoints, work, notes));
    if (!('unavailable' in postgres)) {
      say(`reports over ${formatNumber(settings.reportCalls)} calls, PostgreSQL…`);
      const set = await timePostgresReports(entrypoints, work, postgres, notes);
      if (typeof set === 'string') notes.push(`PostgreSQL report benchmark skipped: ${set}`);
      else reports.push(set);
    }

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

/** The call-tracker as a new user runs it: the given database, access log to a file, no numbers configured. */
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

async function startBaseline(entrypoints: Entrypoints, work: string, entry: 'bare' | 'tutorial', name: string): Promise<ServerProcess> {
  return startServer(entrypoints, { name, entry, env: {}, cwd: work, logPath: join(work, `${name}.log`) });
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
 * Warms every side up, then runs rounds in which each side takes its turn, the order rotating
 * every round, so that drift in the machine's load falls on all alike.
 */
async function rotateRounds(sides: Side[], nextPath: () => string, databaseCpu: () => number | null = () => null) {
  const drive = async (servers: ServerProcess[], seconds: number) => {
    const cpu = async () => (await Promise.all(servers.map((s) => s.cpuMicroseconds()))).reduce((a, b) => a + b, 0);
    const cpuBefore = await cpu();
    const databaseBefore = databaseCpu();
    const result = await driveLoad({ targets: servers.map((s) => s.url), connections: CONNECTIONS, durationSeconds: seconds, nextPath });
    const databaseAfter = databaseCpu();
    const databaseCpuMicroseconds = databaseBefore === null || databaseAfter === null ? null : databaseAfter - databaseBefore;
    return { ...result, serverCpuMicroseconds: (await cpu()) - cpuBefore, databaseCpuMicroseconds };
  };
  for (const side of sides) await drive(side.servers, settings.warmupSeconds);
  const rounds = new Map<SideName, LoadResult[]>(sides.map((side) => [side.name, []]));
  /** The database server's CPU during call-tracker's timed rounds, when it can be read. */
  let oursDatabaseCpu: number | null = 0;
  for (let round = 0; round < settings.rounds; round++) {
    const shift = round % sides.length;
    for (const side of [...sides.slice(shift), ...sides.slice(0, shift)]) {
      const result = await drive(side.servers, settings.roundSeconds);
      rounds.get(side.name)!.push(result);
      if (side.name === 'call-tracker') {
        oursDatabaseCpu = oursDatabaseCpu === null || result.databaseCpuMicroseconds === null ? null : oursDatabaseCpu + result.databaseCpuMicroseconds;
      }
      const cpuPerRequest = (result.serverCpuMicroseconds ?? Number.NaN) / result.ok;
      say(`  round ${round + 1} ${side.name}: ${formatNumber(result.requestsPerSecond)} req/s, ${formatNumber(cpuPerRequest)} µs server CPU/req, ${result.errors} errors, ${result.non2xx} non-2xx`);
    }
  }
  return { rounds, oursDatabaseCpu };
}

function summariseSides(rounds: Map<SideName, LoadResult[]>): SideResult[] {
  const bareRounds = rounds.get('bare Express')!;
  return [...rounds].map(([name, sideRounds]) => {
    const paired = sideRounds.map((r, i) => r.requestsPerSecond / bareRounds[i]!.requestsPerSecond).sort((a, b) => a - b);
    return { name, summary: summariseRounds(sideRounds), pairedRatio: percentile(paired, 50) };
  });
}

const side = (comparison: WebhookComparison, name: SideName) => comparison.sides.find((s) => s.name === name);

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
  const servers: ServerProcess[] = [];
  try {
    const ours = await startTracker(entrypoints, work, 'ours-sqlite', `sqlite:${dbPath}`);
    servers.push(ours, await startBaseline(entrypoints, work, 'bare', 'bare'), await startBaseline(entrypoints, work, 'tutorial', 'tutorial'));
    const nextPath = answerWebhookPaths();
    for (const server of servers) await assertAnswersConnect(server, nextPath);
    const { rounds } = await rotateRounds([
      { name: 'call-tracker', servers: [ours] },
      { name: 'bare Express', servers: [servers[1]!] },
      { name: 'tutorial server', servers: [servers[2]!] },
    ], nextPath);
    await ours.stop();

    const db = new Database(dbPath, { readonly: true });
    const stored = db.prepare('SELECT count(*) FROM calls').pluck().get() as number;
    db.close();
    const accessLog = countLines(join(work, 'ours-sqlite-access.log'));
    const warned = warnings(ours.log());
    // Warm-up and the sanity request were answered too, so the store holds at least the rounds' calls.
    const checks = [
      `${formatNumber(stored)} calls stored for ${formatNumber(okCount(rounds.get('call-tracker')!))} answered in the timed rounds (plus warm-up)`,
      `access log: ${formatNumber(accessLog.lines)} lines, ${accessLog.withQuery} with a query string`,
      `server warnings/errors during the run: ${warned.length}${warned.length ? ` (first: ${warned[0]!.slice(0, 160)})` : ''}`,
    ];
    return { store: 'SQLite', label: 'SQLite', instances: 1, sides: summariseSides(rounds), checks };
  } finally {
    for (const server of servers) await server.stop();
  }
}

async function postgresForBench(): Promise<Postgres | { unavailable: string }> {
  const given = process.env.BENCH_DATABASE_URL;
  if (given) return { url: given, version: 'given by BENCH_DATABASE_URL', cpuMicroseconds: () => null, stop: async () => {} };
  if (settings.quick) return { unavailable: 'quick run (set BENCH_DATABASE_URL to include it)' };
  return startThrowawayPostgres();
}

async function onPostgres<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => {});
  }
}

async function countPostgresCalls(url: string): Promise<number | null> {
  try {
    return await onPostgres(url, async (client) => Number((await client.query<{ count: string }>('SELECT count(*) AS count FROM calls')).rows[0]?.count));
  } catch {
    return null;
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
    ours.push(await startTracker(entrypoints, work, 'ours-pg-2', url));
    bare.push(await startBaseline(entrypoints, work, 'bare', 'bare-pg-1'), await startBaseline(entrypoints, work, 'bare', 'bare-pg-2'));
    const nextPath = answerWebhookPaths();
    for (const server of [...ours, ...bare]) await assertAnswersConnect(server, nextPath);
    const before = await countPostgresCalls(url);
    const { rounds, oursDatabaseCpu } = await rotateRounds(
      [{ name: 'call-tracker', servers: ours }, { name: 'bare Express', servers: bare }], nextPath, () => postgres.cpuMicroseconds());
    for (const server of ours) await server.stop();
    const after = await countPostgresCalls(url);
    const warned = ours.flatMap((s) => warnings(s.log()));
    const answered = okCount(rounds.get('call-tracker')!);
    const checks = [
      before === null || after === null
        ? 'calls stored: could not count (no `calls` table?)'
        : `${formatNumber(after - before)} calls stored for ${formatNumber(answered)} answered in the timed rounds`,
      `server warnings/errors during the run: ${warned.length}${warned.length ? ` (first: ${warned[0]!.slice(0, 160)})` : ''}`,
      oursDatabaseCpu === null
        ? 'PostgreSQL server CPU: not readable (a server given by URL)'
        : `PostgreSQL server CPU during call-tracker's timed rounds: ${formatNumber(oursDatabaseCpu / answered)} µs per answer, on the same two cores`,
    ];
    return { store: 'PostgreSQL', label: 'PostgreSQL, 2 instances', instances: 2, sides: summariseSides(rounds), checks };
  } finally {
    for (const server of [...ours, ...bare]) await server.stop();
  }
}

/** The report requests timed, over a history that ends at plan.endAt; `shown` is the path as the tables print it. */
function reportEndpoints(plan: FillPlan): { name: string; path: string; shown: string }[] {
  // Ranges end where the filled history ends, so "30 days" is a full month whenever the fill was made.
  const end = plan.endAt.getTime();
  const range = (sinceMs: number, untilMs: number) => `since=${new Date(sinceMs).toISOString()}&until=${new Date(untilMs).toISOString()}`;
  const last30Days = { query: range(end - 30 * 86_400_000, end), shown: 'since=end-30d&until=end' };
  const allTime = { query: `since=2000-01-01&until=${plan.endAt.toISOString()}`, shown: 'since=2000-01-01&until=end' };
  // Neither end on a whole hour or day: the report must read the edges from the calls themselves.
  const oddEdges = { query: range(end - 42 * 86_400_000 - 1_057_000, end - 11_473_000), shown: 'since=end-42d-17m37s&until=end-3h11m13s' };
  const report = (name: string, route: string, r: { query: string; shown: string }) => ({ name, path: `${route}?${r.query}`, shown: `${route}?${r.shown}` });
  const plain = (name: string, path: string) => ({ name, path, shown: path });
  return [
    report('campaign report, last 30 days', '/api/report', last30Days),
    report('campaign report, all time', '/api/report', allTime),
    report('campaign report, 42 days with odd edges', '/api/report', oddEdges),
    report('calls per day, last 30 days', '/api/report/daily', last30Days),
    report('calls per day, all time', '/api/report/daily', allTime),
    report('hour of week, last 30 days', '/api/report/hour-of-week', last30Days),
    plain('calls, first page', '/api/calls'),
    // The campaign with the fewest calls, and its number.
    plain('calls of one campaign, first page', `/api/calls?campaign=${encodeURIComponent(CAMPAIGNS.at(-1)!)}`),
    plain('calls of one number, first page', `/api/calls?number=${FILL_TRACKING_NUMBERS.at(-1)!}`),
  ];
}

async function timeEndpoints(server: ServerProcess, plan: FillPlan): Promise<ReportTiming[]> {
  const timings: ReportTiming[] = [];
  for (const endpoint of reportEndpoints(plan)) timings.push({ ...(await timeEndpoint(server, endpoint.name, endpoint.path)), path: endpoint.shown });
  return timings;
}

async function timeSqliteReports(entrypoints: Entrypoints, work: string, notes: string[]): Promise<ReportSet> {
  const cacheDir = settings.quick ? join(work, 'cache') : join(PROJECT_ROOT, 'bench', '.cache');
  const filled = await filledSqliteDatabase(cacheDir, settings.reportCalls);
  const fill = `${filled.cached ? `from the cached fill ${filled.path.replace(PROJECT_ROOT + '/', '')}, ` : ''}filled through store.importCallBatches (a bulk load into an empty store) in ${filled.fillSeconds.toFixed(1)} s`;
  say(`  ${formatNumber(settings.reportCalls)} calls ${fill}`);
  notes.push(`SQLite report data: ${formatNumber(settings.reportCalls)} calls ${fill}.`);
  // The server may migrate or write to the file: it works on a copy, the cache stays as filled.
  const dbPath = join(work, 'reports.db');
  copyFileSync(filled.path, dbPath);
  const server = await startTracker(entrypoints, work, 'ours-reports', `sqlite:${dbPath}`);
  try {
    return { store: 'SQLite', calls: settings.reportCalls, timings: await timeEndpoints(server, filled.plan) };
  } finally {
    await server.stop();
  }
}

/**
 * Times the same requests on PostgreSQL: on a server of its own whose filled data directory is
 * kept in bench/.cache, or, when BENCH_DATABASE_URL names a server, in a database of its own
 * there, filled for this run.
 */
async function timePostgresReports(entrypoints: Entrypoints, work: string, postgres: Postgres, notes: string[]): Promise<ReportSet | string> {
  if (process.env.BENCH_DATABASE_URL) return timeReportsOnGivenPostgres(entrypoints, work, postgres, notes);
  const filled = await filledPostgresServer(join(PROJECT_ROOT, 'bench', '.cache'), settings.reportCalls);
  if ('unavailable' in filled) return filled.unavailable;
  try {
    const fill = `${filled.cached ? 'from the kept data directory of an earlier fill in bench/.cache, ' : ''}filled through store.importCallBatches (a bulk load into an empty store) in ${filled.fillSeconds.toFixed(1)} s`;
    say(`  ${formatNumber(settings.reportCalls)} calls ${fill}`);
    notes.push(`PostgreSQL report data: ${formatNumber(settings.reportCalls)} calls ${fill}.`);
    const server = await startTracker(entrypoints, work, 'ours-pg-reports', filled.server.url);
    try {
      return { store: 'PostgreSQL', calls: settings.reportCalls, timings: await timeEndpoints(server, filled.plan) };
    } finally {
      await server.stop();
    }
  } finally {
    await filled.server.stop();
  }
}

/** Fills a database of its own on the given server through store.importCallBatches, then times the requests. */
async function timeReportsOnGivenPostgres(entrypoints: Entrypoints, work: string, postgres: Postgres, notes: string[]): Promise<ReportSet | string> {
  const name = `call_tracker_bench_reports_${process.pid}`;
  const url = new URL(postgres.url);
  url.pathname = `/${name}`;
  try {
    await onPostgres(postgres.url, (client) => client.query(`CREATE DATABASE ${name}`));
  } catch (error) {
    return `cannot create a database for it (${error instanceof Error ? error.message : String(error)})`;
  }
  try {
    const plan = reportPlan(settings.reportCalls);
    const store = await openStore({ kind: 'postgres', url: url.toString() }, consoleLogger);
    const started = performance.now();
    try {
      await fillStore(store, plan);
    } finally {
      await store.close();
    }
    const fillSeconds = (performance.now() - started) / 1000;
    say(`  ${formatNumber(settings.reportCalls)} calls filled through store.importCallBatches (a bulk load into an empty store) in ${fillSeconds.toFixed(1)} s`);
    notes.push(`PostgreSQL report data: ${formatNumber(settings.reportCalls)} calls filled through store.importCallBatches (a bulk load into an empty store) in ${fillSeconds.toFixed(1)} s.`);
    const server = await startTracker(entrypoints, work, 'ours-pg-reports', url.toString());
    try {
      return { store: 'PostgreSQL', calls: settings.reportCalls, timings: await timeEndpoints(server, plan) };
    } finally {
      await server.stop();
    }
  } finally {
    await onPostgres(postgres.url, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch(() => {});
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

function webhookRows(w: WebhookComparison): TargetRow[] {
  const ours = side(w, 'call-tracker')!;
  const bare = side(w, 'bare Express')!;
  const tutorial = side(w, 'tutorial server');
  const failures = ours.summary.errors + ours.summary.non2xx;
  const throughput = `${formatRatio(ours.pairedRatio)} median of ${ours.summary.rounds} paired rounds (overall ${formatNumber(ours.summary.requestsPerSecond)} vs ${formatNumber(bare.summary.requestsPerSecond)} req/s), ${failures} errors/non-2xx`;
  const p99Ratio = ours.summary.p99Ms / bare.summary.p99Ms;
  const cpuRatio = ours.summary.cpuMicrosecondsPerRequest / bare.summary.cpuMicrosecondsPerRequest;
  const rows: TargetRow[] = [];
  if (w.store === 'SQLite') {
    rows.push({
      what: `answer webhook throughput, ${w.label}`,
      target: `≥ ${TARGET_SQLITE_THROUGHPUT_RATIO} × bare, no errors`,
      measured: throughput,
      verdict: judge(ours.pairedRatio >= TARGET_SQLITE_THROUGHPUT_RATIO && failures === 0),
    });
  } else {
    rows.push(
      {
        what: `answer webhook server CPU per answer, ${w.label}`,
        target: `≤ ${TARGET_POSTGRES_CPU_RATIO} × bare`,
        measured: `${formatRatio(cpuRatio)} (${formatNumber(ours.summary.cpuMicrosecondsPerRequest)} vs ${formatNumber(bare.summary.cpuMicrosecondsPerRequest)} µs), ${failures} errors/non-2xx`,
        verdict: judge(cpuRatio <= TARGET_POSTGRES_CPU_RATIO && failures === 0),
      },
      { what: `answer webhook throughput, ${w.label}`, target: 'for information', measured: throughput, verdict: 'n/a' },
    );
  }
  rows.push({
    what: `answer webhook p99 latency, ${w.label}`,
    target: `≤ ${TARGET_P99_RATIO} × bare`,
    measured: `${formatRatio(p99Ratio)} (${formatMs(ours.summary.p99Ms)} vs ${formatMs(bare.summary.p99Ms)})`,
    verdict: judge(p99Ratio <= TARGET_P99_RATIO),
  });
  if (tutorial) {
    rows.push({
      what: `the tutorial's server, for comparison, ${w.label}`,
      target: 'for information',
      measured: `${formatRatio(tutorial.pairedRatio)} bare, median of ${tutorial.summary.rounds} paired rounds (${formatNumber(tutorial.summary.requestsPerSecond)} req/s)`,
      verdict: 'n/a',
    });
  }
  return rows;
}

function targetRows(webhooks: WebhookComparison[], reports: ReportSet[], memory: MemoryResult): TargetRow[] {
  const rows = webhooks.flatMap(webhookRows);
  for (const set of reports) {
    const judged = set.calls >= TARGET_REPORT_CALLS;
    for (const r of set.timings) {
      rows.push({
        what: `${r.name}, ${set.store} (${formatNumber(set.calls)} calls)`,
        target: `median ≤ ${TARGET_REPORT_MEDIAN_MS} ms at ${formatNumber(TARGET_REPORT_CALLS)} calls`,
        measured: r.failure ?? `${formatMs(r.medianMs)} median of ${r.requests}`,
        verdict: r.failure || !judged ? 'n/a' : judge(r.medianMs <= TARGET_REPORT_MEDIAN_MS),
      });
    }
  }
  rows.push({
    what: `memory growth over ${formatNumber(memory.calls)} answer webhooks`,
    target: `≤ ${formatMegabytes(TARGET_MEMORY_GROWTH_BYTES)}`,
    measured: `${formatMegabytes(memory.growthBytes)} (RSS ${formatMegabytes(memory.beforeLoad.rss)} → ${formatMegabytes(memory.afterLoad.rss)})`,
    verdict: judge(memory.growthBytes <= TARGET_MEMORY_GROWTH_BYTES),
  });
  return rows;
}

/** The targets; a quick run shows what it measured without a verdict column. */
function renderTargets(rows: TargetRow[]): string {
  if (settings.quick) return markdownTable(['What', 'Target', 'Measured'], rows.map((r) => [r.what, r.target, r.measured]));
  return markdownTable(['What', 'Target', 'Measured', ''], rows.map((r) => [r.what, r.target, r.measured, r.verdict]));
}

function renderWebhooks(webhooks: WebhookComparison[]): string {
  const rows: string[][] = [];
  for (const w of webhooks) {
    const bare = side(w, 'bare Express')!;
    for (const { name, summary: s } of w.sides) {
      rows.push([w.label, name, formatNumber(s.requestsPerSecond), formatMs(s.p50Ms), formatMs(s.p99Ms), formatNumber(s.errors),
        formatNumber(s.non2xx), formatNumber(s.ok), `${formatNumber(s.cpuMicrosecondsPerRequest)} µs`]);
    }
    for (const { name, summary: s, pairedRatio } of w.sides.filter((x) => x.name !== 'bare Express')) {
      rows.push([w.label, `${name} ÷ bare`, `${formatRatio(s.requestsPerSecond / bare.summary.requestsPerSecond)} (paired ${formatRatio(pairedRatio)})`,
        formatRatio(s.p50Ms / bare.summary.p50Ms), formatRatio(s.p99Ms / bare.summary.p99Ms), '', '', '',
        formatRatio(s.cpuMicrosecondsPerRequest / bare.summary.cpuMicrosecondsPerRequest)]);
    }
  }
  return markdownTable(['Store', 'Server', 'req/s', 'p50', 'p99', 'errors', 'non-2xx', 'answered', 'server CPU/req'], rows);
}

function renderReports(reports: ReportSet[]): string {
  return markdownTable(
    ['Store', 'Request', 'Path', 'median', 'min', 'max', 'requests'],
    reports.flatMap((set) => set.timings.map((r) => [`${set.store}, ${formatNumber(set.calls)} calls`, r.name, `\`${r.path}\``,
      r.failure ?? formatMs(r.medianMs), formatMs(r.minMs), formatMs(r.maxMs), String(r.requests)])),
  );
}

function renderMemory(memory: MemoryResult): string {
  const row = (label: string, m: MemoryReading) => [label, formatMegabytes(m.rss), formatMegabytes(m.heapUsed), formatMegabytes(m.external)];
  return [
    markdownTable(['When', 'RSS', 'JS heap used', 'external'], [
      row('started', memory.atStart),
      row(`after ${formatNumber(settings.memoryWarmupCalls)} warm-up calls`, memory.beforeLoad),
      ...memory.during.map((d) => row(`after ${formatNumber(d.calls)} more calls`, d.reading)),
      row(`after ${formatNumber(memory.calls)} more calls, settled`, memory.afterLoad),
    ]),
    '',
    `Calls stored: ${memory.stored === null ? 'n/a' : formatNumber(memory.stored)}; each reading follows a full GC (${memory.afterLoad.gcRan ? 'node --expose-gc' : 'GC not exposed'}).`,
  ].join('\n');
}

const QUICK_WARNING = '**Quick smoke run: tiny data and short rounds; these figures mean nothing and nothing is judged.**';

function renderSummary(webhooks: WebhookComparison[], reports: ReportSet[], memory: MemoryResult): string {
  return ['', ...(settings.quick ? [QUICK_WARNING, ''] : []), renderTargets(targetRows(webhooks, reports, memory)), '', renderWebhooks(webhooks), '',
    renderReports(reports), '', renderMemory(memory), ''].join('\n');
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
  startedAt: Date; finishedAt: Date; webhooks: WebhookComparison[]; reports: ReportSet[]; memory: MemoryResult;
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
    '- Answer webhook, under traffic shaped like real calls: `GET /track-call?from=…&to=…&uuid=…&conversation_uuid=…&region_url=…&endpoint_type=phone`,',
    '  every request a new call (random uuids), a caller number not seen before in the run, and the next of 1,000 tracking',
    `  numbers, none of them configured; ${CONNECTIONS} keep-alive connections from autocannon on loopback (split evenly across instances).`,
    `  Each server runs in its own process (\`node --expose-gc --import memory-probe.js <entry>\`, ${settings.quick ? 'TypeScript through tsx' : 'compiled by tsc'}).`,
    `  call-tracker: ${settings.quick ? '`src/server.ts`' : '`dist/server.js` as `npm run build` compiles it and `npm start` runs it'}, DATABASE_URL=sqlite:<temp>/webhook.db (or the`,
    '  PostgreSQL URL), ACCESS_LOG=<file>, ADMIN_TOKEN set. Bare: `bench/bare-express.ts`, Express 5 answering one constant',
    '  connect NCCO. Tutorial: `bench/tutorial-server.ts`, the shape of Vonage\'s call-tracking tutorial server (each call pushed',
    '  into an in-memory map, `res.json` of a connect NCCO).',
    `- ${settings.warmupSeconds} s warm-up each, then ${settings.rounds} rounds of ${settings.roundSeconds} s per server, the order rotating every round`,
    '  (SQLite: call-tracker, bare, tutorial; PostgreSQL: two instances of call-tracker against two of bare).',
    '  req/s = 2xx answers ÷ wall time over all rounds; p50/p99 over every response of every round; "paired" = median',
    '  over rounds of the ratio within the round; server CPU/req = CPU the server processes used ÷ 2xx answers.',
    `- Reports: ${formatNumber(settings.reportCalls)} calls, 20 campaigns (+1% on an unassigned number), 90 days, ~70% answered with`,
    '  log-normal talk time (median 150 s), unanswered/busy/timeout/cancelled/failed misses, the last 10 minutes in progress,',
    '  ~30% repeat callers, 4% withheld; filled through `store.importCallBatches` (`bench/fill.ts`), the bulk load `npm run import`',
    `  writes through; on PostgreSQL on a server of its own (both fills are kept in bench/.cache and filled once). One untimed`,
    `  request, then the median of up to ${settings.reportRepeats}`,
    `  sequential requests with the admin token. The report target is judged at ${formatNumber(TARGET_REPORT_CALLS)} calls only`,
    `  (\`npm run bench -- --calls ${TARGET_REPORT_CALLS}\`).`,
    `- Memory: RSS after a full GC, read inside the server by \`bench/memory-probe.ts\`, after ${formatNumber(settings.memoryWarmupCalls)} warm-up`,
    `  calls (start-up effects level off there), after each quarter of ${formatNumber(settings.memoryCalls)} more, and 1 s after the last;`,
    '  growth = last reading − reading after the warm-up. A fresh SQLite file, access log on, the same load.',
  ];
  const findings = readFindings();
  return [
    '# Benchmarks',
    '',
    `Produced by \`${command}\` on ${run.startedAt.toISOString().replace(/\.\d{3}Z$/, 'Z')} in ${seconds} s.`,
    ...(settings.quick ? ['', QUICK_WARNING] : []),
    '',
    '## Targets',
    '',
    renderTargets(targetRows(run.webhooks, run.reports, run.memory)),
    '',
    '## Answer webhook: call-tracker, bare Express and the tutorial\'s server',
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
