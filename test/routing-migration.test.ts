// Upgrading a SQLite file from before routing (migrations 12-13): numbers, calls and events are
// kept; numbers get no route (plain forwarding, as before); an answered call was answered at its
// forward_to, the only destination there was.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { sqliteMigrations } from '../src/store/sqlite/migrations.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';

test('a SQLite file from before routing upgrades with its numbers, calls and events kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ct-routing-migration-'));
  const path = join(dir, 'calls.db');
  const db = new Database(path);
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  for (const migration of sqliteMigrations.filter((m) => m.version < 12)) {
    db.exec(migration.sql);
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(migration.version, migration.name, Date.now());
  }
  db.prepare("INSERT INTO tracking_numbers VALUES ('442079460001', 'Radio', '447700900001', NULL)").run();
  const insertCall = db.prepare(`INSERT INTO calls (uuid, conversation_uuid, tracking_number, caller, campaign, forward_to, started_at, outcome, duration_seconds)
    VALUES (?, ?, '442079460001', '447700900111', 'Radio', '447700900001', ?, ?, ?)`);
  insertCall.run('old-answered', 'CON-old-answered', Date.UTC(2026, 5, 1, 10), 'answered', 60);
  insertCall.run('old-missed', 'CON-old-missed', Date.UTC(2026, 5, 1, 11), 'missed', 0);
  db.prepare(`INSERT INTO call_events (leg_uuid, status, occurred_at, conversation_uuid, direction, duration_seconds)
    VALUES ('old-missed', 'completed', ?, 'CON-old-missed', 'inbound', 5)`).run(Date.UTC(2026, 5, 1, 11, 0, 5));
  db.close();

  const store = openSqliteStore(path);
  try {
    assert.deepEqual(await store.listTrackingNumbers(), [{ number: '442079460001', campaign: 'Radio', forwardTo: '447700900001', whisper: null, route: null }]);
    assert.deepEqual(await store.getBlockList(), { numbers: [], prefixes: [], withheld: false });
    const answered = await store.findCall('old-answered');
    assert.deepEqual([answered?.outcome, answered?.answeredBy, answered?.attempts], ['answered', '447700900001', []]);
    const missed = await store.findCall('old-missed');
    assert.deepEqual([missed?.outcome, missed?.answeredBy, missed?.durationSeconds], ['missed', null, 0]);
    // An event of the old call after the upgrade still folds in.
    await store.recordEvents([{
      legUuid: 'old-missed', conversationUuid: 'CON-old-missed', status: 'completed', occurredAt: new Date(Date.UTC(2026, 5, 1, 11, 0, 6)),
      direction: 'inbound', durationSeconds: 6,
    }]);
    assert.equal((await store.findCall('old-missed'))?.endedAt?.toISOString(), '2026-06-01T11:00:06.000Z');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
