// The outbox survives kill -9: calls recorded, the server killed before their webhooks got
// through, and a restarted server delivers every event, each id once after de-duplication.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { scriptCall, type FlowName } from './helpers/call-flows.js';
import { assertValidNcco } from './helpers/ncco-schema.js';
import { freePort, startServerProcess, type ServerProcess } from './helpers/server-process.js';
import { ADMIN_TOKEN, BUSINESS_PHONE } from './helpers/service.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';
import { LEASE_MS } from '../src/webhooks/delivery-worker.js';
import { RETRY_DELAYS_MS } from '../src/webhooks/retry-schedule.js';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const dir = mkdtempSync(join(tmpdir(), 'ct-webhook-crash-'));
const running = new Set<ServerProcess>();
const receiver = new WebhookReceiver();

after(async () => {
  for (const server of running) await server.stop('SIGKILL');
  await receiver.close();
  rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<ServerProcess> {
  const server = await startServerProcess(await freePort(), {
    PROXY_TO_NUMBER: BUSINESS_PHONE, DATABASE_URL: `sqlite:${join(dir, 'calls.db')}`, ADMIN_TOKEN, ACCESS_LOG: 'off',
    SPOOL_PATH: join(dir, 'spool.ndjson'), WEBHOOK_ALLOW_PRIVATE: 'true',
  }, dir);
  running.add(server);
  void server.exited.then(() => running.delete(server));
  return server;
}

test('kill -9 between the call changes and their delivery loses no event', { timeout: 180_000 }, async () => {
  const receiverPort = await freePort();
  let server = await start();
  const created = await fetch(`${server.url}/api/webhooks`, {
    method: 'POST', headers: { ...admin, 'content-type': 'application/json' },
    body: JSON.stringify({ url: `http://127.0.0.1:${receiverPort}/crm`, eventTypes: ['call.started', 'call.completed', 'call.missed'] }),
  });
  assert.equal(created.status, 201);
  receiver.secret = ((await created.json()) as { secret: string }).secret;

  // Nobody listens yet: each first attempt fails and waits for its retry.
  const flows: FlowName[] = ['answered', 'busy', 'answered', 'timeout', 'answered'];
  const calls = flows.map((name, i) => scriptCall(name, '442079460001', `44770090020${i}`));
  for (const call of calls) {
    const answer = await fetch(`${server.url}/track-call?${new URLSearchParams(call.answer)}`);
    assertValidNcco(await answer.json());
    for (const body of call.events) {
      const res = await fetch(`${server.url}/event`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(res.status, 204);
    }
  }
  const killed = await server.stop('SIGKILL');
  assert.equal(killed.signal, 'SIGKILL');

  await receiver.listen(receiverPort);
  server = await start();
  // Due after the first retry delay, or after the lease of a send the kill cut short.
  await receiver.until(() => receiver.uniqueAccepted().size === 10, RETRY_DELAYS_MS[0]! * 2 + LEASE_MS + 10_000);
  assert.deepEqual(receiver.forged, []);
  const arrived = [...receiver.uniqueAccepted().values()].map((e) => `${e.type} ${String(e.data.uuid)}`).sort();
  const expected = calls.flatMap((call) => [
    `call.started ${call.uuid}`, `call.${call.expected.outcome === 'answered' ? 'completed' : 'missed'} ${call.uuid}`,
  ]).sort();
  assert.deepEqual(arrived, expected);
  await server.stop('SIGTERM');
});
