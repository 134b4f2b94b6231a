// Verifies Vonage's signed webhooks: a Bearer JWT signed HS256 with the account's signature
// secret, recent enough to be a live request, whose payload_hash is the SHA-256 of the body.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { verifySignature } from '@vonage/jwt';
import { HttpError } from '../http/http-error.js';

/** Vonage's clock and ours may differ a little; a token "from the future" within this is fine. */
const CLOCK_SKEW_SECONDS = 30;

interface SignedClaims {
  iat?: unknown;
  payload_hash?: unknown;
}

function decodeSegment(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
}

function sha256Hex(bytes: Buffer): Buffer {
  return Buffer.from(createHash('sha256').update(bytes).digest('hex'), 'utf8');
}

/** Throws the reason a request is not a genuine, live Vonage webhook. */
export function assertSignedWebhook(
  authorization: string | undefined,
  rawBody: Buffer | undefined,
  secret: string,
  maxAgeSeconds: number,
  nowSeconds = Math.floor(Date.now() / 1000),
): void {
  const match = /^Bearer\s+([\w-]+\.[\w-]+\.[\w-]+)$/i.exec(authorization ?? '');
  if (!match) throw new HttpError('unauthorized', 'a signed webhook needs Authorization: Bearer <JWT>');
  const token = match[1]!;
  const [headerPart, claimsPart] = token.split('.');
  const header = decodeSegment(headerPart!) as { alg?: unknown } | null;
  // Only the shared-secret algorithm is acceptable: never let the token pick another.
  if (header?.alg !== 'HS256') throw new HttpError('unauthorized', 'the webhook signature must be HS256');
  if (!verifySignature(token, secret)) throw new HttpError('unauthorized', 'the webhook signature does not verify');

  const claims = decodeSegment(claimsPart!) as SignedClaims | null;
  const issuedAt = claims?.iat;
  if (typeof issuedAt !== 'number') throw new HttpError('unauthorized', 'the webhook token has no iat');
  if (issuedAt > nowSeconds + CLOCK_SKEW_SECONDS || nowSeconds - issuedAt > maxAgeSeconds) {
    throw new HttpError('unauthorized', 'the webhook token is too old to be a live request');
  }

  if (rawBody !== undefined && rawBody.length > 0) {
    const claimed = claims?.payload_hash;
    if (typeof claimed !== 'string') throw new HttpError('unauthorized', 'the webhook token has no payload_hash');
    const expected = sha256Hex(rawBody);
    const presented = Buffer.from(claimed.toLowerCase(), 'utf8');
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      throw new HttpError('unauthorized', 'the body does not match the signed payload_hash');
    }
  }
}

/**
 * Checks every webhook when a secret is configured. Without one there is nothing to check, and
 * no handler: the routes then skip a step that would only pass every request on.
 */
export function verifyWebhookSignature(secret: string | null, maxAgeSeconds: number): RequestHandler[] {
  if (secret === null) return [];
  return [(req, _res, next) => {
    const rawBody = (req as Request & { rawBody?: Buffer }).rawBody;
    assertSignedWebhook(req.get('authorization'), rawBody, secret, maxAgeSeconds);
    next();
  }];
}
