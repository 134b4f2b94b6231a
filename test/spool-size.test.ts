// A spool of hundreds of megabytes (a long outage under load) must neither stop the server from
// starting nor take memory in proportion: the server, a real process, starts on one, replays it
// line by line and drains it, and its peak memory stays near that of a server with an empty spool.

import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startServerProcess, type ServerProcess } from './helpers/server-process.js';
import { BUSINESS_PHONE } from './helpers/service.js';

const SPOOL_BYTES = 300 * 1_048_576;
/** One call line among this many event lines; the events repeat a few, which the store keeps once. */
const EVENTS_PER_CALL = 2000;
/** What a server may take beyond one with an empty spool: far below the spool's size. */
const MAX_EXTRA_PEAK_BYTES = 96 * 1_048_576;

const dir = mkdtempSync(join(tmpdir(), 'ct-spool-size-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a spool of about `bytes`, as a previous run would have left it; returns its line count. */
function writeSpool(path: string, bytes: number): { lines: number; calls: number } {
  const fd = openSync(path, 'w', 0o600);
  let written = 0;
  let lines = 0;
  let calls = 0;
  const spooledAt = Date.now() - 60_000;
  const eventLine = (n: number) => `${JSON.stringify({
    kind: 'event', spooledAt,
    event: { legUuid: `leg-${n % 4}`, conversationUuid: 'CON-outage', status: 'ringing', occurredAt: new Date(Date.UTC(2026, 10, 2, 9, 0, n % 4)).toISOString(), direction: 'outbound', durationSeconds: null },
  })}\n`;
  const events = Array.from({ length: EVENTS_PER_CALL }, (_, n) => eventLine(n)).join('');
  try {
    while (written < bytes) {
      calls += 1;
      const callLine = `${JSON.stringify({
        kind: 'call', spooledAt,
        call: { uuid: `spooled-${calls}`, conversationUuid: `CON-${calls}`, trackingNumber: '442079460001', caller: null, campaign: null, forwardTo: BUSINESS_PHONE, startedAt: new Date(Date.UTC(2026, 10, 2, 9, 0)).toISOString() },
      })}\n`;
      const chunk = callLine + events;
      writeSync(fd, chunk);
      written += Buffer.byteLength(chunk);
      lines += 1 + EVENTS_PER_CALL;
    }
  } finally {
    closeSync(fd);
  }
  return { lines, calls };
}

/** The process's peak resident memory, from Linux's /proc. */
async function peakRssBytes(server: ServerProcess): Promise<number> {
  const status = await readFile(`/proc/${server.child.pid}/status`, 'utf8');
  const kilobytes = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
  assert.ok(kilobytes, 'VmHWM in /proc/<pid>/status');
  return Number(kilobytes) * 1024;
}

async function startOn(spoolPath: string): Promise<ServerProcess> {
  return startServerProcess(await freePort(), {
    PROXY_TO_NUMBER: BUSINESS_PHONE, DATABASE_URL: 'memory:', ACCESS_LOG: 'off', SPOOL_PATH: spoolPath,
    SPOOL_MAX_BYTES: String(2 * SPOOL_BYTES),
  }, dir);
}

async function waitUntilDrained(server: ServerProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${server.url}/healthz`);
    const body = (await res.json()) as { spool: { depth: number } };
    if (res.status === 200 && body.spool.depth === 0) return;
    assert.ok(Date.now() < deadline, `still ${body.spool.depth} records in the spool`);
    await sleep(200);
  }
}

test('a server starts on a spool of hundreds of MB and drains it in constant memory', { timeout: 120_000, skip: process.platform !== 'linux' && 'reads /proc' }, async (t) => {
  const baseline = await startOn(join(dir, 'empty.ndjson'));
  await waitUntilDrained(baseline, 5000);
  const baselinePeak = await peakRssBytes(baseline);
  await baseline.stop('SIGTERM');

  const spoolPath = join(dir, 'big.ndjson');
  const { lines, calls } = writeSpool(spoolPath, SPOOL_BYTES);
  assert.ok(statSync(spoolPath).size >= SPOOL_BYTES);
  const server = await startOn(spoolPath);
  try {
    await waitUntilDrained(server, 100_000);
    const peak = await peakRssBytes(server);
    // The replay's log lines reach us through a pipe, which may lag behind /healthz on a busy machine.
    const replayed = () => [...server.stderr().matchAll(/spooled records written to the store \{"count":(\d+)/g)]
      .reduce((sum, m) => sum + Number(m[1]), 0);
    const logDeadline = Date.now() + 10_000;
    while (replayed() < lines && Date.now() < logDeadline) await sleep(100);
    assert.equal(replayed(), lines, 'every record was handed to the store');
    assert.match(server.stderr(), new RegExp(`"depth":${lines}\\b`), 'the start-up counted every record');
    assert.ok(peak - baselinePeak < MAX_EXTRA_PEAK_BYTES,
      `peak RSS ${(peak / 1_048_576).toFixed(0)} MB against ${(baselinePeak / 1_048_576).toFixed(0)} MB with an empty spool (spool ${(SPOOL_BYTES / 1_048_576).toFixed(0)} MB, ${calls} calls)`);
    t.diagnostic(`peak RSS ${(peak / 1_048_576).toFixed(0)} MB, with an empty spool ${(baselinePeak / 1_048_576).toFixed(0)} MB`);
  } finally {
    await server.stop('SIGTERM');
  }
});
