// The dashboard as a team uses it, in real Chromium: each role signs in and sees only what it may,
// the API refuses what a role may not do, numbers are managed in the page, new calls arrive
// without a reload, missed calls are called back, and axe-core finds no serious violation.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { CallEvent } from '../src/domain/calls.js';
import type { Role } from '../src/domain/team.js';
import { ARTIFACTS_DIR, launchChromium, watchPageProblems } from './helpers/browser.js';
import { assertValidNcco } from './helpers/ncco-schema.js';
import { FAILED_LOGINS_PER_WINDOW } from '../src/security/login-limiter.js';
import { BUSINESS_PHONE, startTestService, vonageUuid, type TestService } from './helpers/service.js';

const LAPTOP = { width: 1366, height: 768 };
const PHONE = { width: 390, height: 844 };
const AXE_SCRIPT = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const PASSWORD = 'correct horse battery';
const PEOPLE: Record<Role, string> = { owner: 'olivia', manager: 'manny', viewer: 'vera' };
const MISSED_CALLER = '447700900777';
const WEBSITE = 'https://shop.example';

/** A TCP relay to `target` whose connections can be cut, and new ones refused until resumed. */
async function startRelay(target: URL) {
  const sockets = new Set<Socket>();
  let refusing = false;
  const server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cut({ refuseNew }: { refuseNew: boolean }) {
      refusing = refuseNew;
      for (const socket of sockets) socket.destroy();
    },
    resume() {
      refusing = false;
    },
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

// page.evaluate has no timeout of its own: a hung request must fail the suite, not stall the run.
// The bound is for a hang only: on a 2-core machine shared with other work the suite has taken
// over 4 minutes (axe over twelve page loads is most of it).
describe('the dashboard for a team', { timeout: 360_000 }, () => {
  let service: TestService;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  const adminJson = (path: string, method: string, body?: unknown) =>
    fetch(`${service.url}${path}`, { method, headers: { ...service.admin, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

  before(async () => {
    service = await startTestService({ DNI_ALLOWED_ORIGINS: WEBSITE });
    for (const [role, username] of Object.entries(PEOPLE)) {
      const res = await adminJson('/api/users', 'POST', { username, password: PASSWORD, role });
      assert.equal(res.status, 201, await res.text());
    }
    // A missed call from a caller nobody has answered since.
    const startedAt = new Date(Date.now() - 3_600_000);
    await service.store.recordCalls([{
      uuid: 'missed-1', conversationUuid: 'CON-missed-1', trackingNumber: '447700900101', caller: MISSED_CALLER, campaign: 'Radio spot',
      forwardTo: BUSINESS_PHONE, startedAt,
    }]);
    const event = (legUuid: string, status: string, seconds: number, direction: CallEvent['direction']): CallEvent => ({
      legUuid, conversationUuid: 'CON-missed-1', status, occurredAt: new Date(startedAt.getTime() + seconds * 1000), direction, durationSeconds: null,
    });
    await service.store.recordEvents([event('missed-1', 'started', 0, 'inbound'), event('missed-1-out', 'busy', 3, 'outbound'), event('missed-1', 'completed', 4, 'inbound')]);
    browser = await launchChromium();
  });

  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await service?.stop();
  });

  /** A browser of its own, signed in through the login page as the role's person. */
  async function signIn(role: Role, viewport = LAPTOP, options: { bypassCSP?: boolean } = {}): Promise<{ page: Page; context: BrowserContext }> {
    const context = await browser.newContext({ viewport, reducedMotion: 'reduce', ...options });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${service.url}/dashboard/numbers`);
    assert.match(page.url(), /\/login\?next=%2Fdashboard%2Fnumbers$/, 'a visit without a session goes to the login page');
    await page.getByLabel('Username').fill(PEOPLE[role]);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/dashboard\/numbers$/);
    return { page, context };
  }

  /** A request made from inside the page, with its cookie, and with the page's CSRF token unless told otherwise. */
  function fromPage(page: Page, path: string, method: string, body?: unknown, withCsrf = true) {
    return page.evaluate(async ({ path, method, body, withCsrf }) => {
      const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
      if (withCsrf) headers['x-csrf-token'] = csrf;
      const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, body: await res.text() };
    }, { path, method, body, withCsrf });
  }

  const navLinks = (page: Page) => page.locator('.site-nav a').allInnerTexts();

  test('the session cookie is HttpOnly and SameSite, and a wrong password is refused', async () => {
    const res = await fetch(`${service.url}/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'vera', password: PASSWORD }),
    });
    assert.equal(res.status, 200);
    const cookie = res.headers.get('set-cookie') ?? '';
    assert.match(cookie, /^call_tracker_session=/);
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Lax/i);
    assert.doesNotMatch(cookie, /Secure/i, 'plain HTTP from a client: no Secure flag');
    const wrong = await fetch(`${service.url}/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'vera', password: 'not the password' }),
    });
    assert.equal(wrong.status, 401);
    assert.equal((await fetch(`${service.url}/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'nobody', password: PASSWORD }),
    })).status, 401);
    assert.ok(!service.logger.lines.some((line) => JSON.stringify(line).includes(PASSWORD)), 'no password in the logs');
  });

  test('failed logins are limited per address: the right password too is refused once an address has failed too often', async () => {
    const login = (password: string, address: string) => fetch(`${service.url}/login`, {
      method: 'POST',
      // The server sits behind a proxy on this machine as far as it knows: the proxy names the client.
      headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
      body: JSON.stringify({ username: 'manny', password }),
    });
    const guesser = '203.0.113.9';
    const statuses: number[] = [];
    for (let i = 0; i <= FAILED_LOGINS_PER_WINDOW; i++) statuses.push((await login(`guess ${i} of many`, guesser)).status);
    assert.deepEqual(statuses, [...new Array(FAILED_LOGINS_PER_WINDOW).fill(401), 429]);
    const refused = await login(PASSWORD, guesser);
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    assert.equal((await login(PASSWORD, '203.0.113.10')).status, 200, 'another address is not held back');

    // A person at the login page in Chromium is told, on the page, once their address is held back.
    const context = await browser.newContext({ viewport: PHONE, extraHTTPHeaders: { 'x-forwarded-for': '203.0.113.11' } });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${service.url}/login`);
    const attempt = async (password: string) => {
      await page.getByLabel('Username').fill('manny');
      await page.getByLabel('Password').fill(password);
      const [response] = await Promise.all([page.waitForResponse((res) => res.url().endsWith('/login') && res.request().method() === 'POST'), page.getByRole('button', { name: 'Sign in' }).click()]);
      await page.waitForLoadState();
      return response.status();
    };
    assert.equal(await attempt('not it'), 401);
    assert.equal(await page.locator('#login-error').innerText(), 'Wrong username or password.');
    for (let i = 1; i < FAILED_LOGINS_PER_WINDOW; i++) assert.equal(await attempt(`not it ${i}`), 401);
    assert.equal(await attempt(PASSWORD), 429, 'the right password too, once held back');
    assert.match(await page.locator('#login-error').innerText(), /^Too many failed sign-ins from this address/);
    assert.equal(await page.getByLabel('Password').count(), 1, 'the form stays, for later');
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'team-login-limited-phone.png'), fullPage: true });
  });

  test('each role sees only the pages it may use, and the API refuses the rest', async () => {
    const owner = await signIn('owner');
    assert.deepEqual(await navLinks(owner.page), ['Overview', 'Calls', 'Missed calls', 'Numbers', 'Team', 'My tokens']);
    assert.equal(await owner.page.locator('#number-form').count(), 1);

    const manager = await signIn('manager');
    assert.deepEqual(await navLinks(manager.page), ['Overview', 'Calls', 'Missed calls', 'Numbers', 'My tokens']);
    assert.equal(await manager.page.locator('#number-form').count(), 1);
    assert.equal((await fromPage(manager.page, '/api/users', 'GET')).status, 403);

    const viewer = await signIn('viewer');
    assert.deepEqual(await navLinks(viewer.page), ['Overview', 'Calls', 'Missed calls', 'Numbers', 'My tokens']);
    assert.equal(await viewer.page.locator('#number-form').count(), 0, 'no form to change numbers');
    assert.equal((await viewer.page.goto(`${service.url}/dashboard/team`))?.status(), 403);
    // A page, not the API's JSON: it says why, and the navigation leads on.
    assert.match(await viewer.page.locator('main').innerText(), /The viewer role may not open this page/);
    assert.deepEqual(await navLinks(viewer.page), ['Overview', 'Calls', 'Missed calls', 'Numbers', 'My tokens']);
    assert.equal((await fromPage(viewer.page, '/api/users', 'POST', { username: 'mallory', password: PASSWORD, role: 'owner' })).status, 403);
    assert.equal((await fromPage(viewer.page, '/api/calls?caller=447700900777', 'GET')).status, 403, 'a viewer may not search by caller');
    await viewer.page.goto(`${service.url}/dashboard/calls`);
    await viewer.page.locator('#calls-list tr[data-uuid="missed-1"]').waitFor();
    assert.equal(await viewer.page.locator('#filter-caller').count(), 0, 'no caller filter for a viewer');
    assert.deepEqual(await viewer.page.locator('#calls-list td.caller').allInnerTexts(), ['•••••••••777'], 'callers masked for a viewer');
    await manager.page.goto(`${service.url}/dashboard/calls`);
    await manager.page.locator('#calls-list tr[data-uuid="missed-1"]').waitFor();
    assert.deepEqual(await manager.page.locator('#calls-list td.caller').allInnerTexts(), ['+44 7700 900777'], 'in full for a manager');

    // Callers' voices go with callers' numbers: managers hear recordings, viewers do not; removing one is the owner's.
    assert.equal((await fromPage(manager.page, '/api/recordings/no-such-recording/audio', 'GET')).status, 404, 'a manager may hear recordings');
    assert.equal((await fromPage(manager.page, '/api/recordings/no-such-recording', 'DELETE')).status, 403);
    assert.equal((await fromPage(viewer.page, '/api/recordings/no-such-recording/audio', 'GET')).status, 403);
    assert.equal((await fromPage(owner.page, '/api/recordings/no-such-recording', 'DELETE')).status, 404);

    // What leaves or removes the business's data, and the audit log, are the owner's.
    for (const { page } of [manager, viewer]) {
      for (const path of ['/api/webhooks', '/api/audit', `/api/callers/${MISSED_CALLER}`]) assert.equal((await fromPage(page, path, 'GET')).status, 403, path);
      assert.equal((await fromPage(page, `/api/callers/${MISSED_CALLER}`, 'DELETE')).status, 403);
      await page.goto(`${service.url}/dashboard`);
      await page.locator('#dashboard[data-status="ready"]').waitFor();
      assert.equal(await page.locator('#webhooks-panel').count(), 0, 'no webhooks panel');
    }
    assert.match(await viewer.page.locator('.footnote').innerText(), /masked here; the CSV downloads too/);
    await owner.page.goto(`${service.url}/dashboard`);
    await owner.page.locator('#webhooks-panel.is-empty').waitFor();
    assert.match(await owner.page.locator('.footnote').innerText(), /the CSV downloads hold them in full/);
    const test = await fromPage(owner.page, '/api/webhooks/no-such-subscription/test', 'POST');
    assert.equal(test.status, 404, "the overview holds the session's CSRF token for its buttons");
  });

  test('an owner adds a number in the page, a viewer sees it, and the viewer cannot change it', async () => {
    const { page } = await signIn('owner');
    const problems = watchPageProblems(page);
    // A number with something that is not part of it is refused as written, never saved as the digits left over.
    await page.getByLabel('Tracking number', { exact: true }).fill('+44 7700 900555 ext 2');
    await page.getByRole('button', { name: 'Save number' }).click();
    await page.locator('#error-number').filter({ hasText: /"number" must be a phone number/ }).waitFor();
    assert.equal(await page.locator('#numbers-list tr[data-number="4477009005552"]').count(), 0);
    await page.getByLabel('Tracking number', { exact: true }).fill('+44 (7700) 900-555');
    await page.getByLabel('Campaign', { exact: true }).fill('Spring mailer');
    await page.getByLabel('Forward to').fill('not a phone');
    await page.getByRole('button', { name: 'Save number' }).click();
    // The API's message, beside the field it names.
    await page.locator('#error-forwardTo').filter({ hasText: /forwardTo/ }).waitFor();
    assert.equal(await page.getByLabel('Forward to').getAttribute('aria-invalid'), 'true');
    problems.failedRequests.length = 0;
    problems.consoleErrors.length = 0;

    await page.getByLabel('Forward to').fill('+44 7700 900001');
    await page.getByLabel('Whisper').fill('Spring mailer call');
    await page.getByRole('button', { name: 'Save number' }).click();
    await page.locator('#numbers-list tr[data-number="447700900555"]').waitFor();
    assert.match(await page.locator('#numbers-list tr[data-number="447700900555"]').innerText(), /\+44 7700 900555\s+Spring mailer\s+\+44 7700 900001/);
    assert.deepEqual(problems, { consoleErrors: [], failedRequests: [] });

    const viewer = await signIn('viewer');
    await viewer.page.locator('#numbers-list tr[data-number="447700900555"]').waitFor();
    assert.match(await viewer.page.locator('#numbers-list tr[data-number="447700900555"]').innerText(), /Spring mailer/);
    assert.equal(await viewer.page.getByRole('button', { name: /Remove/ }).count(), 0);
    const put = await fromPage(viewer.page, '/api/numbers/447700900555', 'PUT', { campaign: 'Hijacked' });
    assert.equal(put.status, 403);
    assert.equal(JSON.parse(put.body).error, 'forbidden');
    assert.equal((await fromPage(viewer.page, '/api/numbers/447700900555', 'DELETE')).status, 403);
    assert.equal((await fromPage(viewer.page, '/api/block-list', 'PUT', { numbers: [] })).status, 403);
    const numbers = await (await fetch(`${service.url}/api/numbers`, { headers: service.admin })).json();
    assert.equal(numbers.numbers.find((n: { number: string }) => n.number === '447700900555')?.campaign, 'Spring mailer');

    // The calls filter matches a campaign exactly: it suggests the numbers' campaigns and the numbers.
    await viewer.page.goto(`${service.url}/dashboard/calls`);
    await viewer.page.locator('#campaign-choices option[value="Spring mailer"]').waitFor({ state: 'attached' });
    await viewer.page.locator('#number-choices option[value="+44 7700 900555"]').waitFor({ state: 'attached' });
    assert.equal(await viewer.page.getByLabel('Campaign').getAttribute('list'), 'campaign-choices');
  });

  test('a manager adds, edits and removes a number pool in the page, the API\'s messages beside the fields; a viewer only sees it', async () => {
    const { page } = await signIn('manager');
    const problems = watchPageProblems(page);
    const form = page.locator('#pool-form');
    await form.getByLabel('Pool id').fill('Spring Site');
    await form.getByLabel('Pool campaign').fill('Spring site');
    await form.getByLabel('Replaces').fill('+44 20 7946 0100');
    await form.getByLabel('Pool numbers').fill('+44 20 7946 0101\nnot a number');
    await form.getByRole('button', { name: 'Save pool' }).click();
    await page.locator('#pool-error-id').filter({ hasText: /^"id" must be lower-case/ }).waitFor();
    assert.equal(await form.getByLabel('Pool id').getAttribute('aria-invalid'), 'true');
    await form.getByLabel('Pool id').fill('spring');
    await form.getByRole('button', { name: 'Save pool' }).click();
    await page.locator('#pool-error-numbers').filter({ hasText: /^"numbers\.1" must be a phone number/ }).waitFor();
    assert.equal(await form.getByLabel('Pool id').getAttribute('aria-invalid'), null, 'the earlier message is cleared');
    assert.equal(await form.getByLabel('Pool numbers').getAttribute('aria-invalid'), 'true');
    await form.getByLabel('Pool numbers').fill('+44 20 7946 0101\n+44 20 7946 0102');
    await form.getByLabel('Hold (minutes)').fill('1441');
    await form.getByRole('button', { name: 'Save pool' }).click();
    await page.locator('#pool-error-holdMinutes').filter({ hasText: /^"holdMinutes"/ }).waitFor();
    await form.getByLabel('Hold (minutes)').fill('45');
    // The refusals above were answered 400, as they should: from here nothing may fail.
    problems.failedRequests.length = 0;
    problems.consoleErrors.length = 0;
    await form.getByRole('button', { name: 'Save pool' }).click();

    const row = page.locator('#pools-list tr[data-pool="spring"]');
    await row.waitFor();
    assert.deepEqual(await row.locator('th, td:not(.actions)').allInnerTexts(), ['spring', 'Spring site', '+44 20 7946 0100', '+44 20 7946 0101, +44 20 7946 0102', '45 min']);
    // Its numbers are tracking numbers of its campaign, listed above without a reload.
    await page.locator('#numbers-list tr[data-number="442079460102"]').filter({ hasText: 'Spring site' }).waitFor();
    assert.equal(await form.getByLabel('Pool id').inputValue(), '', 'the form is cleared once saved');

    await page.getByRole('button', { name: 'Edit pool spring' }).click();
    assert.equal(await form.getByLabel('Pool numbers').inputValue(), '+44 20 7946 0101\n+44 20 7946 0102');
    assert.equal(await form.getByLabel('Hold (minutes)').inputValue(), '45');
    await form.getByLabel('Pool numbers').fill('+44 20 7946 0102');
    await form.getByLabel('Hold (minutes)').fill('60');
    await form.getByRole('button', { name: 'Save pool' }).click();
    await row.filter({ hasText: '60 min' }).waitFor();
    assert.deepEqual(await row.locator('th, td:not(.actions)').allInnerTexts(), ['spring', 'Spring site', '+44 20 7946 0100', '+44 20 7946 0102', '60 min']);
    assert.deepEqual(problems, { consoleErrors: [], failedRequests: [] });

    const viewer = await signIn('viewer');
    await viewer.page.locator('#pools-list tr[data-pool="spring"]').waitFor();
    assert.equal(await viewer.page.locator('#pool-form').count(), 0, 'no form for a viewer');
    assert.equal(await viewer.page.getByRole('button', { name: /pool spring/ }).count(), 0);
    assert.equal((await fromPage(viewer.page, '/api/pools/spring', 'PUT', { replaces: '442079460100', numbers: ['442079460103'] })).status, 403);
    assert.equal((await fromPage(viewer.page, '/api/pools/spring', 'DELETE')).status, 403);

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Remove pool spring' }).click();
    await row.waitFor({ state: 'detached' });
    const { pools } = await (await adminJson('/api/pools', 'GET')).json() as { pools: { id: string }[] };
    assert.ok(!pools.some((p) => p.id === 'spring'));
  });

  test('a change made with the session cookie but without the CSRF token is refused', async () => {
    const { page } = await signIn('owner');
    const without = await fromPage(page, '/api/numbers/447700900556', 'PUT', { campaign: 'Forged' }, false);
    assert.equal(without.status, 403);
    assert.match(JSON.parse(without.body).message, /x-csrf-token/);
    const withToken = await fromPage(page, '/api/numbers/447700900556', 'PUT', { campaign: 'Real' });
    assert.equal(withToken.status, 201);
  });

  test('a new call appears on an open calls page without a reload', async () => {
    const { page } = await signIn('manager');
    const problems = watchPageProblems(page);
    await page.goto(`${service.url}/dashboard/calls`);
    await page.locator('#live-state').filter({ hasText: 'Live' }).waitFor();
    // Gone if the page were loaded again.
    await page.evaluate(() => { (window as unknown as { openedOnce: boolean }).openedOnce = true; });
    const uuid = vonageUuid('live');
    const answer = await fetch(`${service.url}/track-call?${new URLSearchParams({
      to: '447700900555', from: '447700900888', uuid, conversation_uuid: `CON-${uuid}`,
    })}`);
    assert.equal(answer.status, 200);
    assertValidNcco(await answer.json());
    const row = page.locator(`#calls-list tr[data-uuid="${uuid}"]`);
    await row.waitFor({ timeout: 10_000 });
    assert.match(await row.innerText(), /Spring mailer[\s\S]*\+44 7700 900555[\s\S]*\+44 7700 900888/);
    assert.equal(await page.evaluate(() => (window as unknown as { openedOnce?: boolean }).openedOnce), true, 'the same page, not a reload');
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'team-calls-laptop.png'), fullPage: true });
    assert.deepEqual(problems.consoleErrors, []);
  });

  test('an open calls page whose connection drops reconnects by itself and shows the calls taken meanwhile', async (t) => {
    const { page } = await signIn('manager');
    // Through a relay the test can cut, as a proxy restarting or a network dropping would.
    const relay = await startRelay(new URL(service.url));
    t.after(() => relay.close());
    await page.goto(`${relay.url}/dashboard/calls`);
    await page.locator('#live-state').filter({ hasText: 'Live' }).waitFor();
    await page.evaluate(() => { (window as unknown as { openedOnce: boolean }).openedOnce = true; });

    relay.cut({ refuseNew: true });
    await page.locator('#live-state').filter({ hasText: 'Reconnecting' }).waitFor();
    const meanwhile = vonageUuid('offline');
    const taken = await fetch(`${service.url}/track-call?${new URLSearchParams({
      to: '447700900555', from: '447700900889', uuid: meanwhile, conversation_uuid: `CON-${meanwhile}`,
    })}`);
    assertValidNcco(await taken.json());
    relay.resume();
    await page.locator('#live-state').filter({ hasText: 'Live' }).waitFor({ timeout: 15_000 });
    await page.locator(`#calls-list tr[data-uuid="${meanwhile}"]`).waitFor({ timeout: 10_000 });
    assert.equal(await page.evaluate(() => (window as unknown as { openedOnce?: boolean }).openedOnce), true, 'still the same page');
  });

  test('a call opens to its events in order, who answered, the talk time and the website visit that brought it', async () => {
    const put = (path: string, body: unknown) => adminJson(path, 'PUT', body);
    assert.equal((await put('/api/numbers/447700900561', { campaign: 'Website', forwardTo: '+44 7700 900001' })).status, 201);
    assert.equal((await put('/api/pools/site', { campaign: 'Website', replaces: '447700900560', numbers: ['447700900561'] })).status, 201);
    const visit = await fetch(`${service.url}/dni/visits`, {
      method: 'POST', headers: { origin: WEBSITE, 'content-type': 'text/plain' },
      body: JSON.stringify({ pool: 'site', utmSource: 'google', utmMedium: 'cpc', utmCampaign: 'spring sale', gclid: 'Cj0KCQtest' }),
    });
    assert.equal(visit.status, 200, await visit.clone().text());
    assert.equal((await visit.json()).number, '447700900561');

    const uuid = vonageUuid('detail');
    // While the visit holds the number: the call is credited to it.
    const startedAt = new Date();
    await service.store.recordCalls([{
      uuid, conversationUuid: `CON-${uuid}`, trackingNumber: '447700900561', caller: '447700900333', campaign: 'Website', forwardTo: '447700900001', startedAt,
      pooled: true,
    }]);
    const at = (seconds: number) => new Date(startedAt.getTime() + seconds * 1000);
    const leg = (legUuid: string, status: string, seconds: number, direction: CallEvent['direction'], durationSeconds: number | null = null): CallEvent => ({
      legUuid, conversationUuid: `CON-${uuid}`, status, occurredAt: at(seconds), direction, durationSeconds, ...(direction === 'outbound' && { to: '447700900001' }),
    });
    const inOrder = [
      leg(uuid, 'started', 0, 'inbound'), leg(`${uuid}-out`, 'ringing', 1, 'outbound'), leg(`${uuid}-out`, 'answered', 4, 'outbound'),
      leg(`${uuid}-out`, 'completed', 79, 'outbound', 75), leg(uuid, 'completed', 80, 'inbound', 80),
    ];
    // Vonage's events arrive in any order: the detail shows the order they happened in.
    await service.store.recordEvents([inOrder[3]!, inOrder[0]!, inOrder[4]!, inOrder[2]!, inOrder[1]!]);

    const { page } = await signIn('manager');
    await page.goto(`${service.url}/dashboard/calls`);
    // From here: leaving the numbers page may abort its last requests, which is no problem of this page.
    const problems = watchPageProblems(page);
    const row = page.locator(`#calls-list tr[data-uuid="${uuid}"]`);
    await row.locator('summary').click();
    await row.locator('.call-events li').nth(inOrder.length - 1).waitFor();
    const details = await row.locator('.call-detail li').allInnerTexts();
    assert.match(details[0]!, /^Answered by \+44 7700 900001 at /);
    assert.match(details[1]!, /^Talk time 1 min 15 s, ended /);
    assert.equal(details.at(-1), 'Website visit: source google, medium cpc, campaign spring sale, gclid Cj0KCQtest');
    const events = await row.locator('.call-events li').allInnerTexts();
    assert.deepEqual(events.map((line) => line.replace(/^\d\d:\d\d:\d\d /, '')), [
      "caller's leg: started", 'leg to +44 7700 900001: ringing', 'leg to +44 7700 900001: answered',
      'leg to +44 7700 900001: completed, 1 min 15 s', "caller's leg: completed, 1 min 20 s",
    ]);
    const clocks = events.map((line) => line.slice(0, 8));
    assert.deepEqual(clocks, [...clocks].sort(), 'times of day, in order');
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'team-call-detail-laptop.png'), fullPage: true });
    assert.deepEqual(problems, { consoleErrors: [], failedRequests: [] });

    const viewer = await signIn('viewer');
    // The pool that brought the call is on the numbers page, read-only.
    const pool = viewer.page.locator('#pools-list tr[data-pool="site"]');
    await pool.waitFor();
    assert.deepEqual(await pool.locator('th, td').allInnerTexts(), ['site', 'Website', '+44 7700 900560', '+44 7700 900561', '30 min']);
    const asViewer = JSON.parse((await fromPage(viewer.page, `/api/calls/${uuid}`, 'GET')).body);
    assert.equal(asViewer.caller, '•••••••••333', 'the detail masks the caller as the list does');
    assert.equal(asViewer.events.length, inOrder.length);
    assert.equal((await fromPage(viewer.page, '/api/calls/no-such-call', 'GET')).status, 404);
  });

  test("a missed call's call-back link holds the full number for a manager and is absent for a viewer", async () => {
    const manager = await signIn('manager');
    await manager.page.goto(`${service.url}/dashboard/missed`);
    const link = manager.page.locator('#missed-list tr[data-uuid="missed-1"] a.call-back');
    await link.waitFor();
    assert.equal(await link.getAttribute('href'), `tel:+${MISSED_CALLER}`);
    assert.equal(await link.innerText(), '+44 7700 900777');
    await Promise.all([
      manager.page.waitForResponse((res) => res.url().endsWith('/called-back') && res.status() === 200),
      manager.page.getByLabel('called back').check(),
    ]);

    const viewer = await signIn('viewer', PHONE);
    await viewer.page.goto(`${service.url}/dashboard/missed`);
    const row = viewer.page.locator('#missed-list tr[data-uuid="missed-1"]');
    await row.waitFor();
    assert.equal(await row.locator('a').count(), 0);
    assert.doesNotMatch(await row.innerText(), /900777|7700 900 777/);
    assert.match(await row.innerText(), /•+777/);
    assert.match(await row.innerText(), /yes/, 'the viewer sees it was called back');
    await viewer.page.screenshot({ path: join(ARTIFACTS_DIR, 'team-missed-phone.png'), fullPage: true });
    const api = JSON.parse((await fromPage(viewer.page, '/api/calls/to-return', 'GET')).body);
    assert.ok(api.calls.every((c: { caller: string }) => !c.caller.includes('900777')));
    assert.equal((await fromPage(viewer.page, '/api/calls/missed-1/called-back', 'DELETE')).status, 403);
  });

  test('an owner ends a user\'s sessions and disables them; personal tokens carry the role', async () => {
    const viewer = await signIn('viewer');
    await viewer.page.goto(`${service.url}/dashboard/account`);
    await viewer.page.getByLabel('Label').fill('nightly export');
    await viewer.page.getByRole('button', { name: 'Make a token' }).click();
    // The token is written into the page once the API has answered: wait for it, not for the empty element.
    const shown = viewer.page.locator('#new-token-value').filter({ hasText: /\S/ });
    await shown.waitFor();
    const token = await shown.innerText();
    assert.match(token, /^ctk_[\w-]{43}$/);
    const bearer = { authorization: `Bearer ${token}` };
    assert.equal((await fetch(`${service.url}/api/calls`, { headers: bearer })).status, 200);
    assert.equal((await fetch(`${service.url}/api/numbers/447700900555`, { method: 'DELETE', headers: bearer })).status, 403);

    await viewer.page.goto(`${service.url}/dashboard/calls`);
    await viewer.page.locator('#live-state').filter({ hasText: 'Live' }).waitFor();

    const owner = await signIn('owner');
    await owner.page.goto(`${service.url}/dashboard/team`);
    await owner.page.getByRole('button', { name: 'Sign out everywhere: vera' }).click();
    await owner.page.locator('#users-state').filter({ hasText: 'signed out everywhere' }).waitFor();
    // The open page's live stream ends too, and sends her to sign in.
    await viewer.page.waitForURL(/\/login\?next=%2Fdashboard%2Fcalls$/, { timeout: 20_000 });
    assert.equal((await fromPage(viewer.page, '/api/calls', 'GET')).status, 401, 'the session ended');
    assert.equal((await fetch(`${service.url}/api/calls`, { headers: bearer })).status, 200, 'tokens stay');

    await owner.page.getByRole('button', { name: 'Disable vera' }).click();
    await owner.page.locator('#users-list tr[data-user="vera"]').filter({ hasText: 'disabled' }).waitFor();
    assert.equal((await fetch(`${service.url}/api/calls`, { headers: bearer })).status, 401, "a disabled user's tokens stop working");
    const login = await fetch(`${service.url}/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'vera', password: PASSWORD }),
    });
    assert.equal(login.status, 401);
    await owner.page.getByRole('button', { name: 'Enable vera' }).click();
    await owner.page.locator('#users-list tr[data-user="vera"]').filter({ hasText: 'active' }).waitFor();
    await owner.page.screenshot({ path: join(ARTIFACTS_DIR, 'team-team-laptop.png'), fullPage: true });
  });

  test('the last owner cannot be demoted, disabled or deleted, in the page or through the API; the ADMIN_TOKEN stays a way in', async () => {
    const { page } = await signIn('owner');
    await page.goto(`${service.url}/dashboard/team`);
    const role = page.getByLabel('Role of olivia');
    await role.waitFor();
    await role.selectOption('manager');
    const banner = page.locator('#page-error');
    await banner.filter({ hasText: 'this is the last active owner' }).waitFor();
    // The list is read again: the role shown is the one she still has.
    await page.locator('#users-list tr[data-user="olivia"] select').filter({ has: page.locator('option[value="owner"]:checked') }).waitFor();
    assert.equal(await role.inputValue(), 'owner');

    const { users } = await (await adminJson('/api/users', 'GET')).json() as { users: { id: string; username: string }[] };
    const olivia = users.find((u) => u.username === 'olivia')!;
    for (const [method, body] of [['PATCH', { disabled: true }], ['PATCH', { role: 'viewer' }], ['DELETE', undefined]] as const) {
      const refused = await fromPage(page, `/api/users/${olivia.id}`, method, body);
      assert.equal(refused.status, 409, `${method} ${JSON.stringify(body)}`);
      assert.equal(JSON.parse(refused.body).error, 'conflict');
    }
    assert.equal((await fromPage(page, '/api/me', 'GET')).status, 200, 'still an owner, still signed in');
    await page.getByRole('button', { name: 'Sign out everywhere: manny' }).click();
    await page.locator('#users-state').filter({ hasText: 'manny is signed out everywhere' }).waitFor();
    assert.equal(await banner.isHidden(), true, 'the refusal is taken away once something else was done');
    // The ADMIN_TOKEN is not a user: it opens the API whatever the team's owners.
    assert.equal((await adminJson('/api/users', 'GET')).status, 200);
  });

  test('axe-core finds no serious or critical violation on any page, at laptop and phone widths, and no page is wider than the screen', async () => {
    const pages = ['/dashboard', '/dashboard/calls', '/dashboard/missed', '/dashboard/numbers', '/dashboard/team', '/dashboard/account'];
    for (const [name, viewport] of [['laptop', LAPTOP], ['phone', PHONE]] as const) {
      // axe is injected as a script of its own, which the pages' CSP would refuse.
      const { page } = await signIn('owner', viewport, { bypassCSP: true });
      for (const path of [...pages, '/login']) {
        await page.goto(`${service.url}${path}`);
        await page.waitForLoadState('networkidle');
        await page.addScriptTag({ path: AXE_SCRIPT });
        const violations = await page.evaluate(async () => {
          const axe = (window as unknown as { axe: { run(context: Document): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
          const results = await axe.run(document);
          return results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
            .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
        });
        assert.deepEqual(violations, [], `${path} at ${name} width`);
        // Wide tables scroll inside their panel; the page itself never scrolls sideways.
        const overflowPx = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflowPx <= 0, `${path} at ${name} width is ${overflowPx}px wider than the screen`);
        const file = path === '/dashboard' ? 'overview' : path.split('/').pop();
        await page.screenshot({ path: join(ARTIFACTS_DIR, `team-${file}-${name}.png`), fullPage: true });
      }
    }
  });
});
