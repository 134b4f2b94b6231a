// assertSignedWebhook and webhookSignatures on their own, at the edges of each rule, with the
// clock fixed (signatures.test.ts covers the same over HTTP).

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { HttpError } from '../src/http/http-error.js';
import { assertSignedWebhook, webhookSignatures } from '../src/security/webhook-signature.js';
import { MemoryLogger } from './helpers/memory-logger.js';
import { SIGNATURE_SECRET, sha256Hex, signedToken, unsignedToken, rs256Token } from './helpers/sign.js';

const NOW = 1_800_000_000;
const MAX_AGE = 300;
const BODY = Buffer.from('{"uuid":"leg-1","to":"447700900222"}');
const NO_BODY = Buffer.alloc(0);

const check = (authorization: string | undefined, rawBody = BODY) => assertSignedWebhook({ authorization, rawBody }, SIGNATURE_SECRET, MAX_AGE, NOW);
const token = (claims: Record<string, unknown> = {}, body: Buffer | null = BODY) =>
  `Bearer ${signedToken({ iat: NOW, claims: { jti: 'jti-1', ...(body === null ? {} : { payload_hash: sha256Hex(body) }), ...claims } })}`;

function assertRefused(authorization: string | undefined, reason: RegExp, rawBody = BODY) {
  assert.throws(() => check(authorization, rawBody), (error: unknown) => {
    assert.ok(error instanceof HttpError);
    assert.equal(error.status, 401);
    assert.match(error.message, reason);
    return true;
  });
}

/** A token over segments of our choosing, HMAC-signed with the secret as Vonage would. */
function handMade(header: string, claims: string): string {
  const head = `${Buffer.from(header).toString('base64url')}.${Buffer.from(claims).toString('base64url')}`;
  return `Bearer ${head}.${createHmac('sha256', SIGNATURE_SECRET).update(head).digest('base64url')}`;
}

describe('a signed webhook token', () => {
  test('a valid token returns its jti', () => {
    assert.equal(check(token()), 'jti-1');
  });

  test('Authorization must be exactly "Bearer <JWT>" (any case, any spacing after Bearer)', () => {
    const jwt = token().slice('Bearer '.length);
    assert.equal(check(`bearer   ${jwt}`), 'jti-1');
    assertRefused(undefined, /needs Authorization: Bearer <JWT>/);
    assertRefused(`Basic ${jwt}`, /needs Authorization: Bearer/);
    assertRefused(`xBearer ${jwt}`, /needs Authorization: Bearer/);
    assertRefused(`Bearer ${jwt} trailing`, /needs Authorization: Bearer/);
    assertRefused(`Bearer${jwt}`, /needs Authorization: Bearer/);
  });

  test('only HS256 with the secret: alg none, RS256 and another secret are refused, saying which', () => {
    // alg none with something where the signature goes: the header alone decides.
    assertRefused(`Bearer ${unsignedToken({ iat: NOW, jti: 'j', payload_hash: sha256Hex(BODY) })}x`, /must be HS256/);
    assertRefused(`Bearer ${rs256Token({ iat: NOW, jti: 'j', payload_hash: sha256Hex(BODY) })}`, /must be HS256/);
    assertRefused(`Bearer ${signedToken({ iat: NOW, secret: 'another-secret-0123456789', claims: { jti: 'j', payload_hash: sha256Hex(BODY) } })}`, /does not verify/);
  });

  test('segments that are not JSON are refused, not a crash', () => {
    assertRefused(handMade('not json', '{}'), /must be HS256/);
    assertRefused(handMade('{"alg":"HS256","typ":"JWT"}', 'not json'), /./);
  });

  test('iat: up to the clock skew in the future and SIGNATURE_MAX_AGE_SECONDS in the past', () => {
    assert.equal(check(token({ iat: NOW + 30 })), 'jti-1');
    // A clock running behind Vonage's looks like this: the message must not call the token old.
    assertRefused(token({ iat: NOW + 31 }), /issued ahead of this server's clock/);
    assert.equal(check(token({ iat: NOW - MAX_AGE })), 'jti-1');
    assertRefused(token({ iat: NOW - MAX_AGE - 1 }), /too old/);
    assertRefused(handMade('{"alg":"HS256","typ":"JWT"}', JSON.stringify({ iat: String(NOW), jti: 'j', payload_hash: sha256Hex(BODY) })), /no iat/);
  });

  test('jti: a non-empty string of at most 128 characters', () => {
    assert.equal(check(token({ jti: 'j'.repeat(128) })), 'j'.repeat(128));
    assertRefused(token({ jti: 'j'.repeat(129) }), /no jti/);
    assertRefused(token({ jti: '' }), /no jti/);
    assertRefused(token({ jti: 42 }), /no jti/);
    assertRefused(token({ jti: undefined }), /no jti/);
  });

  test('payload_hash: required with a body; without one, absent or the hash of no bytes', () => {
    assertRefused(token({}, null), /no payload_hash/);
    assertRefused(token({ payload_hash: 42 }), /no payload_hash/);
    assert.equal(check(token({}, null), NO_BODY), 'jti-1');
    assert.equal(check(token({}, NO_BODY), NO_BODY), 'jti-1');
    assertRefused(token({}, BODY), /does not match the signed payload_hash/, NO_BODY);
    assertRefused(token({ payload_hash: sha256Hex(BODY).toUpperCase() }, null), /./, Buffer.from('{}'));
    assert.equal(check(token({ payload_hash: sha256Hex(BODY).toUpperCase() })), 'jti-1');
  });
});

describe('the webhook signature checks', () => {
  test('without a secret there is nothing to check: no handlers', () => {
    assert.deepEqual(webhookSignatures(null, MAX_AGE, new MemoryLogger()), { verify: [], refuseQueryFields: [] });
  });

  test('with a secret, one check for signed webhooks and one refusal for GET webhooks with query fields', () => {
    const signatures = webhookSignatures(SIGNATURE_SECRET, MAX_AGE, new MemoryLogger());
    assert.equal(signatures.verify.length, 1);
    assert.equal(signatures.refuseQueryFields.length, 1);
  });
});
