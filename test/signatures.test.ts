import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { legEventUrl } from '../src/domain/route-progress.js';
import { callbackMac } from '../src/security/callback-mac.js';
import { assertValidNcco } from './helpers/ncco-schema.js';
import { BUSINESS_PHONE, startTestService, vonageUuid, type TestService } from './helpers/service.js';
import { SIGNATURE_SECRET, bearer, rs256Token, sha256Hex, signedToken, unsignedToken } from './helpers/sign.js';

/** The jti a token carries (the claims are readable by anyone; only the signature is secret). */
function decodeJti(token: string): string {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')).jti;
}

describe('signed webhooks', () => {
  let service: TestService;
  before(async () => {
    service = await startTestService({ VONAGE_SIGNATURE_SECRET: SIGNATURE_SECRET, SIGNATURE_MAX_AGE_SECONDS: '300' });
  });
  after(() => service.stop());

  const answerFields = (uuid: string) => ({ from: '447700900111', to: '447700900222', uuid, conversation_uuid: `CON-${uuid}` });
  const getAnswer = (uuid: string, headers: Record<string, string> = {}) =>
    fetch(`${service.url}/track-call?${new URLSearchParams(answerFields(uuid))}`, { headers });
  const postJson = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${service.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  /** A POST answer webhook for `uuid`, with the headers given (none: unsigned). */
  const postAnswer = (uuid: string, headers: Record<string, string> = {}) => postJson('/track-call', JSON.stringify(answerFields(uuid)), headers);
  /** A token minted for exactly this answer webhook's body. */
  const answerToken = (uuid: string, options: Parameters<typeof signedToken>[0] = {}) =>
    signedToken({ body: JSON.stringify(answerFields(uuid)), ...options });

  async function assertRejected(res: Response, uuid: string, reason?: RegExp) {
    assert.equal(res.status, 401);
    const body = await res.json();
    assert.equal(body.error, 'unauthorized');
    if (reason) assert.match(body.message, reason);
    assert.equal(await service.store.findCall(uuid), null, 'a rejected webhook records nothing');
  }

  test('a signed GET answer webhook is refused with 405 and a log line saying to use POST, and records nothing', async () => {
    const uuid = vonageUuid();
    const res = await getAnswer(uuid, bearer(signedToken()));
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'POST');
    const body = await res.json();
    assert.equal(body.error, 'method_not_allowed');
    assert.match(body.message, /POST/);
    assert.equal(await service.store.findCall(uuid), null);
    assert.ok(service.logger.lines.some((line) => line.message === 'request refused' && line.details?.status === 405 && line.details?.path === '/track-call'));
  });

  test('a signed GET event webhook is refused with 405 too', async () => {
    const res = await fetch(`${service.url}/event?${new URLSearchParams({ uuid: vonageUuid(), status: 'completed' })}`, { headers: bearer(signedToken()) });
    assert.equal(res.status, 405);
  });

  test('a POST answer webhook whose payload_hash matches its raw bytes is connected and recorded', async () => {
    const uuid = vonageUuid();
    // Spacing JSON would not keep if re-serialised: the hash must be over the bytes as sent.
    const body = `{ "from": "447700900333",  "to": "447700900222", "uuid": "${uuid}" }`;
    const res = await postJson('/track-call', body, bearer(signedToken({ body })));
    assert.equal(res.status, 200);
    assertValidNcco(await res.json());
    assert.equal((await service.store.findCall(uuid))?.caller, '447700900333');
  });

  test("a signed failed leg posted to a route's event URL is answered with the route's next destination", async () => {
    const put = await fetch(`${service.url}/api/numbers/447700900223`, {
      method: 'PUT', headers: { ...service.admin, 'content-type': 'application/json' },
      body: JSON.stringify({ route: { destinations: [{ number: '+44 7700 900601' }, { number: '+44 7700 900602' }] } }),
    });
    assert.equal(put.status, 201);
    const uuid = vonageUuid('out');
    const body = JSON.stringify({ from: '447700900223', to: '447700900601', uuid, conversation_uuid: 'CON-signed-route', status: 'busy', direction: 'outbound' });
    // The progress rides in the query string with its MAC (as any instance with the secret
    // writes it); the signature covers the body, as Vonage signs it.
    const eventPath = legEventUrl('', { trackingNumber: '447700900223', turn: 0, tried: 1 }, callbackMac(SIGNATURE_SECRET));
    const res = await postJson(eventPath, body, bearer(signedToken({ body })));
    assert.equal(res.status, 200);
    const ncco = await res.json();
    assertValidNcco(ncco);
    assert.equal(ncco[0].endpoint[0].number, '447700900602');
    const unsigned = await postJson(eventPath, body);
    assert.equal(unsigned.status, 401, 'an unsigned one gets no next step');
  });

  test('an unsigned answer webhook is refused with 401, logged, and records nothing', async () => {
    const uuid = vonageUuid();
    await assertRejected(await postAnswer(uuid), uuid);
    assert.ok(service.logger.lines.some((line) => line.message === 'request refused' && line.details?.status === 401));
  });

  test('a token signed with another secret is refused', async () => {
    const uuid = vonageUuid();
    await assertRejected(await postAnswer(uuid, bearer(answerToken(uuid, { secret: 'someone-elses-secret-0123456789' }))), uuid);
  });

  test('a POST whose body was changed after signing is refused', async () => {
    const uuid = vonageUuid();
    const signedBody = JSON.stringify(answerFields(uuid));
    const tampered = JSON.stringify({ ...answerFields(uuid), from: '447700900999' });
    await assertRejected(await postJson('/track-call', tampered, bearer(signedToken({ body: signedBody }))), uuid, /payload_hash/);
  });

  test('a POST whose token carries no payload_hash is refused', async () => {
    const uuid = vonageUuid();
    await assertRejected(await postJson('/track-call', JSON.stringify(answerFields(uuid)), bearer(signedToken())), uuid);
  });

  test('a token issued longer ago than SIGNATURE_MAX_AGE_SECONDS is refused as a replay', async () => {
    const uuid = vonageUuid();
    await assertRejected(await postAnswer(uuid, bearer(answerToken(uuid, { iat: Math.floor(Date.now() / 1000) - 301 }))), uuid, /too old/);
  });

  test('a token that has expired by its own exp claim is refused', async () => {
    const uuid = vonageUuid();
    const now = Math.floor(Date.now() / 1000);
    await assertRejected(await postAnswer(uuid, bearer(answerToken(uuid, { iat: now - 20, claims: { exp: now - 10 } }))), uuid);
  });

  test('a token issued in the future beyond clock skew is refused', async () => {
    const uuid = vonageUuid();
    await assertRejected(await postAnswer(uuid, bearer(answerToken(uuid, { iat: Math.floor(Date.now() / 1000) + 3600 }))), uuid);
  });

  test('a token without iat is refused', async () => {
    const uuid = vonageUuid();
    await assertRejected(await postAnswer(uuid, bearer(answerToken(uuid, { claims: { iat: undefined } }))), uuid, /no iat/);
  });

  test('an unsigned token (alg none) is refused', async () => {
    const uuid = vonageUuid();
    await assertRejected(await postAnswer(uuid, bearer(unsignedToken({ iat: Math.floor(Date.now() / 1000), jti: 'j1', payload_hash: sha256Hex(JSON.stringify(answerFields(uuid))) }))), uuid);
  });

  test('a token signed RS256 with a forger\'s key is refused: only HS256 with the secret counts', async () => {
    const uuid = vonageUuid();
    await assertRejected(await postAnswer(uuid, bearer(rs256Token({ iat: Math.floor(Date.now() / 1000), jti: 'j2', payload_hash: sha256Hex(JSON.stringify(answerFields(uuid))) }))), uuid);
  });

  test('the secret sent as a Basic password or a bare token is refused', async () => {
    const uuid = vonageUuid();
    const basic = `Basic ${Buffer.from(`vonage:${SIGNATURE_SECRET}`).toString('base64')}`;
    await assertRejected(await postAnswer(uuid, { authorization: basic }), uuid);
    await assertRejected(await postAnswer(uuid, { authorization: `Bearer ${SIGNATURE_SECRET}` }), uuid);
  });

  test('a signed event webhook updates the call; an unsigned or tampered one changes nothing', async () => {
    const uuid = vonageUuid();
    assert.equal((await postAnswer(uuid, bearer(answerToken(uuid)))).status, 200);
    const event = (status: string) => JSON.stringify({ uuid, conversation_uuid: `CON-${uuid}`, status, direction: 'inbound', timestamp: new Date().toISOString() });

    const forged = event('completed');
    assert.equal((await postJson('/event', forged)).status, 401);
    assert.equal((await postJson('/event', event('completed'), bearer(signedToken({ body: event('ringing') })))).status, 401);
    assert.equal((await service.store.findCall(uuid))?.inboundStatus, null);

    const ringing = event('ringing');
    assert.equal((await postJson('/event', ringing, bearer(signedToken({ body: ringing })))).status, 204);
    assert.equal((await service.store.findCall(uuid))?.inboundStatus, 'ringing');
  });

  test('the whisper route needs a signature too, and its token serves that whisper only', async () => {
    const path = `${service.url}/whisper/447700900222`;
    assert.equal((await fetch(path)).status, 401);
    const token = signedToken();
    const res = await fetch(path, { headers: bearer(token) });
    assert.equal(res.status, 200);
    assertValidNcco(await res.json());
    const again = await fetch(path, { headers: bearer(token) });
    assert.equal(again.status, 200, 'the identical fetch again is answered');
    assertValidNcco(await again.json());
    assert.equal((await fetch(`${service.url}/whisper/447700900223`, { headers: bearer(token) })).status, 401);
    assert.equal((await fetch(path, { headers: bearer(signedToken({ body: '' })) })).status, 200, 'the hash of no bytes is the right hash for a GET');
  });

  test('a whisper token spent by HEAD serves the GET too (the same request), but not a POST', async () => {
    const path = `${service.url}/whisper/447700900222`;
    const token = signedToken();
    assert.equal((await fetch(path, { method: 'HEAD', headers: bearer(token) })).status, 200);
    assert.equal((await fetch(path, { headers: bearer(token) })).status, 200);
    const post = await fetch(path, { method: 'POST', headers: { ...bearer(token), 'content-type': 'application/json' } });
    assert.equal(post.status, 401);
    assert.match((await post.json()).message, /already used/);
  });

  test('payload_hash is compared whole: a hash wrong in its last character, cut short or lengthened is refused', async () => {
    const uuid = vonageUuid();
    const body = JSON.stringify(answerFields(uuid));
    const hash = sha256Hex(body);
    const lastFlipped = hash.slice(0, -1) + (hash.endsWith('0') ? '1' : '0');
    for (const payloadHash of [lastFlipped, hash.slice(0, 4), hash.slice(0, 63), `${hash}0`, hash.toUpperCase().slice(0, -1) + lastFlipped.slice(-1)]) {
      await assertRejected(await postJson('/track-call', body, bearer(signedToken({ claims: { payload_hash: payloadHash } }))), uuid, /payload_hash/);
    }
    assert.equal((await postJson('/track-call', body, bearer(signedToken({ claims: { payload_hash: hash.toUpperCase() } })))).status, 200, 'hex case does not matter');
  });

  test('a token without jti is refused: it could not be held to one request', async () => {
    const uuid = vonageUuid();
    await assertRejected(await postAnswer(uuid, bearer(answerToken(uuid, { claims: { jti: undefined } }))), uuid, /no jti/);
  });

  test('an identical retry with the same token is answered again and records one call', async () => {
    const uuid = vonageUuid();
    const token = answerToken(uuid);
    const first = await postAnswer(uuid, bearer(token));
    const retry = await postAnswer(uuid, bearer(token));
    assert.equal(first.status, 200);
    assert.equal(retry.status, 200);
    const [firstNcco, retryNcco] = [await first.json(), await retry.json()];
    assertValidNcco(firstNcco);
    assert.deepEqual(retryNcco, firstNcco);
    const { calls } = await service.store.listCalls({ limit: 500 });
    assert.equal(calls.filter((call) => call.uuid === uuid).length, 1);
  });

  test('a spent token is refused with 401 and a log line on another body or another path', async () => {
    const uuid = vonageUuid();
    const body = JSON.stringify(answerFields(uuid));
    const token = signedToken({ body });
    assert.equal((await postJson('/track-call', body, bearer(token))).status, 200);

    // Same body (so payload_hash matches) sent to another path: only the spent jti stops it.
    const event = await postJson('/event', body, bearer(token));
    assert.equal(event.status, 401);
    assert.match((await event.json()).message, /already used/);
    assert.ok(service.logger.lines.some((line) => line.message === 'request refused' && line.details?.path === '/event' && /already used/.test(String(line.details?.reason))));

    // Same path, a query added: another request.
    assert.equal((await postJson('/track-call?x=1', body, bearer(token))).status, 401);

    // Even a validly signed token for another body is refused when its jti was spent.
    const otherUuid = vonageUuid();
    const reused = signedToken({ body: JSON.stringify(answerFields(otherUuid)), claims: { jti: decodeJti(token) } });
    await assertRejected(await postAnswer(otherUuid, bearer(reused)), otherUuid, /already used/);
  });

  test('a token minted for a POST body is refused on a GET: an empty body does not match its payload_hash', async () => {
    const uuid = vonageUuid();
    const token = answerToken(uuid);
    const res = await fetch(`${service.url}/whisper/447700900222`, { headers: bearer(token) });
    assert.equal(res.status, 401);
    assert.match((await res.json()).message, /payload_hash/);
  });

  test('GET / and GET /healthz stay open without a signature', async () => {
    assert.equal((await fetch(service.url)).status, 200);
    assert.equal((await fetch(`${service.url}/healthz`)).status, 200);
  });
});
