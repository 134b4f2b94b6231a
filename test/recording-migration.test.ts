// Upgrading a database from before recordings (SQLite 17, PostgreSQL 14): calls and numbers are
// kept, routes saved before have recording, voicemail and transcription off, and the media table
// takes jobs.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { resolveRoute, type RouteSettings } from '../src/domain/route.js';
import type { MediaJob } from '../src/domain/recordings.js';
import type { CallStore } from '../src/store/call-store.js';
import { postgresMigrations } from '../src/store/postgres/migrations.js';
import { openPostgresStore } from '../src/store/postgres/postgres-store.js';
import { sqliteMigrations } from '../src/store/sqlite/migrations.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { createTestDatabase, postgresSkipReason } from './helpers/postgres.js';

/** A route as saved before recording existed: none of its fields. */
const OLD_ROUTE = JSON.stringify({
  timeZone: null, hours: null, closedDates: [], destinations: null, strategy: 'in_order', closedAction: null,
  blockList: { numbers: [], prefixes: [], withheld: false },
});

const job: MediaJob = {
  id: 'rec-after-upgrade', kind: 'voicemail', conversationUuid: 'CON-old', recordingId: null, url: 'https://api.nexmo.com/v1/files/x',
  sizeBytes: 100, startedAt: null, endedAt: null, receivedAt: new Date('2026-11-02T10:00:00Z'), expiresAt: new Date('2026-12-02T10:00:00Z'),
};

async function assertUpgraded(store: CallStore): Promise<void> {
  assert.equal((await store.findCall('old-call'))?.outcome, 'missed');
  const [number] = await store.listTrackingNumbers();
  const route = resolveRoute(number!.route as RouteSettings, { timeZone: 'UTC', forwardTo: '447700900000' });
  assert.deepEqual([route.consentNotice, route.closedAction, route.transcriptionLanguage], [null, null, null]);
  await store.media.saveMediaJob(job);
  assert.deepEqual((await store.media.listMediaOf(['CON-old'])).map((m) => [m.id, m.kind, m.status]), [['rec-after-upgrade', 'voicemail', 'pending']]);
}

test('a SQLite file from before recordings upgrades with its calls and routes kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ct-recording-migration-'));
  const path = join(dir, 'calls.db');
  const db = new Database(path);
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  for (const migration of sqliteMigrations.filter((m) => m.version < 17)) {
    db.exec(migration.sql);
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(migration.version, migration.name, Date.now());
  }
  db.prepare('INSERT INTO tracking_numbers (number, campaign, forward_to, whisper, route) VALUES (?, ?, NULL, NULL, ?)').run('442079460001', 'Radio', OLD_ROUTE);
  db.prepare(`INSERT INTO calls (uuid, conversation_uuid, tracking_number, caller, campaign, forward_to, started_at, outcome)
    VALUES ('old-call', 'CON-old', '442079460001', NULL, 'Radio', '447700900000', ?, 'missed')`).run(Date.UTC(2026, 10, 2, 9));
  db.close();
  const store = openSqliteStore(path);
  try {
    await assertUpgraded(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a PostgreSQL database from before recordings upgrades with its calls and routes kept', { skip: postgresSkipReason }, async () => {
  const database = await createTestDatabase('recording_migration');
  const client = new pg.Client({ connectionString: database.url });
  try {
    await client.connect();
    await client.query(`CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    for (const migration of postgresMigrations.filter((m) => m.version < 14)) {
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
    }
    await client.query('INSERT INTO tracking_numbers (number, campaign, forward_to, whisper, route) VALUES ($1, $2, NULL, NULL, $3)', ['442079460001', 'Radio', OLD_ROUTE]);
    await client.query(`INSERT INTO calls (uuid, conversation_uuid, tracking_number, caller, campaign, forward_to, started_at, outcome)
      VALUES ('old-call', 'CON-old', '442079460001', NULL, 'Radio', '447700900000', '2026-11-02T09:00:00Z', 'missed')`);
    await client.end();
    const store = await openPostgresStore(database.url);
    try {
      await assertUpgraded(store);
    } finally {
      await store.close();
    }
  } finally {
    await database.drop();
  }
});
