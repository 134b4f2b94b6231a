// README's "Running in production", as far as a test can follow it: the project is built once
// (`npm run build`, with the dev tools), then installed without devDependencies
// (`npm ci --omit=dev`) in a folder that holds only package.json, package-lock.json and dist/,
// and `npm start` serves the webhooks and the dashboard there; the README's backup command copies
// the database while it runs.

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, test } from 'node:test';
import { freePort } from './helpers/server-process.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ct-production-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Only what `npm run build` reads; node_modules is the checkout's own (its dev tools). */
function prepareBuildFolder(): string {
  const build = join(dir, 'build');
  mkdirSync(build);
  for (const file of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) copyFileSync(join(ROOT, file), join(build, file));
  cpSync(join(ROOT, 'src'), join(build, 'src'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(build, 'node_modules'), 'dir');
  return build;
}

test('a production install (npm ci --omit=dev) starts with npm start and answers', { timeout: 240_000 }, async () => {
  const build = prepareBuildFolder();
  await run('npm', ['run', 'build'], { cwd: build });

  // Under a dot-folder, as in ~/.local/…: files sent from inside the install must still be sent.
  const app = join(dir, '.apps', 'call-tracker');
  mkdirSync(app, { recursive: true });
  for (const file of ['package.json', 'package-lock.json']) copyFileSync(join(build, file), join(app, file));
  cpSync(join(build, 'dist'), join(app, 'dist'), { recursive: true });
  // Install scripts are skipped and better-sqlite3's native module is taken from this checkout's
  // install (same package version, same Node): compiling it again would take minutes, and the
  // checkout's own `npm ci` has just proved that it compiles.
  await run('npm', ['ci', '--omit=dev', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: app });
  const nativeModule = join('node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
  mkdirSync(join(app, nativeModule, '..'), { recursive: true });
  copyFileSync(join(ROOT, nativeModule), join(app, nativeModule));
  assert.ok(!existsSync(join(app, 'node_modules', 'typescript')), 'no devDependencies were installed');
  assert.ok(!existsSync(join(app, 'src')), 'nothing but dist/ is shipped');

  const port = await freePort();
  const child = spawn('npm', ['start'], {
    cwd: app,
    env: { PATH: process.env.PATH ?? '', HOME: dir, PORT: String(port), PROXY_TO_NUMBER: '14155550100', ACCESS_LOG: 'off' },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true, // its own process group: npm and the node it starts stop together
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', () => /dashboard: /.test(stderr) && resolve());
      void exited.then((code) => reject(new Error(`npm start exited (${code}):\n${stderr}`)));
    });
    const res = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(await res.text(), 'Hello Vonage');
    const token = readFileSync(join(app, 'data', 'admin-token'), 'utf8').trim();
    const headers = { authorization: `Bearer ${token}` };
    assert.equal((await fetch(`http://127.0.0.1:${port}/dashboard`, { headers })).status, 200);
    const script = await fetch(`http://127.0.0.1:${port}/dashboard/assets/dashboard.js`, { headers });
    assert.equal(script.status, 200, 'the dashboard assets are part of dist/');
    const chartJs = await fetch(`http://127.0.0.1:${port}/dashboard/assets/chart.umd.min.js`, { headers });
    assert.equal(chartJs.status, 200, 'Chart.js is sent from node_modules');
    const snippet = await fetch(`http://127.0.0.1:${port}/dni.js`);
    assert.equal(snippet.status, 200, 'the DNI snippet is part of dist/');
    assert.match(await snippet.text(), /dni/i);

    const call = new URLSearchParams({ to: '447700900001', from: '447700900111', uuid: 'prod-1', conversation_uuid: 'CON-prod-1' });
    assert.equal((await fetch(`http://127.0.0.1:${port}/track-call?${call}`)).status, 200);
    const backup = join(dir, 'backup.db');
    await run('sqlite3', [join(app, 'data', 'call-tracker.db'), `.backup '${backup}'`]);
    const { stdout } = await run('sqlite3', [backup, 'PRAGMA integrity_check; SELECT count(*) FROM calls;']);
    assert.deepEqual(stdout.trim().split('\n'), ['ok', '1'], 'the backup is a sound copy holding the call');
  } finally {
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
  }
});
