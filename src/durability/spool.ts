// A durable, append-only NDJSON file that keeps calls and events while the store cannot take
// them, and hands them back, in order, once it can. Appends of one event-loop turn share one
// write and one fsync; replay works on a renamed copy, so appends never wait for it and a crash
// at any point loses nothing (a record may be replayed twice; the store's uuid keys absorb that).

import { open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { CallEvent, InboundCall } from '../domain/calls.js';
import type { Logger } from '../logger.js';
import { PRIVATE_FILE_MODE, createPrivateParent, makeFilePrivate, makeHandlePrivate } from '../security/private-files.js';

export type SpooledRecord = { kind: 'call'; call: InboundCall } | { kind: 'event'; event: CallEvent };

export interface SpoolStatus {
  /** Records waiting for the store. */
  depth: number;
  /** Age of the oldest waiting record; null when none waits. */
  oldestAgeSeconds: number | null;
}

/** Replay hands the store runs of one kind, at most this long, in spool order. */
const MAX_REPLAY_RUN = 500;

const date = z.iso.datetime().transform((raw) => new Date(raw));
const nullableText = z.string().nullable();

const lineSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('call'),
    spooledAt: z.number(),
    call: z.object({
      uuid: z.string(),
      conversationUuid: nullableText,
      trackingNumber: nullableText,
      caller: nullableText,
      campaign: nullableText,
      forwardTo: z.string(),
      startedAt: date,
    }),
  }),
  z.object({
    kind: z.literal('event'),
    spooledAt: z.number(),
    event: z.object({
      legUuid: z.string(),
      conversationUuid: nullableText,
      status: z.string(),
      occurredAt: date,
      direction: z.enum(['inbound', 'outbound']).nullable(),
      durationSeconds: z.number().nullable(),
    }),
  }),
]);

interface SpoolLine {
  record: SpooledRecord;
  spooledAt: number;
}

interface QueuedAppend {
  line: string;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class Spool {
  readonly path: string;
  readonly #replayingPath: string;
  readonly #logger: Logger;

  #handle: FileHandle | null = null;
  /** Appends, rotations and closing run one after another on this chain. */
  #chain: Promise<void> = Promise.resolve();
  #queue: QueuedAppend[] = [];
  #scheduled = false;
  /** A failed write may have left half a line; the next write starts on a fresh one. */
  #tornTail = false;
  /** Records handed to append whose batch is not written yet. */
  #unwritten = 0;

  /** Records written to the active file, plus those queued for it. */
  #activeCount = 0;
  #activeOldestAt: number | null = null;
  /** The renamed file being replayed, as read, and how much of it the store already has. */
  #replaying: SpoolLine[] | null = null;
  #replayedCount = 0;

  private constructor(path: string, logger: Logger) {
    this.path = path;
    this.#replayingPath = `${path}.replaying`;
    this.#logger = logger;
  }

  /** Opens the spool at `path`, counting what a previous run left there. Creates nothing yet. */
  static async open(path: string, logger: Logger): Promise<Spool> {
    const spool = new Spool(path, logger);
    spool.#replaying = await spool.#readLines(spool.#replayingPath);
    const left = await spool.#readLines(path);
    if (left) {
      spool.#activeCount = left.length;
      spool.#activeOldestAt = left[0]?.spooledAt ?? null;
    }
    if (spool.depth > 0) logger.warn('the spool holds records from a previous run; replaying them to the store', { depth: spool.depth });
    return spool;
  }

  get depth(): number {
    return this.#activeCount + (this.#replaying ? this.#replaying.length - this.#replayedCount : 0);
  }

  status(nowMs = Date.now()): SpoolStatus {
    const oldestAt = this.#replaying?.[this.#replayedCount]?.spooledAt ?? this.#activeOldestAt;
    return {
      depth: this.depth,
      oldestAgeSeconds: this.depth === 0 || oldestAt === null ? null : Math.max(0, Math.round((nowMs - oldestAt) / 1000)),
    };
  }

  /** Resolves once the record is on disk (fsynced); appends of one turn share the write. */
  append(record: SpooledRecord): Promise<void> {
    const spooledAt = Date.now();
    const line = `${JSON.stringify({ ...record, spooledAt })}\n`;
    if (this.#activeCount === 0) this.#activeOldestAt = spooledAt;
    this.#activeCount += 1;
    this.#unwritten += 1;
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ line, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#queue.splice(0);
    this.#chain = this.#chain.then(async () => {
      try {
        this.#handle ??= await this.#openActive();
        const text = (this.#tornTail ? '\n' : '') + batch.map((queued) => queued.line).join('');
        this.#tornTail = true;
        await this.#handle.write(text);
        await this.#handle.sync();
        this.#tornTail = false;
        this.#unwritten -= batch.length;
        for (const queued of batch) queued.resolve();
      } catch (error) {
        this.#unwritten -= batch.length;
        this.#activeCount -= batch.length;
        for (const queued of batch) queued.reject(error);
      }
    });
  }

  async #openActive(): Promise<FileHandle> {
    createPrivateParent(this.path);
    const handle = await open(this.path, 'a', PRIVATE_FILE_MODE);
    await makeHandlePrivate(handle, this.path, this.#logger);
    // A new file's name must be as durable as its contents.
    await syncDirectory(this.path);
    return handle;
  }

  /**
   * Writes every waiting record through `write`, oldest first, and forgets those written.
   * Throws the write's error, keeping the rest for the next attempt. Not reentrant: the
   * caller runs one replay at a time.
   */
  async replay(write: (records: SpooledRecord[]) => Promise<void>): Promise<number> {
    let replayed = 0;
    for (;;) {
      if (this.#replaying === null) {
        // Records still on their way to the disk wait for the next replay.
        if (this.#activeCount - this.#unwritten <= 0) return replayed;
        await this.#rotate();
      }
      const lines = this.#replaying!;
      while (this.#replayedCount < lines.length) {
        const run = nextRun(lines, this.#replayedCount);
        await write(run);
        this.#replayedCount += run.length;
        replayed += run.length;
      }
      await unlink(this.#replayingPath).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      });
      await syncDirectory(this.#replayingPath);
      this.#replaying = null;
      this.#replayedCount = 0;
    }
  }

  /** Moves the active file aside for replay, between two appends; later appends start a new file. */
  async #rotate(): Promise<void> {
    const rotated = this.#chain.then(async () => {
      const handle = this.#handle;
      this.#handle = null;
      await handle?.close();
      await rename(this.path, this.#replayingPath);
      await syncDirectory(this.path);
      // Nothing is being written now; what is not written yet belongs to the next file.
      this.#activeCount = this.#unwritten;
      this.#activeOldestAt = this.#activeCount === 0 ? null : Date.now();
    });
    this.#chain = rotated.catch(() => {});
    await rotated;
    this.#replaying = (await this.#readLines(this.#replayingPath)) ?? [];
    this.#replayedCount = 0;
  }

  /** Waits for the appends handed over so far, then closes the file. */
  async close(): Promise<void> {
    if (this.#scheduled) this.#flush();
    this.#chain = this.#chain.then(async () => {
      await this.#handle?.close();
      this.#handle = null;
    });
    await this.#chain;
  }

  async #readLines(path: string): Promise<SpoolLine[] | null> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    makeFilePrivate(path, this.#logger);
    const lines: SpoolLine[] = [];
    let unreadable = 0;
    for (const raw of text.split('\n')) {
      if (raw.trim() === '') continue;
      const parsed = safeJson(raw);
      const line = parsed === undefined ? null : lineSchema.safeParse(parsed);
      if (!line?.success) {
        // Only a write cut short by a crash leaves such a line, and its webhook was never answered.
        unreadable += 1;
        continue;
      }
      const { spooledAt, ...record } = line.data;
      lines.push({ record, spooledAt });
    }
    if (unreadable > 0) this.#logger.warn('skipped unreadable spool lines', { path, unreadable });
    return lines;
  }
}

function nextRun(lines: readonly SpoolLine[], from: number): SpooledRecord[] {
  const kind = lines[from]!.record.kind;
  const run: SpooledRecord[] = [];
  for (let i = from; i < lines.length && run.length < MAX_REPLAY_RUN; i++) {
    const record = lines[i]!.record;
    if (record.kind !== kind) break;
    run.push(record);
  }
  return run;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function syncDirectory(path: string): Promise<void> {
  const directory = await open(dirname(path), 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}
