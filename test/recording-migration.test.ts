// Upgrading a database from before recordings (SQLite 17, PostgreSQL 14): calls and numbers are
// kept, routes saved before have recording, voicemail and transcription off, and the media table
// takes jobs. Upgrading one from before the recording figures (SQLite 32, PostgreSQL 29): the
// recordings kept so far mark their calls, and the reports count them.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { buildCampaignReport } from '../src/domain/reports.js';
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

/** Brings a new SQLite file to the schema it had before `version`. */
function migrateSqliteBefore(db: Database.Database, version: number): void {
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  for (const migration of sqliteMigrations.filter((m) => m.version < version)) {
    db.exec(migration.sql);
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(migration.version, migration.name, Date.now());
  }
}

/** Brings a new PostgreSQL database to the schema it had before `version`. */
async function migratePostgresBefore(client: pg.Client, version: number): Promise<void> {
  await client.query(`CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  for (const migration of postgresMigrations.filter((m) => m.version < version)) {
    await client.query(migration.sql);
    await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
  }
}

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
  migrateSqliteBefore(db, 17);
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
    await migratePostgresBefore(client, 14);
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

/** Calls and the media kept of them before the figures: a recorded call, a voicemail, a transcript only. */
const FIGURE_CALLS = [['c-rec', 'answered', 'call'], ['c-vm', 'missed', 'voicemail'], ['c-text', 'answered', 'transcript'], ['c-none', 'missed', null]] as const;

async function assertFiguresCounted(store: CallStore): Promise<void> {
  const range = { since: new Date('2026-11-01T00:00:00Z'), until: new Date('2026-11-04T00:00:00Z') };
  const report = await buildCampaignReport(store.reports, range, { qualifiedCallSeconds: 60, groupBy: 'campaign', timezone: 'UTC' });
  assert.deepEqual([report.totals.calls, report.totals.recordedCalls, report.totals.voicemails], [4, 1, 1]);
}

test('a SQLite file from before the recording figures counts the recordings it kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ct-recording-figures-migration-'));
  const path = join(dir, 'calls.db');
  const db = new Database(path);
  migrateSqliteBefore(db, 32);
  FIGURE_CALLS.forEach(([uuid, outcome, kind], hour) => {
    db.prepare(`INSERT INTO calls (uuid, conversation_uuid, tracking_number, caller, campaign, forward_to, started_at, outcome)
      VALUES (?, ?, '442079460001', NULL, 'Radio', '447700900000', ?, ?)`).run(uuid, `CON-${uuid}`, Date.UTC(2026, 10, 2, hour), outcome);
    if (kind === null) return;
    db.prepare(`INSERT INTO media (id, kind, conversation_uuid, url, received_at, expires_at, status, attempts, next_attempt_at)
      VALUES (?, ?, ?, 'https://api.nexmo.com/v1/files/x', 0, 0, 'stored', 1, 0)`).run(`m-${uuid}`, kind, `CON-${uuid}`);
  });
  db.close();
  const store = openSqliteStore(path);
  try {
    await assertFiguresCounted(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a PostgreSQL database from before the recording figures counts the recordings it kept', { skip: postgresSkipReason }, async () => {
  const database = await createTestDatabase('recording_figures_migration');
  const client = new pg.Client({ connectionString: database.url });
  try {
    await client.connect();
    await migratePostgresBefore(client, 29);
    for (const [hour, [uuid, outcome, kind]] of FIGURE_CALLS.entries()) {
      await client.query(`INSERT INTO calls (uuid, conversation_uuid, tracking_number, caller, campaign, forward_to, started_at, outcome)
        VALUES ($1, $2, '442079460001', NULL, 'Radio', '447700900000', $3, $4)`, [uuid, `CON-${uuid}`, new Date(Date.UTC(2026, 10, 2, hour)), outcome]);
      if (kind === null) continue;
      await client.query(`INSERT INTO media (id, kind, conversation_uuid, url, received_at, expires_at, status, attempts, next_attempt_at)
        VALUES ($1, $2, $3, 'https://api.nexmo.com/v1/files/x', now(), now(), 'stored', 1, now())`, [`m-${uuid}`, kind, `CON-${uuid}`]);
    }
    await client.end();
    const store = await openPostgresStore(database.url);
    try {
      await assertFiguresCounted(store);
    } finally {
      await store.close();
    }
  } finally {
    await database.drop();
  }
});
