// Folds the write-ahead log into the database file from a thread of its own. A checkpoint copies
// pages and syncs two files; run by the connection that commits the calls (SQLite's automatic
// checkpoint), it holds up the event loop that answers Vonage while it does, and the answers
// waiting behind it are the slowest of all (bench/findings.md). Here a second connection runs a
// PASSIVE checkpoint (which never blocks the writer) several times a second; the store's own
// connection keeps an automatic checkpoint, at a larger size, as a backstop.

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../logger.js';

/** How often the thread checkpoints. */
const CHECKPOINT_INTERVAL_MS = 100;

/** The store's own automatic checkpoint, should the thread fall behind or be gone: ~40 MB of WAL. */
export const BACKSTOP_CHECKPOINT_PAGES = 10_000;

interface ThreadData {
  driverPath: string;
  path: string;
  intervalMs: number;
}

// Plain JavaScript, run with `eval`: the thread needs no TypeScript loader, whether the server runs
// compiled or from source. It reports only the first failure of a run of them.
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
const db = new Database(workerData.path);
let failing = false;
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    failing = false;
  } catch (error) {
    if (!failing) parentPort.postMessage(String(error));
    failing = true;
  }
}, workerData.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export class Checkpointer {
  readonly #worker: Worker;
  readonly #exited: Promise<void>;
  #stopped: Promise<void> | null = null;

  constructor(path: string, logger: Pick<Logger, 'warn'>) {
    const workerData: ThreadData = {
      driverPath: createRequire(import.meta.url).resolve('better-sqlite3'),
      path,
      intervalMs: CHECKPOINT_INTERVAL_MS,
    };
    this.#worker = new Worker(THREAD_SOURCE, { eval: true, workerData });
    this.#worker.on('message', (failure: string) => {
      logger.warn('the background checkpoint failed; SQLite checkpoints on its own meanwhile', { error: failure });
    });
    this.#worker.on('error', (error) => {
      logger.warn('the checkpoint thread stopped; SQLite checkpoints on its own from now on', { error: String(error) });
    });
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
    // It never keeps the process alive; the store's close() ends it. After the listeners: adding
    // a 'message' listener refs the worker's port again.
    this.#worker.unref();
  }

  /** Ends the thread after its current checkpoint, if any; the same promise on every call. */
  stop(): Promise<void> {
    if (!this.#stopped) {
      // Held open until the thread has closed its connection.
      this.#worker.ref();
      this.#worker.postMessage('stop');
      this.#stopped = this.#exited;
    }
    return this.#stopped;
  }
}
