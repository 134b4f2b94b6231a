// Every store backend, for suites run unchanged against each (store-contract.test.ts and the
// webhook store's). Narrow them with STORE=memory, STORE=sqlite, STORE=postgres (or a list).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import type { CallStore } from '../../src/store/call-store.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { createTestDatabase, postgresSkipReason } from './postgres.js';

/** An empty place to keep calls; open() twice gives two instances sharing it (durable stores only). */
export interface Location {
  durable: boolean;
  open(): Promise<CallStore>;
}

export interface Backend {
  name: 'memory' | 'sqlite' | 'postgres';
  skip?: string;
  createLocation(cleanups: (() => Promise<void>)[]): Promise<Location>;
}

const ALL_BACKENDS: Backend[] = [
  {
    name: 'memory',
    createLocation: async () => ({ durable: false, open: async () => new MemoryStore() }),
  },
  {
    name: 'sqlite',
    createLocation: async (cleanups) => {
      const dir = mkdtempSync(join(tmpdir(), 'ct-contract-'));
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      return { durable: true, open: async () => openSqliteStore(join(dir, 'calls.db')) };
    },
  },
  {
    name: 'postgres',
    skip: postgresSkipReason,
    createLocation: async (cleanups) => {
      const database = await createTestDatabase('contract');
      cleanups.push(database.drop);
      return { durable: true, open: () => openPostgresStore(database.url) };
    },
  },
];

const selected = process.env.STORE?.split(',').map((name) => name.trim()).filter(Boolean);
export const BACKENDS = selected ? ALL_BACKENDS.filter((b) => selected.includes(b.name)) : ALL_BACKENDS;


export interface SuiteStores {
  /** An empty location of its own; the stores it opens are closed after the suite. */
  freshLocation(): Promise<Location>;
  /** An empty store of its own, closed after the suite. */
  freshStore(): Promise<CallStore>;
}

/** Call inside a suite on `backend`: everything opened through it is closed and removed after that suite. */
export function suiteStores(backend: Backend): SuiteStores {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  async function freshLocation(): Promise<Location> {
    const location = await backend.createLocation(cleanups);
    return {
      durable: location.durable,
      open: async () => {
        const store = await location.open();
        cleanups.push(() => store.close());
        return store;
      },
    };
  }
  return { freshLocation, freshStore: async () => (await freshLocation()).open() };
}
