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

test('the team is audited: users created, changed, signed out and removed, and tokens made and revoked, by whoever did it', async () => {
  const created = await send('POST', '/api/users', { username: 'mia', password: 'correct horse battery', role: 'viewer' });
  assert.equal(created.status, 201);
  const mia = (await created.json()) as { id: string };
  assert.equal((await send('PATCH', `/api/users/${mia.id}`, { role: 'manager', password: 'another long password' })).status, 200);

  // Mia, signed in, makes and revokes a token of her own: the entries name her as the actor.
  const login = await fetch(`${service.url}/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'mia', password: 'another long password' }),
  });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';', 1)[0]!;
  const page = await (await fetch(`${service.url}/dashboard/account`, { headers: { cookie } })).text();
  const asMia = { cookie, 'x-csrf-token': /name="csrf-token" content="([^"]+)"/.exec(page)?.[1] ?? '', 'content-type': 'application/json' };
  const made = await fetch(`${service.url}/api/me/tokens`, { method: 'POST', headers: asMia, body: JSON.stringify({ label: 'nightly export' }) });
  assert.equal(made.status, 201);
  const token = (await made.json()) as { id: string; token: string };
  assert.equal((await fetch(`${service.url}/api/me/tokens/${token.id}`, { method: 'DELETE', headers: asMia })).status, 204);

  assert.equal((await send('DELETE', `/api/users/${mia.id}/sessions`)).status, 200);
  assert.equal((await send('DELETE', `/api/users/${mia.id}`)).status, 204);
  assert.equal((await send('DELETE', `/api/users/${mia.id}`)).status, 404, 'a change refused is not logged');

  const res = await fetch(`${service.url}/api/audit?limit=6`, { headers: service.admin });
  const { entries } = (await res.json()) as { entries: { actor: string; action: string; target: string | null; details: Record<string, unknown> }[] };
  assert.deepEqual(entries.map((e) => [e.action, e.target, e.actor]), [
    ['user.deleted', mia.id, 'admin-token'],
    ['user.sessions-ended', mia.id, 'admin-token'],
    ['token.revoked', token.id, `user:${mia.id}`],
    ['token.created', token.id, `user:${mia.id}`],
    ['user.updated', mia.id, 'admin-token'],
    ['user.created', mia.id, 'admin-token'],
  ]);
  assert.deepEqual(entries[0]!.details, { username: 'mia' });
  assert.deepEqual(entries[1]!.details, { ended: 1 });
  assert.deepEqual(entries[3]!.details, { label: 'nightly export' });
  assert.deepEqual(entries[4]!.details, { role: 'manager', passwordChanged: true });
  assert.deepEqual(entries[5]!.details, { username: 'mia', role: 'viewer' });
  const text = JSON.stringify(entries);
  for (const secret of ['correct horse battery', 'another long password', token.token]) assert.ok(!text.includes(secret), 'no password or token in the log');
});
