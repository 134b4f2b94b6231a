// Fresh PostgreSQL databases for tests, on the server TEST_DATABASE_URL names (test/run.sh starts
// a throwaway one). Without a server, PostgreSQL tests fail in CI and are skipped elsewhere.

import pg from 'pg';

const serverUrl = process.env.TEST_DATABASE_URL || undefined;

/**
 * Why PostgreSQL tests are skipped, or undefined when they run. In CI (CI=true) they always run,
 * so a missing server fails them loudly instead of passing them silently.
 */
export const postgresSkipReason: string | undefined =
  serverUrl !== undefined || process.env.CI === 'true'
    ? undefined
    : 'TEST_DATABASE_URL is not set (npm test starts a throwaway server when the PostgreSQL server binaries are installed)';

if (postgresSkipReason) process.stderr.write(`# skipping PostgreSQL tests: ${postgresSkipReason}\n`);

export interface TestDatabase {
  /** postgres:// URL of the new, empty database. */
  url: string;
  drop(): Promise<void>;
}

let sequence = 0;

async function onServer<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  if (serverUrl === undefined) {
    throw new Error('TEST_DATABASE_URL is not set: PostgreSQL tests need a server (test/run.sh starts a throwaway one from the PostgreSQL binaries)');
  }
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database with a unique name; drop() removes it, closing any connection left. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  sequence += 1;
  const name = `ct_${label.replace(/\W+/g, '_').toLowerCase()}_${process.pid}_${sequence}`.slice(0, 63);
  await onServer((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(serverUrl!);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => onServer((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}
