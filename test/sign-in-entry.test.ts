// How the dashboard lets people in: until the team has a user, a browser gets the Basic prompt for
// the ADMIN_TOKEN as before; once it has users, a browser without credentials gets the login page.
// Scripts presenting credentials (ADMIN_TOKEN as Bearer or Basic, a personal token) are let in
// either way, and an API call without credentials is refused, never sent to a page.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN_TOKEN, startTestService, type TestService } from './helpers/service.js';

let service: TestService;
before(async () => {
  service = await startTestService();
});
after(() => service.stop());

const BROWSER = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
const basic = (password: string) => `Basic ${Buffer.from(`marketing:${password}`).toString('base64')}`;
const open = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${service.url}${path}`, { headers: { ...BROWSER, ...headers }, redirect: 'manual' });

async function assertBasicPrompt(res: Response, why: string): Promise<void> {
  assert.equal(res.status, 401, why);
  assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="call-tracker"/, why);
}

async function assertPageShown(res: Response, why: string): Promise<void> {
  assert.equal(res.status, 200, why);
  assert.match(res.headers.get('content-type') ?? '', /text\/html/, why);
  assert.match(await res.text(), /<h1>Calls dashboard<\/h1>/, why);
}

test('a browser gets the Basic prompt until the team has a user, then the login page', async () => {
  await assertBasicPrompt(await open('/dashboard?days=7'), 'no users yet: the prompt, as before');
  await assertPageShown(await open('/dashboard', { authorization: basic(ADMIN_TOKEN) }), 'the prompt answered with the ADMIN_TOKEN');

  const created = await fetch(`${service.url}/api/users`, {
    method: 'POST', headers: { ...service.admin, 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'olivia', password: 'correct horse battery', role: 'owner' }),
  });
  assert.equal(created.status, 201);

  const redirected = await open('/dashboard?days=7');
  assert.equal(redirected.status, 303);
  assert.equal(redirected.headers.get('location'), `/login?next=${encodeURIComponent('/dashboard?days=7')}`);
  const login = await fetch(`${service.url}${redirected.headers.get('location')}`, { headers: BROWSER });
  assert.equal(login.status, 200);
  assert.match(await login.text(), /<form method="post" action="\/login"[\s\S]*href="\/dashboard\?auth=basic"/);

  await assertBasicPrompt(await open('/dashboard?auth=basic'), 'the owner asks for the prompt');
  await assertPageShown(await open('/dashboard?auth=basic', { authorization: basic(ADMIN_TOKEN) }), 'and answers it');
  await assertBasicPrompt(await open('/dashboard', { authorization: basic('a wrong token') }), 'wrong credentials are refused, not sent to the login page');
});

test('scripts presenting credentials are let in whether or not the team has users', async () => {
  await assertPageShown(await open('/dashboard', { authorization: basic(ADMIN_TOKEN) }), 'Basic with the ADMIN_TOKEN');
  await assertPageShown(await open('/dashboard', { authorization: `Bearer ${ADMIN_TOKEN}` }), 'Bearer with the ADMIN_TOKEN');

  const session = await fetch(`${service.url}/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'olivia', password: 'correct horse battery' }),
  });
  const cookie = (session.headers.get('set-cookie') ?? '').split(';', 1)[0]!;
  const csrf = (await (await open('/dashboard/account', { cookie })).text()).match(/name="csrf-token" content="([^"]+)"/)?.[1] ?? '';
  const made = await fetch(`${service.url}/api/me/tokens`, {
    method: 'POST', headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' }, body: JSON.stringify({ label: 'export' }),
  });
  assert.equal(made.status, 201);
  const { token } = (await made.json()) as { token: string };
  await assertPageShown(await open('/dashboard', { authorization: `Bearer ${token}` }), "a personal token, as its user's role");

  for (const path of ['/api/calls', '/api/report', '/dashboard/latest-calls']) {
    const res = await fetch(`${service.url}${path}`, { redirect: 'manual' });
    assert.equal(res.status, 401, `${path}: an API call without credentials is refused`);
  }
});
