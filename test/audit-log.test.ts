// The audit log: every admin change through the API is recorded with who made it, when and what,
// and a block list's entry counts its numbers without naming them.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestService, type TestService } from './helpers/service.js';

let service: TestService;
before(async () => {
  service = await startTestService();
});
after(() => service.stop());

const send = (method: string, path: string, body?: unknown) => fetch(`${service.url}${path}`, {
  method, headers: { ...service.admin, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
});

test('numbers, the block list and pools changed through the API are in the audit log, newest first', async () => {
  const startedAt = Date.now();
  assert.equal((await send('PUT', '/api/numbers/442079460011', { campaign: 'Radio', forwardTo: '+44 7700 900001' })).status, 201);
  assert.equal((await send('PUT', '/api/block-list', { numbers: ['+44 7700 900666'], withheld: true })).status, 200);
  assert.equal((await send('PUT', '/api/pools/site', { campaign: 'Website', replaces: '442079460000', numbers: ['442079460021'] })).status, 201);
  assert.equal((await send('DELETE', '/api/pools/site')).status, 204);
  assert.equal((await send('DELETE', '/api/numbers/442079460011')).status, 204);
  assert.equal((await send('DELETE', '/api/numbers/442079460011')).status, 404, 'a change refused is not logged');

  const res = await fetch(`${service.url}/api/audit`, { headers: service.admin });
  const { entries } = (await res.json()) as { entries: { at: string; actor: string; action: string; target: string | null; details: object }[] };
  assert.deepEqual(entries.map((e) => [e.action, e.target]), [
    ['number.deleted', '442079460011'], ['pool.deleted', 'site'], ['pool.saved', 'site'], ['block-list.saved', null],
    ['number.saved', '442079460011'],
  ]);
  assert.ok(entries.every((e) => e.actor === 'admin-token' && Date.parse(e.at) >= startedAt - 1000));
  assert.deepEqual(entries.find((e) => e.action === 'block-list.saved')?.details, { numbers: 1, prefixes: 0, withheld: true });
  assert.ok(!JSON.stringify(entries).includes('447700900666'), 'the blocked number is not named');
  assert.equal((await fetch(`${service.url}/api/audit?limit=0`, { headers: service.admin })).status, 400);
  assert.equal((await fetch(`${service.url}/api/audit`)).status, 401);
});
