// Opens the store DATABASE_URL names. PostgreSQL's driver is loaded only when it is used.

import type { DatabaseLocation } from '../config.js';
import type { Logger } from '../logger.js';
import type { CallStore } from './call-store.js';
import { MemoryStore } from './memory-store.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';

export async function openStore(location: DatabaseLocation, logger: Logger): Promise<CallStore> {
  switch (location.kind) {
    case 'memory':
      return new MemoryStore(logger);
    case 'sqlite':
      return openSqliteStore(location.path, logger);
    case 'postgres': {
      const { openPostgresStore } = await import('./postgres/postgres-store.js');
      return openPostgresStore(location.url, logger);
    }
  }
}

/** Where the store is, without credentials: safe for a log line. */
export function describeLocation(location: DatabaseLocation): string {
  switch (location.kind) {
    case 'memory':
      return 'memory (nothing is kept across restarts)';
    case 'sqlite':
      return `SQLite file ${location.path}`;
    case 'postgres': {
      const url = new URL(location.url);
      return `PostgreSQL ${url.hostname}${url.port ? `:${url.port}` : ''}${url.pathname}`;
    }
  }
}
