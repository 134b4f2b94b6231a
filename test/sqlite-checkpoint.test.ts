// The SQLite store folds its write-ahead log into the database file from a thread of its own,
// so that the event loop never waits for a checkpoint: calls reach the database file soon after
// they are committed, long before SQLite's own checkpoint (kept as a backstop) would run.

import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import type { InboundCall } from '../src/domain/calls.js';
import { BACKSTOP_CHECKPOINT_PAGES } from '../src/store/sqlite/checkpointer.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'ct-checkpoint-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const calls = (from: number, count: number): InboundCall[] =>
  Array.from({ length: count }, (_, i) => ({
    uuid: `ckpt-${from + i}`,
    conversationUuid: `CON-ckpt-${from + i}`,
    trackingNumber: '442079460001',
    caller: `4477009${String((from + i) % 700).padStart(5, '0')}`,
    campaign: 'Radio',
    forwardTo: '447700900000',
    startedAt: new Date(Date.UTC(2026, 10, 2, 9, 30) + (from + i) * 1000),
  }));

test('committed calls reach the database file without a checkpoint on the store\'s own connection', async () => {
  const path = join(dir, 'calls.db');
  const store = openSqliteStore(path);
  try {
    for (let batch = 0; batch < 20; batch++) await store.recordCalls(calls(batch * 50, 50));
    const walPages = statSync(`${path}-wal`).size / 4096;
    // Well short of the store's own automatic checkpoint: only the thread can have moved them.
    assert.ok(walPages < BACKSTOP_CHECKPOINT_PAGES / 2, `the WAL holds ${walPages} pages`);

    let inFile = 0;
    for (let i = 0; i < 100 && inFile < 1000; i++) {
      await sleep(50);
      // A copy of the database file alone, without its WAL, holds only what was checkpointed.
      const copy = join(dir, `file-only-${i}.db`);
      copyFileSync(path, copy);
      const fileOnly = new Database(copy);
      try {
        const hasCalls = fileOnly.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'calls'").pluck().get() === 1;
        inFile = hasCalls ? (fileOnly.prepare('SELECT count(*) FROM calls').pluck().get() as number) : 0;
      } catch (error) {
        // Copied while the thread was writing pages into the file: a torn copy, so look again.
        if ((error as { code?: string }).code !== 'SQLITE_CORRUPT') throw error;
      } finally {
        fileOnly.close();
      }
    }
    assert.equal(inFile, 1000, 'the calls did not reach the database file');
  } finally {
    await store.close();
  }
});

test('closing a store ends its checkpoint thread', async () => {
  const path = join(dir, 'closing.db');
  const store = openSqliteStore(path);
  await store.recordCalls(calls(0, 10));
  await store.close();
  await store.close();
  // Writes from a connection that never checkpoints itself stay in the WAL unless a thread is
  // still checkpointing the file.
  const writer = new Database(path);
  try {
    writer.pragma('wal_autocheckpoint = 0');
    writer.exec('CREATE TABLE scratch (filler TEXT)');
    const insert = writer.prepare('INSERT INTO scratch VALUES (?)');
    for (let i = 0; i < 200; i++) insert.run('x'.repeat(1000));
    const before = statSync(path).size;
    await sleep(500);
    assert.equal(statSync(path).size, before, 'something still checkpoints the file');
  } finally {
    writer.close();
  }
});
