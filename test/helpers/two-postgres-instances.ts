// Two store instances on one fresh PostgreSQL database, and a test connection of its own that
// holds a table's writes at a lock: how the PostgreSQL tests force both instances into the
// interleaving they are about.

import assert from 'node:assert/strict';
import pg from 'pg';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { createTestDatabase } from './postgres.js';

/** A table's writes held until release(); reads and row locks go on. */
export interface HeldWrites {
  /** Resolves once `count` statements of this database whose text is like `pattern` wait for the lock. */
  waitForWaiting(pattern: string, count: number): Promise<void>;
  release(): Promise<void>;
}

export interface TwoInstances {
  first: PostgresStore;
  second: PostgresStore;
  holdWrites(table: string): Promise<HeldWrites>;
  /** The rows `select` finds, locked FOR UPDATE until release(): writes to them and their row locks wait. */
  holdRows(select: string): Promise<HeldWrites>;
  /** A statement on the test's own connection (between holds, or beside one). */
  sql<Row extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<Row[]>;
}

/** Everything it opens is closed, and the database dropped, by `cleanups` (run them in reverse). */
export async function twoPostgresInstances(label: string, cleanups: (() => Promise<void>)[]): Promise<TwoInstances> {
  const database = await createTestDatabase(label);
  cleanups.push(database.drop);
  const [first, second] = [await openPostgresStore(database.url), await openPostgresStore(database.url)];
  cleanups.push(() => first.close(), () => second.close());
  const blocker = new pg.Client({ connectionString: database.url });
  await blocker.connect();
  cleanups.push(() => blocker.end());

  async function waitForWaiting(pattern: string, count: number): Promise<void> {
    // Well within the store's 5 s query timeout, which the held statements are counting down.
    for (let i = 0; i < 200; i++) {
      // Inside a transaction the statistics views keep the first snapshot taken: drop it.
      await blocker.query('SELECT pg_stat_clear_snapshot()');
      const { rows } = await blocker.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1`,
        [pattern],
      );
      if (rows[0]!.n >= count) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.fail(`fewer than ${count} statements like ${pattern} ever waited for a lock`);
  }

  async function holdWrites(table: string): Promise<HeldWrites> {
    await blocker.query('BEGIN');
    await blocker.query(`LOCK TABLE ${table} IN SHARE ROW EXCLUSIVE MODE`);
    return { waitForWaiting, release: async () => void (await blocker.query('COMMIT')) };
  }

  async function holdRows(select: string): Promise<HeldWrites> {
    await blocker.query('BEGIN');
    await blocker.query(`${select} FOR UPDATE`);
    return { waitForWaiting, release: async () => void (await blocker.query('COMMIT')) };
  }

  const sql = async <Row extends pg.QueryResultRow>(text: string, values?: unknown[]) => (await blocker.query<Row>(text, values)).rows;
  return { first, second, holdWrites, holdRows, sql };
}
