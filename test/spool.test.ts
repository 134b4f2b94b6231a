import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, appendFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { CallEvent, InboundCall } from '../src/domain/calls.js';
import { MemoryLogger } from './helpers/memory-logger.js';
import { CallRecorder } from '../src/durability/call-recorder.js';
import { Spool, SpoolFullError, SpoolReadError, type SpooledRecord } from '../src/durability/spool.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { assertValidNcco } from './helpers/ncco-schema.js';
import { startTestService } from './helpers/service.js';

/** Room enough for every test here but the one about a full spool. */
const SPOOL_MAX_BYTES = 1_048_576;

const dir = mkdtempSync(join(tmpdir(), 'call-tracker-spool-'));
let files = 0;
const freshPath = () => join(dir, `spool-${++files}.ndjson`);

function call(n: number): SpooledRecord {
  const inbound: InboundCall = {
    uuid: `spooled-${n}`, conversationUuid: `CON-${n}`, trackingNumber: '447700900222', caller: '447700900111',
    campaign: 'Radio', forwardTo: '447700900000', startedAt: new Date(Date.UTC(2026, 10, 2, 9, n)),
  };
  return { kind: 'call', call: inbound };
}

function event(n: number): SpooledRecord {
  return {
    kind: 'event',
    event: { legUuid: `spooled-${n}`, conversationUuid: `CON-${n}`, status: 'completed', occurredAt: new Date(Date.UTC(2026, 10, 2, 10, n)), direction: 'inbound', durationSeconds: n },
  };
}

const uuidOf = (record: SpooledRecord) => (record.kind === 'call' ? record.call.uuid : record.kind === 'event' ? record.event.legUuid : record.job.id);

describe('the spool', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('hands records back in the order they were spooled, as the same domain values', async () => {
    const spool = await Spool.open(freshPath(), new MemoryLogger(), SPOOL_MAX_BYTES);
    // A blocked call, a call to a pool number (credited when replayed) and a forwarded leg's
    // destination are part of what must come back.
    const blocked: SpooledRecord = { kind: 'call', call: { ...(call(4) as { call: InboundCall }).call, uuid: 'spooled-blocked', blocked: true } };
    const pooled: SpooledRecord = { kind: 'call', call: { ...(call(5) as { call: InboundCall }).call, uuid: 'spooled-pooled', pooled: true } };
    const forwarded: SpooledRecord = { kind: 'event', event: { ...(event(3) as { event: CallEvent }).event, direction: 'outbound', to: '447700900001' } };
    const records = [call(1), event(1), event(2), call(2), call(3), blocked, pooled, forwarded];
    await Promise.all(records.map((record) => spool.append(record)));
    assert.equal(spool.depth, 8);
    const seen: SpooledRecord[] = [];
    assert.equal(await spool.replay(async (run) => void seen.push(...run)), 8);
    assert.deepEqual(seen, records);
    assert.equal(spool.depth, 0);
    assert.deepEqual(spool.status(), { depth: 0, oldestAgeSeconds: null, bytes: 0, full: false });
    await spool.close();
  });

  test('appends of one event-loop turn reach the file together, one line each', async () => {
    const path = freshPath();
    const spool = await Spool.open(path, new MemoryLogger(), SPOOL_MAX_BYTES);
    await Promise.all([1, 2, 3].map((n) => spool.append(call(n))));
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    assert.equal(lines.length, 3);
    assert.deepEqual(lines.map((line) => JSON.parse(line).call.uuid), ['spooled-1', 'spooled-2', 'spooled-3']);
    await spool.close();
  });

  test('a replay the store interrupts keeps what the store did not take, and a restart replays it', async () => {
    const path = freshPath();
    const spool = await Spool.open(path, new MemoryLogger(), SPOOL_MAX_BYTES);
    await Promise.all([call(1), call(2), event(1), call(3)].map((record) => spool.append(record)));
    const stored: string[] = [];
    await assert.rejects(spool.replay(async (run) => {
      if (run[0]?.kind === 'event') throw new Error('connection refused');
      stored.push(...run.map(uuidOf));
    }), /connection refused/);
    assert.deepEqual(stored, ['spooled-1', 'spooled-2']);
    assert.equal(spool.depth, 2);
    await spool.close();

    // The process dies here; the next one finds the file set aside for replay and starts over.
    const restarted = await Spool.open(path, new MemoryLogger(), SPOOL_MAX_BYTES);
    assert.ok(restarted.depth >= 2, 'nothing the store did not take is forgotten');
    const replayed: string[] = [];
    await restarted.replay(async (run) => void replayed.push(...run.map(uuidOf)));
    assert.deepEqual(replayed.slice(-2), ['spooled-1', 'spooled-3']);
    assert.equal(restarted.depth, 0);
    assert.equal(existsSync(`${path}.replaying`), false);
    await restarted.close();
  });

  test('records spooled while a replay runs are replayed after it, in order', async () => {
    const spool = await Spool.open(freshPath(), new MemoryLogger(), SPOOL_MAX_BYTES);
    await spool.append(call(1));
    const replayed: string[] = [];
    let appendedDuringReplay = false;
    await spool.replay(async (run) => {
      replayed.push(...run.map(uuidOf));
      if (!appendedDuringReplay) {
        appendedDuringReplay = true;
        await Promise.all([spool.append(call(2)), spool.append(call(3))]);
      }
    });
    assert.deepEqual(replayed, ['spooled-1', 'spooled-2', 'spooled-3']);
    assert.equal(spool.depth, 0);
    await spool.close();
  });

  test('a line cut short by a crash is skipped with one warning; the rest, and records appended after it, are replayed', async () => {
    const path = freshPath();
    const first = await Spool.open(path, new MemoryLogger(), SPOOL_MAX_BYTES);
    await first.append(call(1));
    await first.close();
    appendFileSync(path, '{"kind":"call","spooledAt":1,"call":{"uuid":"half');
    const logger = new MemoryLogger();
    const spool = await Spool.open(path, logger, SPOOL_MAX_BYTES);
    assert.equal(spool.depth, 2);
    // Starts on a line of its own, not glued to the half line.
    await spool.append(call(2));
    const replayed: string[] = [];
    await spool.replay(async (run) => void replayed.push(...run.map(uuidOf)));
    assert.deepEqual(replayed, ['spooled-1', 'spooled-2']);
    assert.equal(spool.depth, 0);
    assert.equal(logger.lines.filter((line) => line.level === 'warn' && /unreadable/.test(line.message)).length, 1);
    await spool.close();
  });

  test('a full spool refuses records, logs it once, and has room again once replayed', async () => {
    const logger = new MemoryLogger();
    const lineBytes = Buffer.byteLength(`${JSON.stringify({ ...call(1), spooledAt: Date.now() })}\n`);
    const spool = await Spool.open(freshPath(), logger, lineBytes * 3 + 10);
    await Promise.all([1, 2, 3].map((n) => spool.append(call(n))));
    await assert.rejects(spool.append(call(4)), SpoolFullError);
    await assert.rejects(spool.append(call(5)), SpoolFullError);
    assert.equal(spool.depth, 3);
    assert.equal(spool.status().full, true);
    assert.ok(spool.status().bytes <= spool.maxBytes);
    const full = logger.lines.filter((line) => /spool is full/.test(line.message));
    assert.equal(full.length, 1, 'one loud line, not one per record');
    assert.equal(full[0]?.level, 'error');

    const replayed: string[] = [];
    await spool.replay(async (run) => void replayed.push(...run.map(uuidOf)));
    assert.deepEqual(replayed, ['spooled-1', 'spooled-2', 'spooled-3']);
    assert.deepEqual(spool.status(), { depth: 0, oldestAgeSeconds: null, bytes: 0, full: false });
    assert.ok(logger.lines.some((line) => /room again/.test(line.message)));
    await spool.append(call(6));
    await spool.close();
  });

  test('with the spool full, new calls go to the store first rather than being lost', async () => {
    const logger = new MemoryLogger();
    const lineBytes = Buffer.byteLength(`${JSON.stringify({ ...call(1), spooledAt: Date.now() })}\n`);
    const spool = await Spool.open(freshPath(), logger, lineBytes * 2 + 10);
    await Promise.all([call(1), call(2)].map((record) => spool.append(record)));
    await assert.rejects(spool.append(call(3)), SpoolFullError);
    const store = new MemoryStore(logger);
    const recorder = new CallRecorder(store, spool, logger, 250);
    const inbound = (call(4) as Extract<SpooledRecord, { kind: 'call' }>).call;
    assert.equal(await recorder.recordCall(inbound), 'stored');
    assert.ok(await store.findCall('spooled-4'));
    assert.equal(spool.depth, 2, 'the spooled calls still wait their turn');
    await recorder.stop();
    assert.ok(await store.findCall('spooled-1'));
    assert.equal(spool.depth, 0);
  });

  test('a replay that cannot read its file keeps the depth, and the next rotation never renames over that file', async () => {
    const path = freshPath();
    const replayingPath = `${path}.replaying`;
    const spool = await Spool.open(path, new MemoryLogger(), SPOOL_MAX_BYTES);
    await Promise.all([call(1), call(2)].map((record) => spool.append(record)));
    // The store refuses: the file is now set aside for replay, unread.
    await assert.rejects(spool.replay(async () => {
      throw new Error('connection refused');
    }), /connection refused/);
    assert.ok(existsSync(replayingPath));

    // The set-aside file becomes unreadable (here: a folder takes its name).
    const setAside = `${path}.kept`;
    renameSync(replayingPath, setAside);
    mkdirSync(replayingPath);
    await assert.rejects(spool.replay(async () => {}), SpoolReadError);
    assert.equal(spool.depth, 2, 'what could not be read is still waiting');
    await spool.append(call(3));
    await assert.rejects(spool.replay(async () => {}), SpoolReadError);
    assert.equal(spool.depth, 3);
    assert.ok(statSync(replayingPath).isDirectory(), 'nothing was renamed over the unread file');
    assert.ok(existsSync(path), 'the new record waits in the active file');

    rmSync(replayingPath, { recursive: true });
    renameSync(setAside, replayingPath);
    const replayed: string[] = [];
    await spool.replay(async (run) => void replayed.push(...run.map(uuidOf)));
    assert.deepEqual(replayed, ['spooled-1', 'spooled-2', 'spooled-3']);
    assert.equal(spool.depth, 0);
    await spool.close();
  });

  test('a replay the store interrupts resumes after the last run it took, not from the start', async () => {
    const spool = await Spool.open(freshPath(), new MemoryLogger(), SPOOL_MAX_BYTES);
    await Promise.all([call(1), event(1), call(2), event(2)].map((record) => spool.append(record)));
    const stored: string[] = [];
    let refusals = 1;
    const write = async (run: SpooledRecord[]) => {
      if (run[0]?.kind === 'call' && run.some((record) => uuidOf(record) === 'spooled-2') && refusals-- > 0) throw new Error('timeout');
      stored.push(...run.map((record) => `${record.kind}:${uuidOf(record)}`));
    };
    await assert.rejects(spool.replay(write), /timeout/);
    assert.equal(spool.depth, 2);
    await spool.replay(write);
    assert.deepEqual(stored, ['call:spooled-1', 'event:spooled-1', 'call:spooled-2', 'event:spooled-2']);
    await spool.close();
  });

  test('reports the age of its oldest record while it holds any', async () => {
    const spool = await Spool.open(freshPath(), new MemoryLogger(), SPOOL_MAX_BYTES);
    await spool.append(call(1));
    const status = spool.status(Date.now() + 90_000);
    assert.equal(status.depth, 1);
    assert.ok(status.oldestAgeSeconds !== null && status.oldestAgeSeconds >= 89, `age ${status.oldestAgeSeconds}`);
    await spool.close();
  });

  test('opening a spool that does not exist yet creates no file', async () => {
    const path = join(dir, 'not-yet', 'spool.ndjson');
    const spool = await Spool.open(path, new MemoryLogger(), SPOOL_MAX_BYTES);
    assert.equal(spool.depth, 0);
    await spool.close();
    assert.equal(existsSync(path), false);
  });

  test('a service started on a spool left by a previous run writes its records to the store, then empties it', { timeout: 20_000 }, async () => {
    const path = freshPath();
    const left = await Spool.open(path, new MemoryLogger(), SPOOL_MAX_BYTES);
    await Promise.all([call(41), event(41), call(42)].map((record) => left.append(record)));
    await left.close();

    const service = await startTestService({ SPOOL_PATH: path });
    try {
      while ((await (await fetch(`${service.url}/healthz`)).json()).spool.depth > 0) await new Promise((resolve) => setTimeout(resolve, 50));
      const replayed = await service.store.findCall('spooled-41');
      assert.equal(replayed?.caller, '447700900111');
      assert.equal(replayed?.inboundStatus, 'completed');
      assert.ok(await service.store.findCall('spooled-42'));
      assert.ok(service.logger.lines.some((line) => /previous run/.test(line.message)));
    } finally {
      await service.stop();
    }
    assert.equal(existsSync(`${path}.replaying`), false);
  });
});

describe('a service whose spool is full', () => {
  const dir = mkdtempSync(join(tmpdir(), 'call-tracker-spool-full-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('connects every caller, reports degraded with the spool full, logs what is lost without numbers, and recovers', { timeout: 30_000 }, async (t) => {
    const databasePath = join(dir, 'calls.db');
    const service = await startTestService({ DATABASE_URL: `sqlite:${databasePath}`, SPOOL_PATH: join(dir, 'spool.ndjson'), SPOOL_MAX_BYTES: '4096' });
    // Stopped after the test whether it passes or not: a failed assertion must not leave it running.
    t.after(() => service.stop());
    // Another connection holds the write lock: the store refuses, and the calls go to the spool.
    const other = new Database(databasePath);
    other.exec('BEGIN IMMEDIATE');
    const caller = '447700900123';
    try {
      for (let n = 0; n < 30; n++) {
        const query = new URLSearchParams({ to: '442079460001', from: caller, uuid: `full-${process.pid}-${n}`, conversation_uuid: `CON-full-${n}` });
        const res = await fetch(`${service.url}/track-call?${query}`);
        assert.equal(res.status, 200);
        const ncco = await res.json();
        assertValidNcco(ncco);
        assert.equal(ncco[0].action, 'connect');
      }
      const res = await fetch(`${service.url}/healthz`);
      const body = await res.json();
      assert.equal(res.status, 503);
      assert.equal(body.status, 'degraded');
      assert.equal(body.spool.full, true);
      assert.ok(body.spool.bytes <= 4096);
      assert.equal(service.logger.lines.filter((line) => /spool is full/.test(line.message)).length, 1);
      const lost = service.logger.lines.filter((line) => /call lost/.test(line.message));
      assert.ok(lost.length > 0 && lost.length < 30, `${lost.length} calls lost`);
      const spooled = new Set(service.logger.lines.filter((line) => /call spooled/.test(line.message)).map((line) => line.details?.uuid));
      assert.ok(spooled.size > 0);
      assert.deepEqual(lost.filter((line) => spooled.has(line.details?.uuid)), [], 'a lost call is never also logged as spooled');
      assert.ok(!JSON.stringify(service.logger.lines).includes(caller), 'no caller number in the log');
    } finally {
      other.exec('COMMIT');
      other.close();
    }
    // Healthy once nothing waits (depth 0); the replayed file's bytes go a moment later, when it is removed.
    const empty = { depth: 0, oldestAgeSeconds: null, bytes: 0, full: false };
    for (;;) {
      const res = await fetch(`${service.url}/healthz`);
      const { spool } = await res.json();
      if (res.status === 200 && isDeepStrictEqual(spool, empty)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
});
