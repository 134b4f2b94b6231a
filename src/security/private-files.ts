// Files that hold callers' numbers (the database and its WAL and SHM, the spool, the access log)
// are readable by their owner only, and so are the folders we create for them, whatever the
// umask: a new one gets the mode when it is made, an existing one that others could read is
// narrowed, with a log line saying so.

import { chmodSync, fchmodSync, fstatSync, mkdirSync, statSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import type { Logger } from '../logger.js';

export const PRIVATE_FILE_MODE = 0o600;
const PRIVATE_DIRECTORY_MODE = 0o700;

const PERMISSION_BITS = 0o777;
/** Bits that let the group or others in. */
const SHARED_BITS = 0o077;

/**
 * Creates the folder and any missing parents, 0700 each; a folder that exists already is left as
 * it is (it may be the operator's, shared on purpose).
 */
export function createPrivateDirectory(path: string): void {
  const target = resolve(path);
  const firstCreated = mkdirSync(target, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  if (firstCreated === undefined) return;
  // The umask may have taken bits from the mode given to mkdir: set it exactly on each new folder.
  let folder = resolve(firstCreated);
  chmodSync(folder, PRIVATE_DIRECTORY_MODE);
  for (const part of relative(folder, target).split(sep).filter(Boolean)) {
    folder = resolve(folder, part);
    chmodSync(folder, PRIVATE_DIRECTORY_MODE);
  }
}

/** Creates the folder a private file goes in (see createPrivateDirectory). */
export function createPrivateParent(path: string): void {
  createPrivateDirectory(dirname(path));
}

const isExactlyPrivate = (mode: number) => (mode & PERMISSION_BITS) === PRIVATE_FILE_MODE;

function logNarrowed(logger: Logger, path: string, mode: number): void {
  // A file we just created (the umask took some of 0600) is no news; one others could read is.
  if ((mode & SHARED_BITS) === 0) return;
  logger.warn('a file holding callers\' numbers was readable by other users; made it private (0600)', {
    path, was: (mode & PERMISSION_BITS).toString(8).padStart(4, '0'),
  });
}

/** Makes the file at `path` private if it exists; returns whether it exists. */
export function makeFilePrivate(path: string, logger: Logger): boolean {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  if (isExactlyPrivate(mode)) return true;
  chmodSync(path, PRIVATE_FILE_MODE);
  logNarrowed(logger, path, mode);
  return true;
}

/** Makes an open file private (see makeFilePrivate); `path` only names it in the log. */
export function makeOpenFilePrivate(fd: number, path: string, logger: Logger): void {
  const { mode } = fstatSync(fd);
  if (isExactlyPrivate(mode)) return;
  fchmodSync(fd, PRIVATE_FILE_MODE);
  logNarrowed(logger, path, mode);
}

/** makeOpenFilePrivate for a promise-based handle. */
export async function makeHandlePrivate(handle: FileHandle, path: string, logger: Logger): Promise<void> {
  const { mode } = await handle.stat();
  if (isExactlyPrivate(mode)) return;
  await handle.chmod(PRIVATE_FILE_MODE);
  logNarrowed(logger, path, mode);
}
