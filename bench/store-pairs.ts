// Two fresh stores of each backend, for benchmarks that alternate rounds between two set-ups of
// one store: SQLite files in a temporary folder, and PostgreSQL databases when TEST_DATABASE_URL
// names a server (e.g. under scripts/throwaway-postgres.sh). Everything is removed afterwards.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { CallStore } from '../src/store/call-store.js';
import { openPostgresStore } from '../src/store/postgres/postgres-store.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';

export type PairMeasure = (backend: 'SQLite' | 'PostgreSQL', a: CallStore, b: CallStore) => Promise<void>;

/** Runs `measure` on a pair of SQLite stores, then on a pair of PostgreSQL ones when there is a server. */
export async function withStorePairs(name: string, measure: PairMeasure): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `ct-${name}-`));
  try {
    const stores = [openSqliteStore(join(dir, 'a.db')), openSqliteStore(join(dir, 'b.db'))] as const;
    await measure('SQLite', ...stores);
    for (const store of stores) await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const url = process.env.TEST_DATABASE_URL;
  if (!url) return;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const names = ['a', 'b'].map((suffix) => `${name.replaceAll('-', '_')}_${suffix}_${process.pid}`);
  try {
    for (const database of names) await admin.query(`CREATE DATABASE ${database}`);
    const urlOf = (database: string) => Object.assign(new URL(url), { pathname: `/${database}` }).toString();
    const [a, b] = [await openPostgresStore(urlOf(names[0]!)), await openPostgresStore(urlOf(names[1]!))];
    await measure('PostgreSQL', a, b);
    await a.close();
    await b.close();
  } finally {
    for (const database of names) await admin.query(`DROP DATABASE IF EXISTS ${database}`);
    await admin.end();
  }
}
