// One process per spool. A second instance given the same SPOOL_PATH (two run from one folder
// share the default) would rename and delete the file the first still appends to, losing calls.
// The lock is a Unix socket beside the spool that the holder listens on: the kernel closes it
// when the process ends, however it ends, so after a crash the socket file is left but refuses
// connections, and the next start replaces it.

import { unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { relative, resolve } from 'node:path';
import type { Logger } from '../logger.js';
import { createPrivateParent } from '../security/private-files.js';

/** Longest socket path the kernel takes (sun_path less its terminator); Node cuts longer ones. */
const MAX_SOCKET_PATH_BYTES = 107;

export class SpoolInUseError extends Error {
  override name = 'SpoolInUseError';
  constructor(spoolPath: string) {
    super(`SPOOL_PATH ${spoolPath} is in use by another running call-tracker: give every instance its own SPOOL_PATH`);
  }
}

export interface SpoolLock {
  release(): Promise<void>;
}

export const spoolLockPath = (spoolPath: string) => `${spoolPath}.lock`;

/** The lock's path as given to the kernel: absolute, or relative to here when that is shorter. */
function socketPath(lockPath: string): string {
  const absolute = resolve(lockPath);
  const fromHere = relative(process.cwd(), absolute);
  return Buffer.byteLength(fromHere) < Buffer.byteLength(absolute) ? fromHere : absolute;
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Whether a live process listens on the socket (a crashed one's file refuses connections). */
function isHeld(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const UNLOCKED: SpoolLock = { release: async () => {} };

/**
 * A folder that cannot hold a socket (some network and shared mounts) leaves the spool unlocked:
 * refusing to start over it would answer no caller at all.
 */
function unlockable(spoolPath: string, error: unknown, logger: Logger): SpoolLock {
  logger.warn('SPOOL_PATH could not be locked against a second instance: make sure no other uses it', { path: spoolPath, error: String(error) });
  return UNLOCKED;
}

/** Takes the spool's lock, or throws SpoolInUseError while another process holds it. */
export async function lockSpool(spoolPath: string, logger: Logger): Promise<SpoolLock> {
  const path = socketPath(spoolLockPath(spoolPath));
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    // A cut path could name another spool's lock: better no lock than a wrong one.
    logger.warn('SPOOL_PATH is too long to be locked against a second instance: make sure no other uses it', { path: spoolPath });
    return UNLOCKED;
  }
  createPrivateParent(path);
  // A lock must not keep the process alive on its own, nor answer anything.
  const server = createServer((socket) => socket.destroy());
  try {
    await listen(server, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') return unlockable(spoolPath, error, logger);
    if (await isHeld(path)) throw new SpoolInUseError(spoolPath);
    await unlink(path).catch(() => {});
    await listen(server, path);
  }
  server.unref();
  return {
    // Closing a listening Unix socket removes its file.
    release: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
