// Upgrading a database from before calls kept their attribution (SQLite 26, PostgreSQL 23): the
// calls already stored are credited to the visits whose holds covered them, by the same rule as
// new calls, and the report buckets rebuilt after the upgrade count them by website source.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { buildCampaignReport } from '../src/domain/reports.js';
import type { CallStore } from '../src/store/call-store.js';
import { postgresMigrations } from '../src/store/postgres/migrations.js';
import { openPostgresStore } from '../src/store/postgres/postgres-store.js';
import { sqliteMigrations } from '../src/store/sqlite/migrations.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { createTestDatabase, postgresSkipReason } from './helpers/postgres.js';

const T0 = Date.UTC(2026, 10, 2, 9, 0);
const MINUTE = 60_000;
const POOL_NUMBER = '442079460001';

/** Runs SQL written with ? placeholders and times as epoch milliseconds. */
type Run = (sql: string, values: unknown[]) => Promise<void>;

/** A pool, two visits whose holds overlap (the second reused the number), and four calls. */
async function fillOldDatabase(run: Run, time: (ms: number) => unknown, bool: (value: boolean) => unknown): Promise<void> {
  await run("INSERT INTO dni_pools (id, campaign, replaces_number, hold_seconds) VALUES ('website', 'Web', '442079460000', 1800)", []);
  await run("INSERT INTO dni_pool_numbers (number, pool_id) VALUES (?, 'website')", [POOL_NUMBER]);
  const visit = (id: string, source: string, medium: string, gclid: string | null) => run(
    'INSERT INTO dni_visits (id, started_at, source, medium, gclid) VALUES (?, ?, ?, ?, ?)', [id, time(T0), source, medium, gclid]);
  await visit('visit-ad', 'google', 'cpc', 'Cj0-click');
  await visit('visit-mail', 'newsletter', 'email', null);
  const hold = (id: string, visitId: string, from: number, until: number, reused: boolean) => run(
    "INSERT INTO dni_holds (id, visit_id, pool_id, number, held_from, held_until, reused) VALUES (?, ?, 'website', ?, ?, ?, ?)",
    [id, visitId, POOL_NUMBER, time(from), time(until), bool(reused)]);
  await hold('hold-1', 'visit-ad', T0, T0 + 30 * MINUTE, false);
  await hold('hold-2', 'visit-mail', T0 + 20 * MINUTE, T0 + 50 * MINUTE, true);
  const call = (uuid: string, trackingNumber: string, atMs: number) => run(`
    INSERT INTO calls (uuid, conversation_uuid, tracking_number, caller, campaign, forward_to, started_at, outcome, duration_seconds)
    VALUES (?, ?, ?, '447700900111', 'Web', '447700900000', ?, 'answered', 90)`, [uuid, `CON-${uuid}`, trackingNumber, time(atMs)]);
  await call('call-ad', POOL_NUMBER, T0 + 10 * MINUTE);
  await call('call-overlap', POOL_NUMBER, T0 + 25 * MINUTE);
  await call('call-no-visit', POOL_NUMBER, T0 + 60 * MINUTE);
  await call('call-radio', '442079469999', T0 + 10 * MINUTE);
}

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const BACKENDS: { name: string; skip?: string; upgrade(): Promise<CallStore> }[] = [
  {
    name: 'SQLite',
    upgrade: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ct-attribution-upgrade-'));
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      const path = join(dir, 'calls.db');
      const db = new Database(path);
      db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
      for (const m of sqliteMigrations.filter((m) => m.version < 26)) {
        db.exec(m.sql);
        db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
      }
      await fillOldDatabase(async (sql, values) => void db.prepare(sql).run(...values), (ms) => ms, (value) => (value ? 1 : 0));
      db.close();
      const store = openSqliteStore(path);
      cleanups.push(() => store.close());
      return store;
    },
  },
  {
    name: 'PostgreSQL',
    skip: postgresSkipReason,
    upgrade: async () => {
      const database = await createTestDatabase('attribution_upgrade');
      cleanups.push(database.drop);
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      await client.query('CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
      for (const m of postgresMigrations.filter((m) => m.version < 23)) {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      }
      let n = 0;
      await fillOldDatabase(
        async (sql, values) => void (await client.query(sql.replace(/\?/g, () => `$${++n}`), values).finally(() => { n = 0; })),
        (ms) => new Date(ms), (value) => value,
      );
      await client.end();
      const store = await openPostgresStore(database.url);
      cleanups.push(() => store.close());
      return store;
    },
  },
];

for (const backend of BACKENDS) {
  describe(`upgrading a ${backend.name} database to calls that keep their attribution`, { skip: backend.skip }, () => {
    test('calls stored before are credited as new ones are, and the reports by source count them', async () => {
      const store = await backend.upgrade();
      const attributionOf = async (uuid: string) => (await store.findCall(uuid))?.attribution ?? null;
      assert.deepEqual(await attributionOf('call-ad'), {
        visitId: 'visit-ad', poolId: 'website', ambiguous: false, source: 'google', medium: 'cpc', campaign: null, term: null,
        content: null, gclid: 'Cj0-click', referrer: null, landingPage: null,
      });
      assert.deepEqual(
        await attributionOf('call-overlap'),
        { visitId: 'visit-mail', poolId: 'website', ambiguous: true, source: 'newsletter', medium: 'email', campaign: null, term: null,
          content: null, gclid: null, referrer: null, landingPage: null },
        'two holds covered it: the later one wins, ambiguous',
      );
      assert.equal(await attributionOf('call-no-visit'), null);
      assert.equal(await attributionOf('call-radio'), null);

      const report = await buildCampaignReport(store.reports, { since: new Date(T0), until: new Date(T0 + 24 * 60 * MINUTE) }, {
        qualifiedCallSeconds: 60, groupBy: 'source', timezone: 'UTC',
      });
      assert.deepEqual(report.rows.map((row) => [row.source, row.medium, row.calls, row.qualifiedCalls]), [
        [null, null, 2, 2], ['google', 'cpc', 1, 1], ['newsletter', 'email', 1, 1],
      ]);
    });
  });
}
