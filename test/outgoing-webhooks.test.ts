// Outgoing webhooks end to end: calls through the real webhooks, a receiver on loopback that
// verifies every signature, fails the first deliveries, answers 410, and goes away while we restart.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { scriptCall, type FlowName, type ScriptedCall } from './helpers/call-flows.js';
import { assertValidNcco } from './helpers/ncco-schema.js';
import { startTestService, type TestService } from './helpers/service.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';
import { systemResolve, type ResolveHost } from '../src/webhooks/target-address.js';
import { WebhookSender } from '../src/webhooks/webhook-sender.js';
import { newSubscription } from '../src/webhooks/subscriptions.js';

/** The schedule's shape, in tenths of a second, so a test sees several retries. */
const FAST_RETRIES = [100, 200, 300, 300, 300, 300, 300, 300, 300];

async function placeCall(service: TestService, call: ScriptedCall): Promise<void> {
  const answer = await fetch(`${service.url}/track-call?${new URLSearchParams(call.answer)}`);
  assert.equal(answer.status, 200);
  assertValidNcco(await answer.json());
  for (const body of call.events) {
    const res = await fetch(`${service.url}/event`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(res.status, 204);
  }
}

async function subscribe(service: TestService, url: string, eventTypes: string[]) {
  const res = await fetch(`${service.url}/api/webhooks`, {
    method: 'POST', headers: { ...service.admin, 'content-type': 'application/json' }, body: JSON.stringify({ url, eventTypes }),
  });
  const body = await res.json() as { id: string; secret: string; message?: string };
  return { status: res.status, ...body };
}

describe('outgoing webhooks', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'ct-outgoing-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  test('every event arrives signed, through failures, a 503 with Retry-After, a 410 elsewhere and a restart: each id once after de-duplication', async () => {
    const dir = tempDir();
    const env = { DATABASE_URL: `sqlite:${join(dir, 'calls.db')}`, WEBHOOK_ALLOW_PRIVATE: 'true' };
    const crm = new WebhookReceiver([{ status: 500 }, { status: 500 }, { status: 503, headers: { 'retry-after': '1' } }]);
    const crmPort = await crm.listen();
    const gone = new WebhookReceiver(Array.from({ length: 10 }, () => ({ status: 410 })));
    const gonePort = await gone.listen();
    cleanups.push(() => crm.close(), () => gone.close());

    let service = await startTestService(env, undefined, undefined, { webhookRetryDelaysMs: FAST_RETRIES });
    const subscription = await subscribe(service, `http://127.0.0.1:${crmPort}/hooks`, ['call.started', 'call.completed', 'call.missed']);
    assert.equal(subscription.status, 201);
    assert.match(subscription.secret, /^whsec_/);
    crm.secret = subscription.secret;
    const goneSubscription = await subscribe(service, `http://127.0.0.1:${gonePort}/old`, ['call.started']);
    gone.secret = goneSubscription.secret;
    const listed = await (await fetch(`${service.url}/api/webhooks`, { headers: service.admin })).json() as { subscriptions: object[] };
    assert.ok(listed.subscriptions.every((s) => !('secret' in s)), 'the secret is shown once, at creation');

    const flows: [FlowName, string][] = [['answered', '447700900101'], ['busy', '447700900102'], ['timeout', '447700900103']];
    const before = flows.map(([name, caller]) => scriptCall(name, '442079460001', caller));
    for (const call of before) await placeCall(service, call);
    await crm.until(() => crm.uniqueAccepted().size === 6);
    // Deliveries already under way when the first 410 came back may still arrive; none after.
    await gone.until(() => gone.requests > 0);
    const goneRequests = gone.requests;

    // The receiver goes away; a call comes in; we restart; the receiver comes back.
    await crm.close();
    const during = scriptCall('answered', '442079460001', '447700900104');
    await placeCall(service, during);
    await service.stop();
    service = await startTestService(env, undefined, undefined, { webhookRetryDelaysMs: FAST_RETRIES });
    cleanups.push(() => service.stop());
    await crm.listen(crmPort);
    await crm.until(() => crm.uniqueAccepted().size === 8);

    assert.deepEqual(crm.forged, []);
    const expected = [...before, during].flatMap((call) => [
      `call.started ${call.uuid}`, `call.${call.expected.outcome === 'answered' ? 'completed' : 'missed'} ${call.uuid}`,
    ]);
    const arrived = [...crm.uniqueAccepted().values()].map((event) => `${event.type} ${String(event.data.uuid)}`);
    assert.deepEqual(arrived.sort(), expected.sort());
    const completed = [...crm.uniqueAccepted().values()].find((e) => e.type === 'call.completed' && e.data.uuid === before[0]!.uuid)!;
    assert.equal(completed.data.durationSeconds, 42);
    assert.equal(completed.data.outcome, 'answered');
    // Retried deliveries carried the id of their event, not a new one.
    assert.ok(crm.verified.length > crm.uniqueAccepted().size);
    assert.equal(new Set(crm.verified.map((e) => e.id)).size, 8);

    // 410 Gone disabled the other subscription: the later call was not sent there.
    assert.equal(gone.requests, goneRequests);
    const subscriptions = await (await fetch(`${service.url}/api/webhooks`, { headers: service.admin })).json() as { subscriptions: { id: string; enabled: boolean }[] };
    assert.equal(subscriptions.subscriptions.find((s) => s.id === goneSubscription.id)?.enabled, false);

    const log = await (await fetch(`${service.url}/api/webhooks/${subscription.id}/deliveries`, { headers: service.admin })).json() as {
      deliveries: { eventId: string; status: string; attempts: number; lastError: string | null; lastStatusCode: number | null }[];
    };
    assert.equal(log.deliveries.length, 8);
    assert.ok(log.deliveries.every((d) => d.status === 'delivered'));
    assert.ok(log.deliveries.some((d) => d.attempts >= 2), 'the first deliveries needed retries');

    // A test event, then a manual redelivery of it: the same id twice.
    const sent = await (await fetch(`${service.url}/api/webhooks/${subscription.id}/test`, { method: 'POST', headers: service.admin })).json() as { eventId: string };
    await crm.until(() => crm.uniqueAccepted().has(sent.eventId));
    const redelivered = await fetch(`${service.url}/api/webhooks/${subscription.id}/deliveries/${sent.eventId}/redeliver`, { method: 'POST', headers: service.admin });
    assert.equal(redelivered.status, 202);
    await crm.until(() => crm.accepted.filter((e) => e.id === sent.eventId).length === 2);
    assert.equal(crm.uniqueAccepted().get(sent.eventId)?.type, 'webhook.test');

    const audit = await (await fetch(`${service.url}/api/audit`, { headers: service.admin })).json() as { entries: { action: string; actor: string; target: string }[] };
    assert.deepEqual(audit.entries.filter((e) => e.action === 'webhook.created').map((e) => [e.actor, e.target]).sort(),
      [['admin-token', subscription.id], ['admin-token', goneSubscription.id]].sort());
  });

  test('a subscription names its problem: bad URL, unknown event type, unknown field', async () => {
    const service = await startTestService({ WEBHOOK_ALLOW_PRIVATE: 'true' });
    cleanups.push(() => service.stop());
    const cases: [unknown, RegExp][] = [
      [{ url: 'ftp://example.com/x', eventTypes: ['call.started'] }, /"url"/],
      [{ url: 'https://crm.example.com/x', eventTypes: ['call.exploded'] }, /"eventTypes.0"/],
      [{ url: 'https://crm.example.com/x', eventTypes: [] }, /"eventTypes"/],
      [{ url: 'https://crm.example.com/x', eventTypes: ['call.started'], secret: 'mine' }, /"secret" is not a field/],
      [[1, 2], /JSON object/],
    ];
    for (const [body, message] of cases) {
      const res = await fetch(`${service.url}/api/webhooks`, {
        method: 'POST', headers: { ...service.admin, 'content-type': 'application/json' }, body: JSON.stringify(body),
      });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(((await res.json()) as { message: string }).message, message);
    }
  });

  test('a change names only what it changes: re-enabling a subscription keeps its URL, event types and secret', async () => {
    const publicAddress: ResolveHost = (_hostname, _options, callback) => callback(null, [{ address: '8.8.8.8', family: 4 }]);
    const service = await startTestService({}, undefined, undefined, { resolveHost: publicAddress });
    cleanups.push(() => service.stop());
    const created = await subscribe(service, 'https://crm.example.com/hooks', ['call.missed', 'call.completed']);
    assert.equal(created.status, 201);
    const change = (body: unknown) => fetch(`${service.url}/api/webhooks/${created.id}`, {
      method: 'PUT', headers: { ...service.admin, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });

    for (const enabled of [false, true]) {
      const res = await change({ enabled });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), {
        id: created.id, url: 'https://crm.example.com/hooks', eventTypes: ['call.missed', 'call.completed'], enabled, createdAt: (created as unknown as { createdAt: string }).createdAt,
      });
    }
    assert.equal((await change({ eventTypes: ['call.started'] })).status, 200);
    const [stored] = await service.store.listWebhookSubscriptions();
    assert.deepEqual([stored?.url, stored?.eventTypes, stored?.enabled, stored?.secret], ['https://crm.example.com/hooks', ['call.started'], true, created.secret]);

    const refused = await change({ url: 'ftp://crm.example.com/hooks' });
    assert.equal(refused.status, 400);
    assert.match(((await refused.json()) as { message: string }).message, /"url"/);
  });

  test('targets on loopback, private, link-local, CGNAT, multicast or unspecified addresses are refused when subscribing', async () => {
    const service = await startTestService();
    cleanups.push(() => service.stop());
    const refused = [
      'http://127.0.0.1:8080/x', 'http://localhost/x', 'http://10.1.2.3/x', 'http://172.16.0.1/x', 'http://192.168.1.1/x',
      'http://169.254.169.254/latest/meta-data', 'http://100.64.0.1/x', 'http://224.0.0.1/x', 'http://0.0.0.0/x',
      'http://[::1]/x', 'http://[::ffff:127.0.0.1]/x', 'http://[::ffff:a00:1]/x', 'http://[fe80::1]/x', 'http://[fc00::1]/x', 'http://[::]/x',
      'http://2130706433/x', 'http://[::127.0.0.1]/x',
    ];
    for (const url of refused) {
      const result = await subscribe(service, url, ['call.started']);
      assert.equal(result.status, 400, url);
      assert.match(result.message ?? '', /"url" is refused/, url);
    }
    assert.deepEqual(await service.store.listWebhookSubscriptions(), []);
  });

  test('a refused target says what to do: WEBHOOK_ALLOW_PRIVATE for a private address, nothing for a name that does not resolve', async () => {
    const unresolvable: ResolveHost = (_hostname, _options, callback) => callback(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }), []);
    const service = await startTestService({ WEBHOOK_ALLOW_PRIVATE: 'true' }, undefined, undefined, { resolveHost: unresolvable });
    cleanups.push(() => service.stop());
    const misspelt = await subscribe(service, 'https://crm.exmaple.com/hooks', ['call.started']);
    assert.equal(misspelt.status, 400);
    assert.equal(misspelt.message, '"url" is refused: crm.exmaple.com does not resolve (ENOTFOUND)');

    const closed = await startTestService();
    cleanups.push(() => closed.stop());
    const lan = await subscribe(closed, 'http://192.168.1.20/hooks', ['call.started']);
    assert.match(lan.message ?? '', /192\.168\.1\.20 is not a public address \(set WEBHOOK_ALLOW_PRIVATE=true for receivers on a private network\)$/);
  });

  test('a name that resolves to 127.0.0.1 at delivery time (DNS rebinding) is never connected to', async () => {
    const receiver = new WebhookReceiver();
    const port = await receiver.listen();
    cleanups.push(() => receiver.close());
    let lookups = 0;
    // Public when the subscription is checked, loopback afterwards. Nothing is ever sent to the
    // public address: the subscription check only resolves.
    const rebinding: ResolveHost = (_hostname, _options, callback) => {
      lookups += 1;
      callback(null, [{ address: lookups === 1 ? '93.184.216.34' : '127.0.0.1', family: 4 }]);
    };
    const service = await startTestService({}, undefined, undefined, { resolveHost: rebinding, webhookRetryDelaysMs: FAST_RETRIES });
    cleanups.push(() => service.stop());
    const subscription = await subscribe(service, `http://rebind.example:${port}/hooks`, ['call.started']);
    assert.equal(subscription.status, 201);
    await placeCall(service, scriptCall('answered', '442079460001', '447700900111'));
    let log: { deliveries: { attempts: number; lastError: string | null }[] } = { deliveries: [] };
    for (let i = 0; i < 100 && (log.deliveries[0]?.attempts ?? 0) < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      log = await (await fetch(`${service.url}/api/webhooks/${subscription.id}/deliveries`, { headers: service.admin })).json() as typeof log;
    }
    assert.ok((log.deliveries[0]?.attempts ?? 0) >= 2, 'delivery was attempted');
    assert.match(log.deliveries[0]?.lastError ?? '', /127\.0\.0\.1, which is not a public address/);
    assert.equal(receiver.requests, 0);
  });

  test('a redirect is never followed, even to an address that is allowed', async () => {
    const target = new WebhookReceiver();
    const targetPort = await target.listen();
    const redirecting = new WebhookReceiver([{ status: 307, headers: { location: `http://127.0.0.1:${targetPort}/elsewhere` } }]);
    const port = await redirecting.listen();
    cleanups.push(() => target.close(), () => redirecting.close());
    const service = await startTestService({ WEBHOOK_ALLOW_PRIVATE: 'true' }, undefined, undefined, { webhookRetryDelaysMs: [60_000] });
    cleanups.push(() => service.stop());
    const subscription = await subscribe(service, `http://127.0.0.1:${port}/hooks`, ['call.started']);
    redirecting.secret = subscription.secret;
    await placeCall(service, scriptCall('answered', '442079460001', '447700900111'));
    await redirecting.until(() => redirecting.requests === 1);
    let lastError: string | null = null;
    for (let i = 0; i < 50 && lastError === null; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const log = await (await fetch(`${service.url}/api/webhooks/${subscription.id}/deliveries`, { headers: service.admin })).json() as { deliveries: { lastError: string | null }[] };
      lastError = log.deliveries[0]?.lastError ?? null;
    }
    assert.match(lastError ?? '', /307 redirect, not followed/);
    assert.equal(target.requests, 0);
  });

  test('a receiver that trickles its answer is cut off at the send deadline, so it cannot hold the outbox', async () => {
    // Headers at once, then a byte every 200 ms and never an end: no idle timeout ever fires.
    const trickling = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const timer = setInterval(() => res.write('.'), 200);
      res.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((resolve) => trickling.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => {
      trickling.closeAllConnections();
      trickling.close(() => resolve());
    }));
    const deadlineMs = 1000;
    const sender = new WebhookSender(systemResolve, true, deadlineMs);
    const startedAt = Date.now();
    const sent = await Promise.race([
      sender.send({ url: `http://127.0.0.1:${(trickling.address() as AddressInfo).port}/hooks`, secret: newSubscription('http://x/', ['call.started']).secret, eventId: 'msg_trickle', body: '{}' }, new Date()),
      new Promise((resolve) => setTimeout(() => resolve('still sending'), deadlineMs * 5)),
    ]);
    assert.deepEqual(sent, { kind: 'error', message: `no answer within ${deadlineMs / 1000} s` });
    assert.ok(Date.now() - startedAt < deadlineMs * 5);
  });

  test('a private receiver is refused at delivery too when it was stored without the check', async () => {
    const receiver = new WebhookReceiver();
    const port = await receiver.listen();
    cleanups.push(() => receiver.close());
    const service = await startTestService({}, undefined, undefined, { webhookRetryDelaysMs: FAST_RETRIES });
    cleanups.push(() => service.stop());
    // As if WEBHOOK_ALLOW_PRIVATE had been on when it was saved, and is off now.
    await service.store.saveWebhookSubscription(newSubscription(`http://127.0.0.1:${port}/hooks`, ['call.started']));
    await placeCall(service, scriptCall('answered', '442079460001', '447700900111'));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(receiver.requests, 0);
    const [subscription] = await service.store.listWebhookSubscriptions();
    const [delivery] = await service.store.listWebhookDeliveries(subscription!.id, 1);
    assert.match(delivery?.lastError ?? '', /127\.0\.0\.1 is not a public address/);
  });
});
