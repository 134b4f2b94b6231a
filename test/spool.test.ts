import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, appendFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { CallEvent, InboundCall } from '../src/domain/calls.js';
import { MemoryLogger } from './helpers/memory-logger.js';
import { Spool, type SpooledRecord } from '../src/durability/spool.js';
import { startTestService } from './helpers/service.js';

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

const uuidOf = (record: SpooledRecord) => (record.kind === 'call' ? record.call.uuid : record.event.legUuid);

describe('the spool', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('hands records back in the order they were spooled, as the same domain values', async () => {
    const spool = await Spool.open(freshPath(), new MemoryLogger());
    // A blocked call and a forwarded leg's destination are part of what must come back.
    const blocked: SpooledRecord = { kind: 'call', call: { ...(call(4) as { call: InboundCall }).call, uuid: 'spooled-blocked', blocked: true } };
    const forwarded: SpooledRecord = { kind: 'event', event: { ...(event(3) as { event: CallEvent }).event, direction: 'outbound', to: '447700900001' } };
    const records = [call(1), event(1), event(2), call(2), call(3), blocked, forwarded];
    await Promise.all(records.map((record) => spool.append(record)));
    assert.equal(spool.depth, 7);
    const seen: SpooledRecord[] = [];
    assert.equal(await spool.replay(async (run) => void seen.push(...run)), 7);
    assert.deepEqual(seen, records);
    assert.equal(spool.depth, 0);
    assert.deepEqual(spool.status(), { depth: 0, oldestAgeSeconds: null });
    await spool.close();
  });

  test('appends of one event-loop turn reach the file together, one line each', async () => {
    const path = freshPath();
    const spool = await Spool.open(path, new MemoryLogger());
    await Promise.all([1, 2, 3].map((n) => spool.append(call(n))));
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    assert.equal(lines.length, 3);
    assert.deepEqual(lines.map((line) => JSON.parse(line).call.uuid), ['spooled-1', 'spooled-2', 'spooled-3']);
    await spool.close();
  });

  test('a replay the store interrupts keeps what the store did not take, and a restart replays it', async () => {
    const path = freshPath();
    const spool = await Spool.open(path, new MemoryLogger());
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
    const restarted = await Spool.open(path, new MemoryLogger());
    assert.ok(restarted.depth >= 2, 'nothing the store did not take is forgotten');
    const replayed: string[] = [];
    await restarted.replay(async (run) => void replayed.push(...run.map(uuidOf)));
    assert.deepEqual(replayed.slice(-2), ['spooled-1', 'spooled-3']);
    assert.equal(restarted.depth, 0);
    assert.equal(existsSync(`${path}.replaying`), false);
    await restarted.close();
  });

  test('records spooled while a replay runs are replayed after it, in order', async () => {
    const spool = await Spool.open(freshPath(), new MemoryLogger());
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

  test('a line cut short by a crash is skipped with a warning, and the rest is replayed', async () => {
    const path = freshPath();
    const first = await Spool.open(path, new MemoryLogger());
    await first.append(call(1));
    await first.close();
    appendFileSync(path, '{"kind":"call","spooledAt":1,"call":{"uuid":"half');
    const logger = new MemoryLogger();
    const spool = await Spool.open(path, logger);
    const replayed: string[] = [];
    await spool.replay(async (run) => void replayed.push(...run.map(uuidOf)));
    assert.deepEqual(replayed, ['spooled-1']);
    assert.ok(logger.lines.some((line) => line.level === 'warn' && /unreadable/.test(line.message)));
    await spool.close();
  });

  test('reports the age of its oldest record while it holds any', async () => {
    const spool = await Spool.open(freshPath(), new MemoryLogger());
    await spool.append(call(1));
    const status = spool.status(Date.now() + 90_000);
    assert.equal(status.depth, 1);
    assert.ok(status.oldestAgeSeconds !== null && status.oldestAgeSeconds >= 89, `age ${status.oldestAgeSeconds}`);
    await spool.close();
  });

  test('opening a spool that does not exist yet creates no file', async () => {
    const path = join(dir, 'not-yet', 'spool.ndjson');
    const spool = await Spool.open(path, new MemoryLogger());
    assert.equal(spool.depth, 0);
    await spool.close();
    assert.equal(existsSync(path), false);
  });

  test('a service started on a spool left by a previous run writes its records to the store, then empties it', { timeout: 20_000 }, async () => {
    const path = freshPath();
    const left = await Spool.open(path, new MemoryLogger());
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
