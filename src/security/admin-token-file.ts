// The admin token of a single-instance install that set none: generated on first start into a
// file only its owner can read, beside the SQLite database, and reused afterwards. The token never
// goes to the log; the log names the file.

import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from '../logger.js';
import { PRIVATE_FILE_MODE, createPrivateParent, makeFilePrivate } from './private-files.js';

const FILE_NAME = 'admin-token';
/** 24 random bytes, as `openssl rand -hex 24` makes them (the README's advice for ADMIN_TOKEN). */
const TOKEN_BYTES = 24;
/** ADMIN_TOKEN's own minimum (config.ts): a file edited by hand must meet it too. */
const MIN_TOKEN_LENGTH = 16;

export interface AdminTokenFile {
  token: string;
  path: string;
  /** True when this start wrote the file. */
  created: boolean;
}

/** The token file that belongs to the SQLite database at `databasePath`. */
export function adminTokenPath(databasePath: string): string {
  return join(dirname(databasePath), FILE_NAME);
}

/** Reads the token file (made private if others could read it), or creates it (0600) when there is none. */
export async function loadOrCreateAdminToken(path: string, logger: Logger): Promise<AdminTokenFile> {
  createPrivateParent(path);
  const token = randomBytes(TOKEN_BYTES).toString('hex');
  try {
    // 'wx': two instances starting together must not overwrite each other's token.
    await writeFile(path, `${token}\n`, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
    makeFilePrivate(path, logger); // the umask may have taken bits from the mode
    return { token, path, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  makeFilePrivate(path, logger);
  const existing = (await readFile(path, 'utf8')).trim();
  if (existing.length < MIN_TOKEN_LENGTH) {
    throw new Error(`the admin token in ${path} is shorter than ${MIN_TOKEN_LENGTH} characters: delete the file to get a new one`);
  }
  return { token: existing, path, created: false };
}
