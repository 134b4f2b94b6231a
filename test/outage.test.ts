import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openPostgresStore } from '../src/store/postgres/postgres-store.js';
import type { CallStore } from '../src/store/call-store.js';
import { assertValidNcco } from './helpers/ncco-schema.js';
import { ownPostgresSkipReason, startOwnPostgres, type OwnPostgres } from './helpers/own-postgres.js';
import { BUSINESS_PHONE, startTestService, type TestService } from './helpers/service.js';

/** Vonage gives the answer webhook about 3 s to connect; past that it retries or drops the caller. */
const VONAGE_CONNECT_LIMIT_MS = 3000;
const CALLS_PER_OUTAGE = 24;
const FORWARDED_NUMBER = '447700900501';
const FORWARD_TO = '447700900999';
const PLAIN_NUMBER = '447700900502';

interface Health {
  status: string;
  store: { ok: boolean; kind: string; latencyMs?: number; error?: string };
  spool: { depth: number; oldestAgeSeconds: number | null };
}

describe('a PostgreSQL outage never drops a caller nor loses a call', { skip: ownPostgresSkipReason, timeout: 90_000 }, () => {
  let postgres: OwnPostgres;
  let store: CallStore;
  let service: TestService;
  let sequence = 0;
  const slowest: Record<string, number> = {};

  before(async () => {
    postgres = await startOwnPostgres();
    store = await openPostgresStore(postgres.url);
    service = await startTestService({ DATABASE_URL: postgres.url }, store);
    const put = await fetch(`${service.url}/api/numbers/${FORWARDED_NUMBER}`, {
      method: 'PUT',
      headers: { ...service.admin, 'content-type': 'application/json' },
      body: JSON.stringify({ campaign: 'Radio', forwardTo: `+${FORWARD_TO}` }),
    });
    assert.equal(put.status, 201);
  });

  after(async () => {
    postgres?.thaw();
    await service?.stop();
    await store?.close();
    postgres?.destroy();
    process.stderr.write(`# slowest answer during the outage: ${JSON.stringify(slowest)} ms\n`);
  });

  async function health(): Promise<{ code: number; body: Health }> {
    const res = await fetch(`${service.url}/healthz`);
    return { code: res.status, body: (await res.json()) as Health };
  }

  /** Polls /healthz until it says ok: the store answers and the spool has been replayed. */
  async function waitUntilHealthy(): Promise<Health> {
    for (;;) {
      const { code, body } = await health();
      if (code === 200) return body;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Sends answer webhooks (and a completed event for each) while the store is down. */
  async function callsDuringOutage(label: string): Promise<{ uuid: string; trackingNumber: string }[]> {
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
      assert.ok(elapsedMs < VONAGE_CONNECT_LIMIT_MS, `answered in ${elapsedMs} ms`);

      const event = await fetch(`${service.url}/event`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ uuid, conversation_uuid: `CON-${uuid}`, status: 'completed', direction: 'inbound', duration: '12', timestamp: new Date().toISOString() }),
      });
      assert.equal(event.status, 204);
    }));
    return calls;
  }

  async function assertRecordedOnce(calls: { uuid: string; trackingNumber: string }[]) {
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

  test('with the database healthy, /healthz says ok and the spool is empty', async () => {
    const { code, body } = await health();
    assert.equal(code, 200);
    assert.equal(body.status, 'ok');
    assert.equal(body.store.ok, true);
    assert.equal(body.store.kind, 'postgres');
    assert.deepEqual(body.spool, { depth: 0, oldestAgeSeconds: null });
  });

  test('PostgreSQL stopped: every caller is connected as configured; when it is back, every call is in it once', async () => {
    postgres.stop();
    const calls = await callsDuringOutage('stopped');

    const { code, body } = await health();
    assert.equal(code, 503);
    assert.equal(body.status, 'degraded');
    assert.equal(body.store.ok, false);
    assert.ok(body.spool.depth >= calls.length * 2, `spool depth ${body.spool.depth}`);
    assert.doesNotMatch(JSON.stringify(body), /447700900111/, 'no caller number in /healthz');

    postgres.start();
    const healthy = await waitUntilHealthy();
    assert.deepEqual(healthy.spool, { depth: 0, oldestAgeSeconds: null });
    await assertRecordedOnce(calls);
  });

  test('PostgreSQL frozen (SIGSTOP): every caller is connected as configured; once thawed, every call is in it once', async () => {
    postgres.freeze();
    let calls;
    try {
      calls = await callsDuringOutage('frozen');
      const { code, body } = await health();
      assert.equal(code, 503);
      assert.equal(body.store.ok, false);
      assert.ok(body.spool.depth > 0);
    } finally {
      postgres.thaw();
    }
    const healthy = await waitUntilHealthy();
    assert.equal(healthy.spool.depth, 0);
    await assertRecordedOnce(calls);
  });

  test('calls after the outage go straight to the database again', async () => {
    const uuid = `after-${process.pid}`;
    const res = await fetch(`${service.url}/track-call?${new URLSearchParams({ from: '447700900111', to: PLAIN_NUMBER, uuid })}`);
    assert.equal(res.status, 200);
    assertValidNcco(await res.json());
    assert.ok(await store.findCall(uuid));
    assert.equal((await health()).body.spool.depth, 0);
  });
});
