// Calls survive what happens to real server processes: a restart, a kill -9 in the middle of a
// stream of answer webhooks, and two instances sharing one PostgreSQL database.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { scriptCall } from './helpers/call-flows.js';
import { assertValidNcco } from './helpers/ncco-schema.js';
import { createTestDatabase, postgresSkipReason } from './helpers/postgres.js';
import { freePort, startServerProcess, type ServerProcess } from './helpers/server-process.js';
import { ADMIN_TOKEN, BUSINESS_PHONE } from './helpers/service.js';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const TRACKING_NUMBER = '442079460100';

const dir = mkdtempSync(join(tmpdir(), 'ct-durability-'));
const running = new Set<ServerProcess>();
const cleanups: (() => Promise<void>)[] = [];

after(async () => {
  for (const server of running) await server.stop('SIGKILL');
  for (const cleanup of cleanups.reverse()) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

function serverEnv(name: string, databaseUrl: string): Record<string, string> {
  return {
    PROXY_TO_NUMBER: BUSINESS_PHONE,
    DATABASE_URL: databaseUrl,
    ADMIN_TOKEN,
    ACCESS_LOG: 'off',
    SPOOL_PATH: join(dir, `${name}-spool.ndjson`),
  };
}

async function start(env: Record<string, string>): Promise<ServerProcess> {
  const server = await startServerProcess(await freePort(), env, dir);
  running.add(server);
  void server.exited.then(() => running.delete(server));
  return server;
}

let sequence = 0;
function answerQuery(uuid: string): string {
  sequence += 1;
  return new URLSearchParams({
    to: TRACKING_NUMBER, from: `4477009${String(sequence % 100_000).padStart(5, '0')}`, uuid, conversation_uuid: `CON-${uuid}`,
    region_url: 'https://api-eu-1.vonage.com', endpoint_type: 'phone',
  }).toString();
}

/** Sends the answer webhook; true once the connect NCCO has been received in full. */
async function answer(server: ServerProcess, uuid: string, query = answerQuery(uuid)): Promise<boolean> {
  const res = await fetch(`${server.url}/track-call?${query}`);
  assert.equal(res.status, 200);
  const ncco = await res.json();
  assertValidNcco(ncco);
  assert.equal(ncco[0].action, 'connect');
  return true;
}

async function postEvent(server: ServerProcess, body: Record<string, string>): Promise<void> {
  const res = await fetch(`${server.url}/event`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 204);
}

/** Every call the admin API lists, all pages. */
async function listedCalls(server: ServerProcess): Promise<{ uuid: string; outcome: string; durationSeconds: number | null }[]> {
  const calls = [];
  let cursor: string | null = null;
  type Page = { calls: { uuid: string; outcome: string; durationSeconds: number | null }[]; nextCursor: string | null };
  do {
    const res: Response = await fetch(`${server.url}/api/calls?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { headers: admin });
    assert.equal(res.status, 200);
    const page = (await res.json()) as Page;
    calls.push(...page.calls);
    cursor = page.nextCursor;
  } while (cursor);
  return calls;
}

/** Waits until the spool a previous process left behind has been written to the store. */
async function waitForEmptySpool(server: ServerProcess): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const res = await fetch(`${server.url}/healthz`);
    const health = (await res.json()) as { spool?: { depth: number } };
    if (res.status === 200 && (health.spool?.depth ?? 0) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail('the spool was never emptied into the store');
}

describe('durability of recorded calls (SQLite, the default store)', () => {
  test('a restart keeps every call and its lifecycle', async () => {
    const env = serverEnv('restart', `sqlite:${join(dir, 'restart.db')}`);
    const first = await start(env);
    const flows = Array.from({ length: 20 }, (_, i) => scriptCall(i % 2 ? 'answered' : 'busy', TRACKING_NUMBER, `4477009001${String(i).padStart(2, '0')}`));
    for (const flow of flows) {
      await answer(first, flow.uuid, new URLSearchParams(flow.answer).toString());
      for (const event of flow.events) await postEvent(first, event);
    }
    const exit = await first.stop('SIGTERM');
    assert.equal(exit.code, 0, exit.stderr);

    const second = await start(env);
    await waitForEmptySpool(second);
    const calls = new Map((await listedCalls(second)).map((call) => [call.uuid, call]));
    assert.equal(calls.size, flows.length);
    for (const flow of flows) {
      assert.equal(calls.get(flow.uuid)?.outcome, flow.expected.outcome);
      assert.equal(calls.get(flow.uuid)?.durationSeconds, flow.expected.durationSeconds);
    }
    await second.stop('SIGTERM');
  });

  test('a server killed with SIGKILL amid a stream of answer webhooks keeps every call whose NCCO was sent', async (t) => {
    const env = serverEnv('kill', `sqlite:${join(dir, 'kill.db')}`);
    const victim = await start(env);
    const connected: string[] = [];
    const KILL_AFTER = 150;
    const WORKERS = 16;
    let killed = false;
    let sent = 0;
    const worker = async (id: number) => {
      for (let n = 0; !killed; n++) {
        const uuid = `kill-${process.pid}-${id}-${n}`;
        sent += 1;
        try {
          const res = await fetch(`${victim.url}/track-call?${answerQuery(uuid)}`);
          const ncco = await res.json();
          if (res.status !== 200) assert.fail(`answer webhook got ${res.status}`);
          assertValidNcco(ncco);
          connected.push(uuid);
        } catch (error) {
          if (killed) return;
          throw error;
        }
        if (connected.length >= KILL_AFTER && !killed) {
          killed = true;
          // Others are still in flight: the kill lands in the middle of the stream.
          victim.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, id) => worker(id)));
    const exit = await victim.exited;
    assert.equal(exit.signal, 'SIGKILL');

    const revived = await start(env);
    await waitForEmptySpool(revived);
    const stored = new Set((await listedCalls(revived)).map((call) => call.uuid));
    const lost = connected.filter((uuid) => !stored.has(uuid));
    assert.deepEqual(lost, [], `${lost.length} of ${connected.length} connected calls lost (${sent} sent)`);
    t.diagnostic(`${connected.length} calls connected before the kill, all kept; ${stored.size - connected.length} of the ${sent - connected.length} in flight were kept too`);
    await revived.stop('SIGTERM');
  });
});

describe('two server processes on one PostgreSQL database', { skip: postgresSkipReason }, () => {
  test('the same webhooks sent to both record each call once, with its whole lifecycle', async () => {
    const database = await createTestDatabase('durability');
    cleanups.push(database.drop);
    // Started together on an empty database: both apply the migrations at once.
    const [one, two] = await Promise.all([start(serverEnv('pg-one', database.url)), start(serverEnv('pg-two', database.url))]);
    const servers = [one, two];

    const flows = Array.from({ length: 12 }, (_, i) =>
      scriptCall(i % 3 === 0 ? 'busy' : 'answered', TRACKING_NUMBER, `4477009002${String(i).padStart(2, '0')}`));
    await Promise.all(flows.map(async (flow, i) => {
      const query = new URLSearchParams(flow.answer).toString();
      // Vonage's retry, through a load balancer, lands on the other instance at the same moment.
      await Promise.all(servers.map((server) => answer(server, flow.uuid, query)));
      for (const [j, event] of flow.events.entries()) await postEvent(servers[(i + j) % 2]!, event);
    }));

    // A write that misses the answer deadline (a cold pool on a busy machine) waits in the spool.
    for (const server of servers) await waitForEmptySpool(server);
    for (const server of servers) {
      const calls = await listedCalls(server);
      assert.equal(calls.length, flows.length, 'each call once');
      const byUuid = new Map(calls.map((call) => [call.uuid, call]));
      for (const flow of flows) {
        assert.equal(byUuid.get(flow.uuid)?.outcome, flow.expected.outcome);
        assert.equal(byUuid.get(flow.uuid)?.durationSeconds, flow.expected.durationSeconds);
      }
    }
    for (const server of servers) assert.equal((await server.stop('SIGTERM')).code, 0);
  });
});
