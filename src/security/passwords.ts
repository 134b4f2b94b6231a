// Team passwords, hashed with scrypt (memory-hard, in Node itself). A stored hash names its own
// parameters, so raising them later leaves existing passwords readable.

import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * N = 2^15, r = 8: each hash takes 128 · N · r = 32 MiB and tens of milliseconds, well above
 * OWASP's minimum for scrypt (N = 2^17 with r = 8 is its first choice, at four times the memory
 * a small server can give every concurrent login).
 */
const COST_LOG2 = 15;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;
const KEY_BYTES = 32;
const SALT_BYTES = 16;

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 200;

function derive(password: string, salt: Buffer, costLog2: number, blockSize: number, parallelism: number): Promise<Buffer> {
  const options: ScryptOptions = {
    N: 2 ** costLog2, r: blockSize, p: parallelism,
    // Node refuses more than 32 MiB by default, which is exactly what N = 2^15, r = 8 needs.
    maxmem: 256 * 2 ** costLog2 * blockSize,
  };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** `scrypt$<log2 N>$<r>$<p>$<salt, base64url>$<key, base64url>` */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, COST_LOG2, BLOCK_SIZE, PARALLELISM);
  return ['scrypt', COST_LOG2, BLOCK_SIZE, PARALLELISM, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, costLog2, blockSize, parallelism, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !costLog2 || !blockSize || !parallelism || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), Number(costLog2), Number(blockSize), Number(parallelism));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

let unusable: Promise<string> | null = null;

/** A hash of no password anybody has: checking an unknown username against it costs what a real check costs. */
export function unusablePasswordHash(): Promise<string> {
  return (unusable ??= hashPassword(randomBytes(24).toString('base64url')));
}
