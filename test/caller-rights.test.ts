// Callers' data rights end to end: everything held about a caller as JSON, and an erasure that
// leaves no trace of the number in the database files, the spool or the logs (the raw bytes are
// searched while the server still runs), while the reports add up as before.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { scriptCall, type FlowName, type ScriptedCall } from './helpers/call-flows.js';
import { assertValidNcco } from './helpers/ncco-schema.js';
import { startTestService, type TestService } from './helpers/service.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

const ERASED = '447700900555';
const KEPT = '447700900666';
const REPORT_RANGE = 'since=2026-11-01T00:00:00Z&until=2026-11-04T00:00:00Z';

const dir = mkdtempSync(join(tmpdir(), 'ct-caller-rights-'));
const receiver = new WebhookReceiver();
let service: TestService | null = null;

after(async () => {
  await service?.stop();
  await receiver.close();
  rmSync(dir, { recursive: true, force: true });
});

async function placeCall(call: ScriptedCall): Promise<void> {
  const answer = await fetch(`${service!.url}/track-call?${new URLSearchParams(call.answer)}`);
  assertValidNcco(await answer.json());
  for (const body of call.events) {
    const res = await fetch(`${service!.url}/event`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(res.status, 204);
  }
}

/** Every file under `root` whose raw bytes hold `needle`. */
function filesHolding(root: string, needle: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(root)) {
    const path = join(root, name);
    const stat = statSync(path);
    if (stat.isDirectory()) found.push(...filesHolding(path, needle));
    // Not the spool's lock, a socket that holds nothing and cannot be read.
    else if (stat.isFile() && readFileSync(path).includes(Buffer.from(needle))) found.push(path);
  }
  return found;
}

const get = async (path: string) => {
  const res = await fetch(`${service!.url}${path}`, { headers: service!.admin });
  assert.equal(res.status, 200, path);
  return res.json() as Promise<Record<string, unknown>>;
};

test('a caller\'s data is exported whole, then erased from every call with no trace in files or logs, and reports add up as before', async () => {
  const port = await receiver.listen();
  service = await startTestService({
    DATABASE_URL: `sqlite:${join(dir, 'calls.db')}`, SPOOL_PATH: join(dir, 'spool', 'spool.ndjson'),
    ACCESS_LOG: join(dir, 'logs', 'access.log'), WEBHOOK_ALLOW_PRIVATE: 'true',
  });
  const created = await fetch(`${service.url}/api/webhooks`, {
    method: 'POST', headers: { ...service.admin, 'content-type': 'application/json' },
    body: JSON.stringify({ url: `http://127.0.0.1:${port}/crm`, eventTypes: ['call.started', 'call.completed', 'call.missed'] }),
  });
  receiver.secret = ((await created.json()) as { secret: string }).secret;

  const day = Date.UTC(2026, 10, 2, 9);
  const flows: [FlowName, string, number][] = [
    ['answered', ERASED, 0], ['busy', KEPT, 1], ['answered', ERASED, 2], ['timeout', ERASED, 3], ['answered', KEPT, 4],
  ];
  const calls = flows.map(([name, caller, hour]) => scriptCall(name, '442079460001', caller, day + hour * 3_600_000));
  for (const call of calls) await placeCall(call);
  await receiver.until(() => receiver.uniqueAccepted().size === 10);
  const reportBefore = await get(`/api/report?${REPORT_RANGE}`);
  const dailyBefore = await get(`/api/report/daily?${REPORT_RANGE}`);

  const exported = await get(`/api/callers/+${ERASED}`) as { caller: string; calls: { caller: string }[]; events: unknown[]; webhookDeliveries: unknown[] };
  assert.equal(exported.caller, ERASED);
  assert.equal(exported.calls.length, 3);
  assert.ok(exported.calls.every((call) => call.caller === ERASED));
  const erasedEvents = calls.filter((call) => call.caller === ERASED).flatMap((call) => call.events);
  assert.equal(exported.events.length, erasedEvents.length, 'every event of the caller\'s calls');
  assert.equal(exported.webhookDeliveries.length, 6);

  const erase = () => fetch(`${service!.url}/api/callers/${ERASED}`, { method: 'DELETE', headers: service!.admin });
  const first = await erase();
  assert.equal(first.status, 200);
  assert.deepEqual(await first.json(), { erasedCalls: 3, erasedRecordings: 0 });
  assert.deepEqual(await (await erase()).json(), { erasedCalls: 0, erasedRecordings: 0 }, 'erasing again changes nothing');

  // While the server still runs: the database file, its WAL, the spool and the access log.
  assert.deepEqual(filesHolding(dir, ERASED), []);
  assert.ok(filesHolding(dir, KEPT).length > 0, 'the search finds a number that was not erased');
  assert.equal(JSON.stringify(service.logger.lines).includes(ERASED), false);

  const after = await get(`/api/callers/${ERASED}`) as { calls: unknown[] };
  assert.deepEqual(after.calls, []);
  assert.deepEqual(await get(`/api/report?${REPORT_RANGE}`), reportBefore);
  assert.deepEqual(await get(`/api/report/daily?${REPORT_RANGE}`), dailyBefore);

  const audit = await get('/api/audit') as { entries: { action: string; actor: string; target: string | null; details: unknown }[] };
  const erasures = audit.entries.filter((e) => e.action === 'caller.erased');
  assert.deepEqual(erasures.map((e) => [e.actor, e.target, e.details]), [['admin-token', null, { calls: 0, recordings: 0 }], ['admin-token', null, { calls: 3, recordings: 0 }]]);
});
