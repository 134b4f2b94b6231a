// A server that cannot work refuses to start: exit code 1 and one clear line on stderr, no stack
// trace, no password, and within seconds even when the database never answers.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { createTestDatabase, postgresSkipReason } from './helpers/postgres.js';
import { freePort, startServerProcess } from './helpers/server-process.js';

const SERVER = fileURLToPath(new URL('../src/server.ts', import.meta.url));
/** Far beyond the store's connect timeout: reaching it means start-up hung. */
const GIVE_UP_MS = 25_000;

const dir = mkdtempSync(join(tmpdir(), 'ct-startup-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Refusal {
  code: number | null;
  stderr: string;
}

/** Runs the server with only `env` in an empty directory (no .env) until it exits by itself. */
function runUntilExit(env: Record<string, string>): Promise<Refusal> {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), SERVER], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', PORT: '0', ACCESS_LOG: 'off', SPOOL_PATH: join(dir, 'spool.ndjson'), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), GIVE_UP_MS);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

/** Asserts a refusal to start, and returns its one line. */
async function assertRefusal(env: Record<string, string>): Promise<string> {
  const { code, stderr } = await runUntilExit(env);
  assert.notEqual(code, null, `the server was still running after ${GIVE_UP_MS} ms:\n${stderr}`);
  assert.notEqual(code, 0, 'non-zero exit code');
  const lines = stderr.split('\n').filter((line) => line.trim() !== '');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${stderr}`);
  assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
  assert.match(lines[0]!, /^call-tracker: /);
  return lines[0]!;
}

// Not the example's fictional number, which earns a warning line of its own.
const withPhone = { PROXY_TO_NUMBER: '14155550100' };

describe('start-up errors', () => {
  test('a missing PROXY_TO_NUMBER is named, with an example', async () => {
    assert.match(await assertRefusal({ DATABASE_URL: 'memory:' }), /PROXY_TO_NUMBER is missing.*PROXY_TO_NUMBER=\d+/);
  });

  test('in production, a server without VONAGE_SIGNATURE_SECRET refuses to start and says how to proceed', async () => {
    const line = await assertRefusal({ ...withPhone, DATABASE_URL: 'memory:', NODE_ENV: 'production' });
    assert.match(line, /VONAGE_SIGNATURE_SECRET is not set and NODE_ENV=production: .*ALLOW_UNSIGNED_WEBHOOKS=true/);
  });

  test('a malformed DATABASE_URL is named, with the forms it can take', async () => {
    assert.match(await assertRefusal({ ...withPhone, DATABASE_URL: 'postgres://' }), /DATABASE_URL is not a valid PostgreSQL URL; expected postgres:\/\//);
    assert.match(await assertRefusal({ ...withPhone, DATABASE_URL: 'mysql://db/calls' }), /DATABASE_URL must be sqlite:<path>, postgres:\/\/.* or memory:/);
  });

  test('a SQLite path that cannot be created names the file', async () => {
    const file = join(dir, 'not-a-directory');
    writeFileSync(file, '');
    const line = await assertRefusal({ ...withPhone, DATABASE_URL: `sqlite:${file}/calls.db` });
    assert.match(line, new RegExp(`cannot start with SQLite file ${file}/calls\\.db: `));
  });

  test('a busy port is named as the cause, not the store', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '0.0.0.0', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const line = await assertRefusal({ ...withPhone, PORT: String(port), DATABASE_URL: `sqlite:${join(dir, 'busy.db')}` });
      assert.equal(line, `call-tracker: port ${port} is already in use: stop whatever listens there, or set PORT to a free port`);
    } finally {
      taken.close();
    }
  });

  test('every configuration error is listed at once, one line each', async () => {
    const { code, stderr } = await runUntilExit({ PORT: 'eighty', DATABASE_URL: 'mysql://db/calls', ADMIN_TOKEN: 'short' });
    assert.equal(code, 1);
    const lines = stderr.trim().split('\n').sort();
    assert.equal(lines.length, 4, stderr);
    assert.match(lines[0]!, /^call-tracker: ADMIN_TOKEN must be at least 16 characters/);
    assert.match(lines[1]!, /^call-tracker: DATABASE_URL must be sqlite:/);
    assert.match(lines[2]!, /^call-tracker: PORT must be a whole number/);
    assert.match(lines[3]!, /^call-tracker: PROXY_TO_NUMBER is missing/);
  });

  test('a misspelt variable is named beside the error it causes', async () => {
    const { code, stderr } = await runUntilExit({ PROXY_TO_NUMBR: '14155550100', DATABASE_URL: 'memory:' });
    assert.equal(code, 1);
    assert.deepEqual(stderr.trim().split('\n'), [
      'call-tracker: PROXY_TO_NUMBR is not a call-tracker setting and is ignored: did you mean PROXY_TO_NUMBER?',
      'call-tracker: PROXY_TO_NUMBER is missing: set it to the business phone that calls are forwarded to, e.g. PROXY_TO_NUMBER=447700900000',
    ]);
  });

  test('a PostgreSQL server nobody listens for is reported without the password', async () => {
    const port = await freePort();
    const line = await assertRefusal({ ...withPhone, DATABASE_URL: `postgres://ct:s3cret-pw@127.0.0.1:${port}/calls` });
    assert.match(line, new RegExp(`cannot start with PostgreSQL 127\\.0\\.0\\.1:${port}/calls: .*ECONNREFUSED`));
    assert.doesNotMatch(line, /s3cret-pw/);
  });

  test('a PostgreSQL server that accepts connections but never answers fails start-up within seconds', async () => {
    // What a frozen server looks like from outside: the kernel accepts, nothing ever replies.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    silent.listen(0, '127.0.0.1');
    await new Promise((resolve) => silent.once('listening', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const line = await assertRefusal({ ...withPhone, DATABASE_URL: `postgres://ct@127.0.0.1:${port}/calls` });
      assert.match(line, /cannot start with PostgreSQL .*: the server did not answer within \d+ s/);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  test('a PostgreSQL database that does not exist is named by the server', { skip: postgresSkipReason }, async () => {
    const database = await createTestDatabase('startup');
    await database.drop();
    const line = await assertRefusal({ ...withPhone, DATABASE_URL: database.url });
    assert.match(line, /database "ct_startup_\w+" does not exist/);
  });

  test('a second instance on a SPOOL_PATH another one uses refuses to start; after a kill -9 of the first, the next start takes it', async () => {
    // Two instances sharing a spool rename and delete each other's files while replaying: calls are lost.
    const spoolPath = join(dir, 'shared-spool.ndjson');
    const env = { ...withPhone, DATABASE_URL: 'memory:', ACCESS_LOG: 'off', SPOOL_PATH: spoolPath };
    const first = await startServerProcess(await freePort(), env, dir);
    try {
      const line = await assertRefusal({ ...env, PORT: String(await freePort()) });
      assert.match(line, /SPOOL_PATH .*shared-spool\.ndjson is in use by another running call-tracker: give every instance its own SPOOL_PATH/);
    } finally {
      await first.stop('SIGKILL');
    }
    // The crashed process cannot release its lock; the kernel has closed it, so it is no obstacle.
    const next = await startServerProcess(await freePort(), env, dir);
    const exit = await next.stop('SIGTERM');
    assert.equal(exit.code, 0, exit.stderr);
    assert.equal(existsSync(`${spoolPath}.lock`), false, 'a stopped server leaves no lock behind');
  });
});
