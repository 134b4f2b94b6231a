// How many number requests a second the server holds: autocannon sends website visits at
// POST /dni/visits (each a new visitor from an address of its own, so every one takes a hold and
// the pool is soon exhausted: the costlier reuse path), and heartbeats of visits. The machine may
// be shared, so each figure is also given as a ratio to a baseline measured in the same rounds:
// GET / of the same server, its cheapest route.
// Run: npx tsx bench/dni-load.ts [--database postgres://…] [--rounds 3] [--seconds 5] [--connections 10]

import autocannon from 'autocannon';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ADMIN_TOKEN, buildEntrypoints, startServer } from './processes.js';

const SITE = 'https://www.example.com';
const POOL_SIZE = 200;

const { values: args } = parseArgs({
  options: {
    database: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '10' },
  },
});

type NextRequest = () => { method?: 'GET' | 'POST'; path: string; body?: string; address: string };

function run(url: string, request: NextRequest): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon({
      url,
      connections: Number(args.connections),
      duration: Number(args.seconds),
      requests: [{
        setupRequest: (req) => {
          const next = request();
          return {
            ...req, method: next.method ?? 'POST', path: next.path, body: next.body,
            headers: { origin: SITE, 'content-type': 'text/plain', 'x-forwarded-for': next.address },
          };
        },
      }],
    }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

const address = (n: number) => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;

const dir = mkdtempSync(join(tmpdir(), 'ct-dni-bench-'));
const server = await startServer(buildEntrypoints('compiled'), {
  name: 'call-tracker', entry: 'server', cwd: dir, logPath: join(dir, 'server.log'),
  env: {
    PROXY_TO_NUMBER: '447700900000', ADMIN_TOKEN, ACCESS_LOG: 'off', SPOOL_PATH: join(dir, 'spool.ndjson'),
    DATABASE_URL: args.database ?? `sqlite:${join(dir, 'calls.db')}`, DNI_ALLOWED_ORIGINS: SITE,
  },
});
try {
  const numbers = Array.from({ length: POOL_SIZE }, (_, i) => `4420794${String(70000 + i)}`);
  const pool = `bench-${Date.now().toString(36)}`;
  const res = await fetch(`${server.url}/api/pools/${pool}`, {
    method: 'PUT', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ replaces: '+44 20 7946 0000', numbers }),
  });
  if (!res.ok) throw new Error(`PUT /api/pools answered ${res.status}: ${await res.text()}`);

  // Heartbeats need visit ids: a few hundred visits, renewed in turn.
  const visitIds: string[] = [];
  for (let i = 0; i < 300; i++) {
    const answer = await fetch(`${server.url}/dni/visits`, {
      method: 'POST', headers: { origin: SITE, 'content-type': 'text/plain', 'x-forwarded-for': address(1_000_000 + i) },
      body: JSON.stringify({ pool }),
    });
    visitIds.push(((await answer.json()) as { visitId: string }).visitId);
  }

  let visitor = 0;
  let beat = 0;
  const kinds: [string, NextRequest][] = [
    ['baseline GET /', () => ({ method: 'GET', path: '/', address: address(0) })],
    ['new visits (holds)', () => {
      visitor += 1;
      return {
        path: '/dni/visits', address: address(visitor),
        body: JSON.stringify({ pool, utmSource: 'google', utmMedium: 'cpc', gclid: `bench${visitor}`, landingPage: `${SITE}/landing` }),
      };
    }],
    ['heartbeats', () => ({ path: `/dni/visits/${visitIds[beat++ % visitIds.length]}/heartbeat`, body: '{}', address: address(beat) })],
  ];
  const results = new Map<string, autocannon.Result[]>();
  for (let round = 0; round < Number(args.rounds); round++) {
    // Each round starts with another kind, so none always runs on a fresher machine.
    for (let k = 0; k < kinds.length; k++) {
      const [name, next] = kinds[(k + round) % kinds.length]!;
      const result = await run(server.url, next);
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`${name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      results.set(name, [...(results.get(name) ?? []), result]);
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const rate = (name: string) => median(results.get(name)!.map((r) => r.requests.average));
  const baseline = rate('baseline GET /');
  process.stdout.write(`DNI load, ${args.database ? 'PostgreSQL' : 'SQLite'}, pool of ${POOL_SIZE}, ${args.connections} connections, ` +
    `${args.rounds} rounds of ${args.seconds} s (medians)\n`);
  for (const [name] of kinds) {
    const p99 = median(results.get(name)!.map((r) => r.latency.p99));
    process.stdout.write(`${name.padEnd(20)} ${rate(name).toFixed(0).padStart(6)} req/s  ${(rate(name) / baseline).toFixed(2)}x baseline  p99 ${p99} ms\n`);
  }
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
