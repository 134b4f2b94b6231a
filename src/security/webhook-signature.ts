// Verifies Vonage's signed webhooks: a Bearer JWT signed HS256 with the account's signature
// secret, recent enough to be a live request, whose payload_hash is the SHA-256 of the body as
// received, and whose jti has served no other request (see spent-tokens.ts).

import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { verifySignature } from '@vonage/jwt';
import { HttpError } from '../http/http-error.js';
import type { Logger } from '../logger.js';
import { SpentTokens } from './spent-tokens.js';

/** Vonage's clock and ours may differ a little; a token "from the future" within this is fine. */
const CLOCK_SKEW_SECONDS = 30;

/** Vonage's jti is a UUID; anything much longer is not one, and would only fill the memory of spent tokens. */
const MAX_JTI_LENGTH = 128;

/** What of a request the signature is checked against. */
export interface SignedRequest {
  authorization: string | undefined;
  /** The body's bytes as received; empty for a request without a body (GET). */
  rawBody: Buffer;
}

interface SignedClaims {
  iat?: unknown;
  jti?: unknown;
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

/**
 * Throws the reason a request is not a genuine, live Vonage webhook; returns the token's jti.
 * payload_hash must match the body whenever there is one; a request without a body may carry
 * the hash of no bytes or none at all (Vonage's signed GET).
 */
export function assertSignedWebhook(
  request: SignedRequest,
  secret: string,
  maxAgeSeconds: number,
  nowSeconds = Math.floor(Date.now() / 1000),
): string {
  const match = /^Bearer\s+([\w-]+\.[\w-]+\.[\w-]+)$/i.exec(request.authorization ?? '');
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
  if (issuedAt > nowSeconds + CLOCK_SKEW_SECONDS) {
    throw new HttpError('unauthorized', "the webhook token was issued ahead of this server's clock: check the clock (NTP)");
  }
  if (nowSeconds - issuedAt > maxAgeSeconds) throw new HttpError('unauthorized', 'the webhook token is too old to be a live request');
  const jti = claims?.jti;
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) {
    throw new HttpError('unauthorized', 'the webhook token has no jti');
  }

  const claimed = claims?.payload_hash;
  if (claimed === undefined && request.rawBody.length === 0) return jti;
  if (typeof claimed !== 'string') throw new HttpError('unauthorized', 'the webhook token has no payload_hash');
  const expected = sha256Hex(request.rawBody);
  const presented = Buffer.from(claimed.toLowerCase(), 'utf8');
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    throw new HttpError('unauthorized', 'the body does not match the signed payload_hash');
  }
  return jti;
}

/** What a token is spent on: the method, the path with its query, and the body. */
function requestFingerprint(req: Request, rawBody: Buffer): string {
  return createHash('sha256').update(`${req.method === 'HEAD' ? 'GET' : req.method} ${req.originalUrl}\n`).update(rawBody).digest('base64');
}

export interface WebhookSignatures {
  /** Verifies the signature and spends the token; empty when webhooks are not signed. */
  verify: RequestHandler[];
  /**
   * Goes before GET webhooks that carry their fields in the query: no signature covers a query,
   * so with signatures on they are refused and Vonage must send them by POST. Empty when not signed.
   */
  refuseQueryFields: RequestHandler[];
}

/**
 * Checks every webhook when a secret is configured. Without one there is nothing to check, and
 * no handler: the routes then skip a step that would only pass every request on.
 */
export function webhookSignatures(secret: string | null, maxAgeSeconds: number, logger: Logger): WebhookSignatures {
  if (secret === null) return { verify: [], refuseQueryFields: [] };
  const spentTokens = new SpentTokens(maxAgeSeconds + CLOCK_SKEW_SECONDS, () => {
    logger.warn('too many signed webhooks to remember every token until it expires: the oldest are forgotten early');
  });
  const verify: RequestHandler = (req, _res, next) => {
    const rawBody = (req as Request & { rawBody?: Buffer }).rawBody ?? Buffer.alloc(0);
    const jti = assertSignedWebhook({ authorization: req.get('authorization'), rawBody }, secret, maxAgeSeconds);
    if (spentTokens.spend(jti, requestFingerprint(req, rawBody), Math.floor(Date.now() / 1000)) === 'other-request') {
      throw new HttpError('unauthorized', 'the webhook token was already used for another request');
    }
    next();
  };
  const refuseQueryFields: RequestHandler = (_req, res, next) => {
    res.set('Allow', 'POST');
    next(new HttpError(
      'method_not_allowed',
      'signed webhooks must be sent by POST (a signature covers a body, not a query): set the HTTP method of the answer and event URLs to POST in the Vonage application',
    ));
  };
  return { verify: [verify], refuseQueryFields: [refuseQueryFields] };
}
