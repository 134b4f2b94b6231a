// What a newcomer sees after the README's first command: the log says where the dashboard is and
// how to log in, the admin token waits in a file only its owner can read (never in the log), and
// mistakes in the settings are pointed out.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { freePort, startServerProcess, waitForLog } from './helpers/server-process.js';

const dir = mkdtempSync(join(tmpdir(), 'ct-first-run-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The README's first command, as the server sees it: the example number and nothing else. */
const FIRST_RUN_ENV = { PROXY_TO_NUMBER: '+44 7700 900000', ACCESS_LOG: 'off' };

test('a first start without ADMIN_TOKEN generates one into a 0600 file and logs how to open the dashboard', async () => {
  const port = await freePort();
  const server = await startServerProcess(port, FIRST_RUN_ENV, dir);
  try {
    await waitForLog(server, /dashboard: /);
    const tokenPath = join(dir, 'data', 'admin-token');
    const token = readFileSync(tokenPath, 'utf8').trim();
    assert.match(token, /^[0-9a-f]{48}$/);
    assert.equal(statSync(tokenPath).mode & 0o777, 0o600);
    assert.match(server.stderr(), new RegExp(`dashboard: http://localhost:${port}/dashboard \\(any user name; password: the token in data/admin-token\\)`));
    assert.ok(!server.stderr().includes(token), 'the token itself is never logged');
    assert.match(server.stderr(), /warn PROXY_TO_NUMBER 447700900000 is the example's fictional number/);
    // A number's recording and voicemail settings would be ignored without a word otherwise.
    // It is the last start-up line, logged just after the dashboard's.
    await waitForLog(server, /warn PUBLIC_URL is not set: call whisper, recording, voicemail and a route's fail-over to its next destination are off/);

    const basic = `Basic ${Buffer.from(`anyone:${token}`).toString('base64')}`;
    assert.equal((await fetch(`${server.url}/dashboard`, { headers: { authorization: basic } })).status, 200);
    assert.equal((await fetch(`${server.url}/api/numbers`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
    assert.equal((await fetch(`${server.url}/api/numbers`, { headers: { authorization: 'Bearer not-the-token-at-all' } })).status, 401);
  } finally {
    await server.stop('SIGTERM');
  }
});

test('the next start reuses the token file, and a misspelt variable is pointed out', async () => {
  const tokenPath = join(dir, 'data', 'admin-token');
  const before = readFileSync(tokenPath, 'utf8');
  const server = await startServerProcess(await freePort(), { ...FIRST_RUN_ENV, ADMIN_TOKN: 'what-i-meant-to-set-123' }, dir);
  try {
    await waitForLog(server, /dashboard: /);
    assert.equal(readFileSync(tokenPath, 'utf8'), before);
    assert.doesNotMatch(server.stderr(), /generated an admin token/);
    assert.match(server.stderr(), /warn ADMIN_TOKN is not a call-tracker setting and is ignored: did you mean ADMIN_TOKEN\?/);
  } finally {
    await server.stop('SIGTERM');
  }
});

test('with ADMIN_TOKEN set the log says to log in with it, and no file is written', async () => {
  const own = mkdtempSync(join(tmpdir(), 'ct-first-run-token-'));
  try {
    const server = await startServerProcess(await freePort(), { ...FIRST_RUN_ENV, ADMIN_TOKEN: 'a-token-of-my-own-0123', PUBLIC_URL: 'https://abc123.ngrok.app' }, own);
    try {
      await waitForLog(server, /dashboard: /);
      assert.match(server.stderr(), /dashboard: https:\/\/abc123\.ngrok\.app\/dashboard \(any user name; password: ADMIN_TOKEN\)/);
      assert.ok(!server.stderr().includes('a-token-of-my-own-0123'));
      assert.throws(() => statSync(join(own, 'data', 'admin-token')), { code: 'ENOENT' });
    } finally {
      await server.stop('SIGTERM');
    }
  } finally {
    rmSync(own, { recursive: true, force: true });
  }
});
