// Signs webhooks the way Vonage does: Authorization: Bearer <JWT>, HS256 with the signature
// secret, `iat`, and `payload_hash` = SHA-256 (hex) of the raw body when there is one.

import { createHash, generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';

interface SignOptions {
  algorithm: string;
  noTimestamp?: boolean;
}

// jsonwebtoken comes with @vonage/jwt and ships no types; this is the one call the tests use.
const jsonwebtoken = createRequire(import.meta.url)('jsonwebtoken') as {
  sign(claims: object, key: string | Buffer | null, options: SignOptions): string;
};

export const SIGNATURE_SECRET = 'test-signature-secret-0123456789abcdef';

export const sha256Hex = (body: string | Buffer) => createHash('sha256').update(body).digest('hex');

export interface TokenOptions {
  secret?: string;
  /** Seconds since the epoch; now by default. */
  iat?: number;
  /** The body whose hash the token carries; none for a GET. */
  body?: string;
  /** Claims to set or override (payload_hash included). */
  claims?: Record<string, unknown>;
}

export function signedToken(options: TokenOptions = {}): string {
  const claims: Record<string, unknown> = {
    iat: options.iat ?? Math.floor(Date.now() / 1000),
    jti: `jti-${Math.random().toString(36).slice(2)}`,
    iss: 'Vonage',
    api_key: 'abcd1234',
    application_id: 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab',
  };
  if (options.body !== undefined) claims.payload_hash = sha256Hex(options.body);
  Object.assign(claims, options.claims);
  // jsonwebtoken would add its own iat; a test that drops iat means it.
  const noTimestamp = claims.iat === undefined;
  if (noTimestamp) delete claims.iat;
  return jsonwebtoken.sign(claims, options.secret ?? SIGNATURE_SECRET, { algorithm: 'HS256', noTimestamp });
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** An unsigned token (alg none), the classic forgery. */
export function unsignedToken(claims: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

/** A token signed RS256 with a key of the forger's own. */
export function rs256Token(claims: Record<string, unknown>): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return jsonwebtoken.sign(claims, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { algorithm: 'RS256' });
}
