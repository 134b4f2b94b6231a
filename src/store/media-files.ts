// Where recording, voicemail and transcript files are kept: an interface an object store could
// implement later, and the local-disk one (RECORDINGS_DIR). Files are private (0600 in a 0700
// folder): they hold callers' voices. A file is written under a temporary name and renamed into
// place once complete, so a crash mid-download never leaves a partial file under a real name.

import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Logger } from '../logger.js';
import { createPrivateDirectory, makeHandlePrivate, PRIVATE_FILE_MODE } from '../security/private-files.js';

/** An inclusive byte range, as HTTP's Range header names one. */
export interface ByteRange {
  start: number;
  end: number;
}

/** The body was not the size it should have been: nothing is stored. */
export class WrongSizeError extends Error {
  override name = 'WrongSizeError';
}

export interface SaveLimits {
  /** Bytes the file must hold, when known (a recording webhook's `size`). */
  expectedBytes: number | null;
  /** More than this is refused whatever is expected. */
  maxBytes: number;
}

export interface MediaFiles {
  /**
   * Stores the body under `fileKey`, whole or not at all: a body of the wrong size is refused
   * with WrongSizeError. Returns the bytes stored.
   */
  save(fileKey: string, body: AsyncIterable<Uint8Array>, limits: SaveLimits): Promise<number>;
  /** The stored size, or null when there is no such file. */
  sizeOf(fileKey: string): Promise<number | null>;
  read(fileKey: string, range?: ByteRange): Readable;
  /** Removes the file; one already gone is no error. */
  remove(fileKey: string): Promise<void>;
}

/** A file key is a name we made (an id and an extension): never a path. */
const FILE_KEY = /^[A-Za-z0-9_-]{1,160}\.[a-z0-9]{1,5}$/;
const PARTIAL_SUFFIX = '.partial';

function assertFileKey(fileKey: string): void {
  if (!FILE_KEY.test(fileKey)) throw new Error('not a media file key');
}

export class LocalMediaFiles implements MediaFiles {
  private constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {}

  /** Creates the folder (0700) and removes what a crash left half-written. */
  static async open(dir: string, logger: Logger): Promise<LocalMediaFiles> {
    createPrivateDirectory(dir);
    for (const name of await readdir(dir)) {
      if (name.endsWith(PARTIAL_SUFFIX)) await unlink(join(dir, name)).catch(() => undefined);
    }
    return new LocalMediaFiles(dir, logger);
  }

  async save(fileKey: string, body: AsyncIterable<Uint8Array>, limits: SaveLimits): Promise<number> {
    const maxBytes = Math.min(limits.maxBytes, limits.expectedBytes ?? Infinity);
    assertFileKey(fileKey);
    const target = join(this.dir, fileKey);
    const partial = join(this.dir, `${fileKey}.${randomUUID()}${PARTIAL_SUFFIX}`);
    const handle = await open(partial, 'wx', PRIVATE_FILE_MODE);
    let bytes = 0;
    try {
      await makeHandlePrivate(handle, partial, this.logger);
      for await (const chunk of body) {
        bytes += chunk.byteLength;
        if (bytes > maxBytes) throw new WrongSizeError(`more than ${maxBytes} bytes`);
        await handle.write(chunk);
      }
      if (limits.expectedBytes !== null && bytes !== limits.expectedBytes) {
        throw new WrongSizeError(`${bytes} bytes where ${limits.expectedBytes} were expected`);
      }
      await handle.sync();
    } catch (error) {
      await handle.close();
      await unlink(partial).catch(() => undefined);
      throw error;
    }
    await handle.close();
    await rename(partial, target);
    return bytes;
  }

  async sizeOf(fileKey: string): Promise<number | null> {
    assertFileKey(fileKey);
    try {
      return (await stat(join(this.dir, fileKey))).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  read(fileKey: string, range?: ByteRange): Readable {
    assertFileKey(fileKey);
    return createReadStream(join(this.dir, fileKey), range);
  }

  async remove(fileKey: string): Promise<void> {
    assertFileKey(fileKey);
    await unlink(join(this.dir, fileKey)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
}
