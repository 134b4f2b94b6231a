import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { openPostgresStore } from '../src/store/postgres/postgres-store.js';
import type { CallStore } from '../src/store/call-store.js';
import { assertValidNcco } from './helpers/ncco-schema.js';
import { ownPostgresSkipReason, startOwnPostgres, type OwnPostgres } from './helpers/own-postgres.js';
import { routeCall } from './helpers/routed-call.js';
import { BUSINESS_PHONE, startTestService, type TestService } from './helpers/service.js';

const CALLS_PER_OUTAGE = 24;
const FORWARDED_NUMBER = '447700900501';
const FORWARD_TO = '447700900999';
const PLAIN_NUMBER = '447700900502';
const ROUTED_NUMBER = '447700900503';

let sequence = 0;
/** Slowest answer webhook per outage, for the log only: `npm run bench:outage` measures the time. */
const slowest: Record<string, number> = {};
after(() => process.stderr.write(`# slowest answer during each outage: ${JSON.stringify(slowest)} ms\n`));

interface OutageCall {
  uuid: string;
  trackingNumber: string;
}

interface Health {
  status: string;
  store: { ok: boolean; kind: string; latencyMs?: number; error?: string };
  spool: { depth: number; oldestAgeSeconds: number | null; bytes: number; full: boolean };
}

/** FORWARDED_NUMBER's calls go to FORWARD_TO; the others to PROXY_TO_NUMBER. */
async function forwardNumber(service: TestService): Promise<void> {
  const put = await fetch(`${service.url}/api/numbers/${FORWARDED_NUMBER}`, {
    method: 'PUT',
    headers: { ...service.admin, 'content-type': 'application/json' },
    body: JSON.stringify({ campaign: 'Radio', forwardTo: `+${FORWARD_TO}` }),
  });
  assert.equal(put.status, 201);
}

async function health(service: TestService): Promise<{ code: number; body: Health }> {
  const res = await fetch(`${service.url}/healthz`);
  return { code: res.status, body: (await res.json()) as Health };
}

/** Recovery takes a replay or two (one a second); a minute without it is a failure, not a wait. */
const RECOVERY_LIMIT_MS = 60_000;

/**
 * Polls /healthz until it says ok (the store answers and the spool has been replayed) and the
 * replayed spool file is gone: it is deleted just after its last record is written, and counts
 * in `bytes` until then.
 */
async function waitUntilHealthy(service: TestService): Promise<Health> {
  const giveUpAt = Date.now() + RECOVERY_LIMIT_MS;
  for (;;) {
    const { code, body } = await health(service);
    if (code === 200 && body.spool.bytes === 0) return body;
    if (Date.now() > giveUpAt) assert.fail(`still degraded after ${RECOVERY_LIMIT_MS} ms: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Sends answer webhooks (and a completed event for each) while the store is down. */
async function callsDuringOutage(service: TestService, label: string): Promise<OutageCall[]> {
  const calls = Array.from({ length: CALLS_PER_OUTAGE }, (_, i) => {
    sequence += 1;
    return { uuid: `${label}-${process.pid}-${sequence}`, trackingNumber: i % 2 ? FORWARDED_NUMBER : PLAIN_NUMBER };
  });
  await Promise.all(calls.map(async ({ uuid, trackingNumber }) => {
    const started = performance.now();
    const res = await fetch(`${service.url}/track-call?${new URLSearchParams({ from: '447700900111', to: trackingNumber, uuid, conversation_uuid: `CON-${uuid}` })}`);
    const ncco = await res.json();
    const elapsedMs = Math.round(performance.now() - started);
    slowest[label] = Math.max(slowest[label] ?? 0, elapsedMs);
    assert.equal(res.status, 200);
    assertValidNcco(ncco);
    assert.deepEqual(ncco[0].endpoint, [{ type: 'phone', number: trackingNumber === FORWARDED_NUMBER ? FORWARD_TO : BUSINESS_PHONE }]);
    assert.equal(ncco[0].from, trackingNumber);

    const event = await fetch(`${service.url}/event`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ uuid, conversation_uuid: `CON-${uuid}`, status: 'completed', direction: 'inbound', duration: '12', timestamp: new Date().toISOString() }),
    });
    assert.equal(event.status, 204);
  }));
  return calls;
}

/**
 * An admin request the database cannot serve during the outage is a 503 to try again, with
 * Retry-After, not a 500 "internal error" (the README's Troubleshooting tells them apart).
 */
async function assertAdminUnavailable(service: TestService, path: string, init: RequestInit = {}) {
  const res = await fetch(`${service.url}${path}`, { ...init, headers: { ...service.admin, ...init.headers } });
  assert.equal(res.status, 503, `${init.method ?? 'GET'} ${path}`);
  assert.ok(Number(res.headers.get('retry-after')) > 0, 'Retry-After says when to try again');
  const body = (await res.json()) as { error: string; message: string };
  assert.equal(body.error, 'unavailable');
  assert.match(body.message, /database/);
}

async function assertRecordedOnce(store: CallStore, calls: OutageCall[]) {
  for (const { uuid, trackingNumber } of calls) {
    const call = await store.findCall(uuid);
    assert.ok(call, `${uuid} is in the database`);
    assert.equal(call.trackingNumber, trackingNumber);
    assert.equal(call.forwardTo, trackingNumber === FORWARDED_NUMBER ? FORWARD_TO : BUSINESS_PHONE);
    assert.equal(call.inboundStatus, 'completed', 'its event was kept too');
  }
  for (const number of [FORWARDED_NUMBER, PLAIN_NUMBER]) {
    const { calls: stored } = await store.listCalls({ trackingNumber: number, limit: 500 });
    const uuids = stored.map((call) => call.uuid);
    assert.equal(new Set(uuids).size, uuids.length, 'each call once');
  }
}


describe('a PostgreSQL outage never drops a caller nor loses a call', { skip: ownPostgresSkipReason, timeout: 90_000 }, () => {
  let postgres: OwnPostgres;
  let store: CallStore;
  let service: TestService;

  before(async () => {
    postgres = await startOwnPostgres();
    store = await openPostgresStore(postgres.url);
    // PUBLIC_URL: routes fail over only when their legs can report back.
    service = await startTestService({ DATABASE_URL: postgres.url, PUBLIC_URL: 'https://calls.example.com' }, store);
    await forwardNumber(service);
  });

  after(async () => {
    postgres?.thaw();
    await service?.stop();
    await store?.close();
    postgres?.destroy();
  });

  test('with the database healthy, /healthz says ok and the spool is empty', async () => {
    const { code, body } = await health(service);
    assert.equal(code, 200);
    assert.equal(body.status, 'ok');
    assert.equal(body.store.ok, true);
    assert.equal(body.store.kind, 'postgres');
    assert.deepEqual(body.spool, { depth: 0, oldestAgeSeconds: null, bytes: 0, full: false });
  });

  test('PostgreSQL stopped: every caller is connected as configured; when it is back, every call is in it once', async () => {
    postgres.stop();
    const calls = await callsDuringOutage(service, 'stopped');

    const { code, body } = await health(service);
    assert.equal(code, 503);
    assert.equal(body.status, 'degraded');
    assert.equal(body.store.ok, false);
    assert.ok(body.spool.depth >= calls.length * 2, `spool depth ${body.spool.depth}`);
    assert.doesNotMatch(JSON.stringify(body), /447700900111/, 'no caller number in /healthz');
    await assertAdminUnavailable(service, '/api/calls');
    await assertAdminUnavailable(service, '/api/report');

    postgres.start();
    const healthy = await waitUntilHealthy(service);
    assert.deepEqual(healthy.spool, { depth: 0, oldestAgeSeconds: null, bytes: 0, full: false });
    await assertRecordedOnce(store, calls);
  });

  test('PostgreSQL frozen (SIGSTOP): every caller is connected as configured; once thawed, every call is in it once', async () => {
    postgres.freeze();
    let calls;
    try {
      calls = await callsDuringOutage(service, 'frozen');
      const { code, body } = await health(service);
      assert.equal(code, 503);
      assert.equal(body.store.ok, false);
      assert.ok(body.spool.depth > 0);
      await assertAdminUnavailable(service, '/api/calls');
    } finally {
      postgres.thaw();
    }
    const healthy = await waitUntilHealthy(service);
    assert.equal(healthy.spool.depth, 0);
    await assertRecordedOnce(store, calls);
  });

  test('PostgreSQL frozen: a round-robin route still rotates and fails over; once thawed, the attempts are stored', async () => {
    const team = ['447700900801', '447700900802'];
    const put = await fetch(`${service.url}/api/numbers/${ROUTED_NUMBER}`, {
      method: 'PUT',
      headers: { ...service.admin, 'content-type': 'application/json' },
      body: JSON.stringify({ route: { destinations: team.map((number) => ({ number })), strategy: 'round_robin' } }),
    });
    assert.equal(put.status, 201);
    postgres.freeze();
    const calls = [];
    try {
      // How fast each webhook is answered during an outage is measured by npm run bench:outage.
      for (let i = 0; i < 4; i++) {
        calls.push(await routeCall(service.url, { trackingNumber: ROUTED_NUMBER, caller: '447700900111', legs: ['busy', 'answered'] }));
      }
    } finally {
      postgres.thaw();
    }
    const firsts = calls.map((call) => call.rung[0]);
    assert.deepEqual(calls.map((call) => [...call.rung].sort()), calls.map(() => team), 'every call rang both, the busy one first');
    assert.notEqual(firsts[0], firsts[1], 'the rotation went on in memory');
    assert.deepEqual([firsts[0], firsts[1]], [firsts[2], firsts[3]]);
    await waitUntilHealthy(service);
    for (const call of calls) {
      const stored = await store.findCall(call.uuid);
      assert.equal(stored?.answeredBy, call.rung[1]);
      assert.deepEqual(stored?.attempts?.map((attempt) => attempt.status), ['busy', 'completed']);
    }
  });

  test('calls after the outage go straight to the database again', async () => {
    const uuid = `after-${process.pid}`;
    const res = await fetch(`${service.url}/track-call?${new URLSearchParams({ from: '447700900111', to: PLAIN_NUMBER, uuid })}`);
    assert.equal(res.status, 200);
    assertValidNcco(await res.json());
    assert.ok(await store.findCall(uuid));
    assert.equal((await health(service)).body.spool.depth, 0);
  });
});

describe('a SQLite file write-locked by another process never drops a caller nor loses a call', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'call-tracker-outage-'));
  const databasePath = join(dir, 'calls.db');
  let service: TestService;
  let other: Database.Database | null = null;

  before(async () => {
    service = await startTestService({ DATABASE_URL: `sqlite:${databasePath}` });
    await forwardNumber(service);
  });

  after(async () => {
    other?.close();
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('while another connection holds the write lock, callers are connected as configured; released, every call is stored once', async () => {
    // A backup, a migration or an operator's sqlite3 shell left in a transaction.
    other = new Database(databasePath);
    other.exec('BEGIN IMMEDIATE');
    let calls;
    try {
      calls = await callsDuringOutage(service, 'sqlite-locked');
      const { code, body } = await health(service);
      assert.equal(code, 503);
      assert.equal(body.status, 'degraded');
      assert.ok(body.spool.depth >= calls.length * 2, `spool depth ${body.spool.depth}`);
      await assertAdminUnavailable(service, `/api/numbers/${PLAIN_NUMBER}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ campaign: 'Flyer' }),
      });
    } finally {
      other.exec('COMMIT');
      other.close();
      other = null;
    }
    const healthy = await waitUntilHealthy(service);
    assert.deepEqual(healthy.spool, { depth: 0, oldestAgeSeconds: null, bytes: 0, full: false });
    await assertRecordedOnce(service.store, calls);
  });
});
