// A durable, append-only NDJSON file that keeps calls and events while the store cannot take
// them, and hands them back, in order, once it can. Appends of one event-loop turn share one
// write and one fsync; replay works on a renamed copy, so appends never wait for it and a crash
// at any point loses nothing (a record may be replayed twice; the store's uuid keys absorb that).
// Files are read as streams, line by line, so a spool of any size costs the same memory; the
// spool holds at most its configured bytes, past which it refuses records (the caller is
// connected all the same; the recorder logs each record lost). The copy being replayed is never
// renamed over: the next copy is made only once it is replayed and gone.

import { createReadStream } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import type { CallEvent, InboundCall } from '../domain/calls.js';
import type { MediaJob } from '../domain/recordings.js';
import type { Logger } from '../logger.js';
import { lockSpool, type SpoolLock } from './spool-lock.js';
import { PRIVATE_FILE_MODE, createPrivateParent, makeFilePrivate, makeHandlePrivate } from '../security/private-files.js';

export type SpooledRecord =
  | { kind: 'call'; call: InboundCall }
  | { kind: 'event'; event: CallEvent }
  /** A recording or transcription webhook's job: the only word we get of that file. */
  | { kind: 'media'; job: MediaJob };

export interface SpoolStatus {
  /** Records waiting for the store. */
  depth: number;
  /** Age of the oldest waiting record; null when none waits. */
  oldestAgeSeconds: number | null;
  /** Bytes the spool's files take on disk, at most its maximum. */
  bytes: number;
  /** True from a record refused for want of room until there is room again. */
  full: boolean;
}

/** A record refused because the spool holds its maximum bytes. */
export class SpoolFullError extends Error {
  override name = 'SpoolFullError';
}

/** The file being replayed could not be read; its records stay where they are. */
export class SpoolReadError extends Error {
  override name = 'SpoolReadError';
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
      blocked: z.boolean().optional(),
      pooled: z.boolean().optional(),
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
      to: nullableText.optional(),
    }),
  }),
  z.object({
    kind: z.literal('media'),
    spooledAt: z.number(),
    job: z.object({
      id: z.string(),
      kind: z.enum(['call', 'voicemail', 'transcript']),
      conversationUuid: z.string(),
      recordingId: nullableText,
      url: z.string(),
      sizeBytes: z.number().nullable(),
      startedAt: date.nullable(),
      endedAt: date.nullable(),
      receivedAt: date,
      expiresAt: date,
    }),
  }),
]);

interface SpoolLine {
  record: SpooledRecord;
  spooledAt: number;
}

interface QueuedAppend {
  line: string;
  bytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** The renamed file being replayed: its records not yet replayed start at `offset`. */
interface ReplayingFile {
  /** Lines (records, and unreadable lines) after `offset`. */
  left: number;
  /** Size on disk, until the file is removed. */
  bytes: number;
  offset: number;
  /** When the first line after `offset` was spooled, if known. */
  oldestAt: number | null;
}

/** What a scan of a spool file found, without holding more than a chunk of it. */
interface FileScan {
  lines: number;
  bytes: number;
  endsWithNewline: boolean;
  firstSpooledAt: number | null;
}

const SCAN_CHUNK_BYTES = 1_048_576;
/** A first line longer than this is no record of ours; its age stays unknown. */
const MAX_FIRST_LINE_BYTES = 65_536;
const NEWLINE = 0x0a;

export class Spool {
  readonly path: string;
  readonly maxBytes: number;
  readonly #replayingPath: string;
  readonly #logger: Logger;
  /** Held from open to close: no other process appends to or replays this spool meanwhile. */
  readonly #lock: SpoolLock;

  #handle: FileHandle | null = null;
  /** Appends, rotations and closing run one after another on this chain. */
  #chain: Promise<void> = Promise.resolve();
  #queue: QueuedAppend[] = [];
  #scheduled = false;
  /** The active file may end in half a line (a failed write, a crash): the next write starts a fresh one. */
  #tornTail = false;
  /** Records (and their bytes) handed to append whose batch is not written yet. */
  #unwritten = 0;
  #unwrittenBytes = 0;

  /** Records written to the active file, plus those queued for it; likewise bytes. */
  #activeCount = 0;
  #activeBytes = 0;
  #activeOldestAt: number | null = null;
  /** Present exactly while the renamed file exists on disk. */
  #replaying: ReplayingFile | null = null;
  #full = false;

  private constructor(path: string, logger: Logger, maxBytes: number, lock: SpoolLock) {
    this.path = path;
    this.#lock = lock;
    this.maxBytes = maxBytes;
    this.#replayingPath = `${path}.replaying`;
    this.#logger = logger;
  }

  /** Opens the spool at `path`, counting what a previous run left there. Creates nothing yet. */
  static async open(path: string, logger: Logger, maxBytes: number): Promise<Spool> {
    const spool = new Spool(path, logger, maxBytes, await lockSpool(path, logger));
    spool.#replaying = await spool.#adoptReplaying();
    const left = await scanFile(path);
    if (left) {
      makeFilePrivate(path, logger);
      spool.#activeCount = left.lines;
      spool.#activeBytes = left.bytes;
      spool.#activeOldestAt = left.firstSpooledAt ?? (left.lines > 0 ? Date.now() : null);
      spool.#tornTail = left.bytes > 0 && !left.endsWithNewline;
    }
    if (spool.depth > 0) logger.warn('the spool holds records from a previous run; replaying them to the store', { depth: spool.depth });
    return spool;
  }

  /** The renamed file a previous run (or replay) left, if any, to be replayed before any other. */
  async #adoptReplaying(): Promise<ReplayingFile | null> {
    const scan = await scanFile(this.#replayingPath);
    if (!scan) return null;
    makeFilePrivate(this.#replayingPath, this.#logger);
    return { left: scan.lines, bytes: scan.bytes, offset: 0, oldestAt: scan.firstSpooledAt };
  }

  get depth(): number {
    return this.#activeCount + (this.#replaying?.left ?? 0);
  }

  /** True from a record refused for want of room until there is room again. */
  get full(): boolean {
    return this.#full;
  }

  get #bytes(): number {
    return this.#activeBytes + (this.#replaying?.bytes ?? 0);
  }

  status(nowMs = Date.now()): SpoolStatus {
    const oldestAt = this.#replaying && this.#replaying.left > 0 ? this.#replaying.oldestAt ?? this.#activeOldestAt : this.#activeOldestAt;
    return {
      depth: this.depth,
      oldestAgeSeconds: this.depth === 0 || oldestAt === null ? null : Math.max(0, Math.round((nowMs - oldestAt) / 1000)),
      bytes: this.#bytes,
      full: this.#full,
    };
  }

  /**
   * Resolves once the record is on disk (fsynced); appends of one turn share the write. Rejects
   * with SpoolFullError when the record would take the spool past its maximum.
   */
  append(record: SpooledRecord): Promise<void> {
    const spooledAt = Date.now();
    const line = `${JSON.stringify({ ...record, spooledAt })}\n`;
    const bytes = Buffer.byteLength(line);
    if (this.#bytes + bytes > this.maxBytes) {
      if (!this.#full) {
        this.#full = true;
        this.#logger.error('the spool is full: records the store cannot take now are LOST until the store is back and the spool drains', {
          path: this.path, bytes: this.#bytes, maxBytes: this.maxBytes,
        });
      }
      return Promise.reject(new SpoolFullError(`the spool is full (${this.maxBytes} bytes, SPOOL_MAX_BYTES)`));
    }
    this.#roomAgain();
    if (this.#activeCount === 0) this.#activeOldestAt = spooledAt;
    this.#activeCount += 1;
    this.#activeBytes += bytes;
    this.#unwritten += 1;
    this.#unwrittenBytes += bytes;
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ line, bytes, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #roomAgain(): void {
    if (!this.#full) return;
    this.#full = false;
    this.#logger.info('the spool has room again', { path: this.path, bytes: this.#bytes, maxBytes: this.maxBytes });
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#queue.splice(0);
    const batchBytes = batch.reduce((sum, queued) => sum + queued.bytes, 0);
    this.#chain = this.#chain.then(async () => {
      try {
        this.#handle ??= await this.#openActive();
        const text = (this.#tornTail ? '\n' : '') + batch.map((queued) => queued.line).join('');
        this.#tornTail = true;
        await this.#handle.write(text);
        await this.#handle.sync();
        this.#tornTail = false;
        this.#unwritten -= batch.length;
        this.#unwrittenBytes -= batchBytes;
        for (const queued of batch) queued.resolve();
      } catch (error) {
        this.#unwritten -= batch.length;
        this.#unwrittenBytes -= batchBytes;
        this.#activeCount -= batch.length;
        this.#activeBytes -= batchBytes;
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
   * Throws the write's error (or a SpoolReadError), keeping the rest for the next attempt. Not
   * reentrant: the caller runs one replay at a time.
   */
  async replay(write: (records: SpooledRecord[]) => Promise<void>): Promise<number> {
    let replayed = 0;
    for (;;) {
      if (this.#replaying === null) {
        // Records still on their way to the disk wait for the next replay.
        if (this.#activeCount - this.#unwritten <= 0) return replayed;
        this.#replaying = await this.#rotate();
      }
      replayed += await this.#replayFile(this.#replaying, write);
      await unlink(this.#replayingPath).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      });
      await syncDirectory(this.#replayingPath);
      this.#replaying = null;
      if (this.#bytes < this.maxBytes) this.#roomAgain();
    }
  }

  /**
   * Moves the active file aside for replay, between two appends; later appends start a new file.
   * Should a renamed file be there already (it never is while this object knows its state), it
   * is replayed first instead, and nothing is renamed over it.
   */
  #rotate(): Promise<ReplayingFile> {
    const rotated = this.#chain.then(async (): Promise<ReplayingFile> => {
      const left = await this.#adoptReplaying();
      if (left) {
        this.#logger.error('found a spool file being replayed that was not known; replaying it first', { path: this.#replayingPath });
        return left;
      }
      const handle = this.#handle;
      this.#handle = null;
      await handle?.close();
      const moved: ReplayingFile = {
        left: this.#activeCount - this.#unwritten, bytes: this.#activeBytes - this.#unwrittenBytes, offset: 0, oldestAt: this.#activeOldestAt,
      };
      try {
        await rename(this.path, this.#replayingPath);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        // Removed by someone else: what it held is gone, and saying so is all that is left to do.
        this.#logger.error('the spool file disappeared before it was replayed; its records are lost', { path: this.path, records: moved.left });
        moved.left = 0;
        moved.bytes = 0;
      }
      await syncDirectory(this.path);
      // Nothing is being written now; what is not written yet belongs to the next file.
      this.#activeCount = this.#unwritten;
      this.#activeBytes = this.#unwrittenBytes;
      this.#activeOldestAt = this.#activeCount === 0 ? null : Date.now();
      this.#tornTail = false;
      return moved;
    });
    this.#chain = rotated.then(() => {}, () => {});
    return rotated;
  }

  /** Streams the renamed file from where the last replay stopped, in runs of one kind. */
  async #replayFile(file: ReplayingFile, write: (records: SpooledRecord[]) => Promise<void>): Promise<number> {
    const input = createReadStream(this.#replayingPath, { start: file.offset });
    const lines = createInterface({ input, crlfDelay: Infinity });
    let replayed = 0;
    let unreadable = 0;
    let run: SpooledRecord[] = [];
    let runLines = 0;
    let position = file.offset;
    let writing = false;
    const writeRun = async () => {
      writing = true;
      if (run.length > 0) await write(run);
      writing = false;
      file.offset = position;
      file.left = Math.max(0, file.left - runLines);
      replayed += run.length;
      run = [];
      runLines = 0;
    };
    try {
      for await (const raw of lines) {
        const line = parseLine(raw);
        if (line && run.length > 0 && (line.record.kind !== run[0]!.kind || run.length >= MAX_REPLAY_RUN)) await writeRun();
        position += Buffer.byteLength(raw) + 1;
        runLines += 1;
        if (line === undefined) continue;
        if (line === null) {
          // Only a write cut short (a crash mid-append) leaves such a line, and its webhook was
          // never answered as stored.
          unreadable += 1;
          continue;
        }
        if (run.length === 0) file.oldestAt = line.spooledAt;
        run.push(line.record);
      }
      await writeRun();
    } catch (error) {
      if (writing) throw error;
      throw new SpoolReadError(`cannot read ${this.#replayingPath}: ${String(error)}`, { cause: error });
    } finally {
      lines.close();
      input.destroy();
      if (unreadable > 0) this.#logger.warn('skipped unreadable spool lines (a write cut short by a crash)', { path: this.#replayingPath, unreadable });
    }
    file.left = 0;
    return replayed;
  }

  /** Waits for the appends handed over so far, then closes the file. */
  async close(): Promise<void> {
    if (this.#scheduled) this.#flush();
    this.#chain = this.#chain.then(async () => {
      await this.#handle?.close();
      this.#handle = null;
    });
    await this.#chain;
    await this.#lock.release();
  }
}

/** A spool line as a record; undefined for a blank line, null for one that is no record. */
function parseLine(raw: string): SpoolLine | null | undefined {
  if (raw.trim() === '') return undefined;
  const parsed = safeJson(raw);
  const line = parsed === undefined ? null : lineSchema.safeParse(parsed);
  if (!line?.success) return null;
  const { spooledAt, ...record } = line.data;
  return { record, spooledAt };
}

/** Counts a file's lines, a chunk at a time; null when there is no file. */
async function scanFile(path: string): Promise<FileScan | null> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const buffer = Buffer.allocUnsafe(SCAN_CHUNK_BYTES);
    let newlines = 0;
    let bytes = 0;
    let lastByte: number | null = null;
    let firstLine: Buffer | null = null;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      if (firstLine === null && bytes < MAX_FIRST_LINE_BYTES) {
        const end = chunk.indexOf(NEWLINE);
        if (end !== -1) firstLine = Buffer.from(chunk.subarray(0, end));
      }
      for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, at + 1)) newlines += 1;
      bytes += bytesRead;
      lastByte = chunk[bytesRead - 1]!;
    }
    const endsWithNewline = lastByte === null || lastByte === NEWLINE;
    const first = firstLine ? parseLine(firstLine.toString('utf8')) : null;
    return { lines: newlines + (endsWithNewline ? 0 : 1), bytes, endsWithNewline, firstSpooledAt: first?.spooledAt ?? null };
  } finally {
    await handle.close();
  }
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
