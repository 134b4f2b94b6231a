// Measures README's "connected within a few hundred milliseconds" claim: answer webhooks at a
// server whose database is write-locked (SQLite, by another process) or hung (PostgreSQL behind a
// relay that stops passing bytes, as a frozen server looks from outside), against the same server
// with the database healthy, in the same run. `npm run bench:outage` (`-- --quick`: a smoke run).

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { answerWebhookPaths, driveLoad, summariseRounds, type LoadResult } from './load.js';
import { startThrowawayPostgres } from './postgres.js';
import { ADMIN_TOKEN, buildEntrypoints, startServer, type Entrypoints } from './processes.js';
import { formatMs, formatRatio, markdownTable } from './report.js';

const quick = process.argv.includes('--quick');
/** Vonage sends one answer webhook per call; a busy line has a handful of calls at once. */
const CONNECTIONS = 10;
const ANSWERS_PER_ROUND = quick ? 100 : 1000;
const ROUNDS = quick ? 1 : 3;
/** The default deadline after which the answer spools the call. */
const ANSWER_STORE_TIMEOUT_MS = 250;
/** Replaying what the outage spooled takes a few seconds; a minute means something is wrong. */
const RECOVERY_LIMIT_MS = 60_000;

/** Makes the database unavailable until the returned function is called. */
type Outage = () => Promise<() => Promise<void>>;

interface Scenario {
  name: string;
  databaseUrl: string;
  outage: Outage;
  close(): Promise<void>;
}

/** A TCP relay to a port that can stop passing bytes, while still accepting connections. */
async function freezableRelay(targetPort: number) {
  const sockets = new Set<Socket>();
  let frozen = false;
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      socket.on('close', () => sockets.delete(socket));
      if (frozen) socket.pause();
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    freeze() {
      frozen = true;
      for (const socket of sockets) socket.pause();
    },
    thaw() {
      frozen = false;
      for (const socket of sockets) socket.resume();
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function sqliteScenario(dir: string): Scenario {
  const path = join(dir, 'calls.db');
  return {
    name: 'SQLite, write-locked by another process',
    databaseUrl: `sqlite:${path}`,
    // A backup, a migration or an operator's sqlite3 shell left in a transaction.
    outage: async () => {
      const other = new Database(path);
      other.exec('BEGIN IMMEDIATE');
      return async () => {
        other.exec('COMMIT');
        other.close();
      };
    },
    close: async () => {},
  };
}

async function postgresScenario(): Promise<Scenario | string> {
  const postgres = await startThrowawayPostgres();
  if ('unavailable' in postgres) return postgres.unavailable;
  const url = new URL(postgres.url);
  const relay = await freezableRelay(Number(url.port));
  url.port = String(relay.port);
  return {
    name: 'PostgreSQL, hung (accepts, never answers)',
    databaseUrl: url.toString(),
    outage: async () => {
      relay.freeze();
      return async () => relay.thaw();
    },
    close: async () => {
      await relay.close();
      await postgres.stop();
    },
  };
}

async function waitUntilHealthy(url: string): Promise<void> {
  const giveUpAt = Date.now() + RECOVERY_LIMIT_MS;
  while ((await fetch(`${url}/healthz`)).status !== 200) {
    if (Date.now() > giveUpAt) throw new Error(`still degraded after ${RECOVERY_LIMIT_MS} ms`);
    await sleep(200);
  }
}

async function measure(entrypoints: Entrypoints, dir: string, scenario: Scenario) {
  const server = await startServer(entrypoints, {
    name: 'call-tracker',
    entry: 'server',
    cwd: dir,
    logPath: join(dir, `${scenario.databaseUrl.slice(0, 6)}.log`),
    env: {
      PROXY_TO_NUMBER: '447700900000', DATABASE_URL: scenario.databaseUrl, ADMIN_TOKEN, ACCESS_LOG: 'off',
      SPOOL_PATH: join(dir, `${scenario.databaseUrl.slice(0, 6)}-spool.ndjson`), ANSWER_STORE_TIMEOUT_MS: String(ANSWER_STORE_TIMEOUT_MS),
    },
  });
  try {
    const nextPath = answerWebhookPaths();
    const round = () => driveLoad({ targets: [server.url], connections: CONNECTIONS, amount: ANSWERS_PER_ROUND, nextPath });
    const healthy: LoadResult[] = [];
    const down: LoadResult[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      await waitUntilHealthy(server.url);
      healthy.push(await round());
      const end = await scenario.outage();
      try {
        down.push(await round());
      } finally {
        await end();
      }
    }
    await waitUntilHealthy(server.url);
    return { healthy: summarise(healthy), down: summarise(down) };
  } finally {
    await server.stop();
  }
}

function summarise(rounds: LoadResult[]) {
  return { ...summariseRounds(rounds), slowestMs: Math.max(...rounds.map((r) => Math.max(...r.latenciesMs))) };
}

const dir = mkdtempSync(join(tmpdir(), 'ct-bench-outage-'));
const entrypoints = buildEntrypoints(quick ? 'tsx' : 'compiled');
const rows: string[][] = [];
let failed = false;
try {
  const postgres = await postgresScenario();
  const scenarios = [sqliteScenario(dir), ...(typeof postgres === 'string' ? [] : [postgres])];
  if (typeof postgres === 'string') process.stderr.write(`PostgreSQL left out: ${postgres}\n`);
  for (const scenario of scenarios) {
    try {
      const { healthy, down } = await measure(entrypoints, dir, scenario);
      failed ||= down.non2xx + down.errors > 0;
      for (const [state, figures] of [['healthy', healthy], ['unavailable', down]] as const) {
        rows.push([scenario.name, state, String(figures.ok), String(figures.non2xx + figures.errors), formatMs(figures.p50Ms), formatMs(figures.p99Ms), formatMs(figures.slowestMs),
          state === 'healthy' ? '' : formatRatio(down.p99Ms / healthy.p99Ms)]);
      }
    } finally {
      await scenario.close();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`${markdownTable(['database', 'state', 'answers', 'failed', 'p50', 'p99', 'slowest', 'p99 ÷ healthy'], rows)}\n`);
process.stdout.write(`${CONNECTIONS} connections, ${ROUNDS} round(s) of ${ANSWERS_PER_ROUND} answer webhooks each way, ANSWER_STORE_TIMEOUT_MS=${ANSWER_STORE_TIMEOUT_MS}\n`);
if (failed) process.exitCode = 1;
