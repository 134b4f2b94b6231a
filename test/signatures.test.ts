import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertValidNcco } from './helpers/ncco-schema.js';
import { BUSINESS_PHONE, startTestService, vonageUuid, type TestService } from './helpers/service.js';
import { SIGNATURE_SECRET, bearer, rs256Token, signedToken, unsignedToken } from './helpers/sign.js';

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

  async function assertRejected(res: Response, uuid: string, reason?: RegExp) {
    assert.equal(res.status, 401);
    const body = await res.json();
    assert.equal(body.error, 'unauthorized');
    if (reason) assert.match(body.message, reason);
    assert.equal(await service.store.findCall(uuid), null, 'a rejected webhook records nothing');
  }

  test('a GET answer webhook with a valid signature is connected and recorded', async () => {
    const uuid = vonageUuid();
    const res = await getAnswer(uuid, bearer(signedToken()));
    assert.equal(res.status, 200);
    const ncco = await res.json();
    assertValidNcco(ncco);
    assert.equal(ncco[0].endpoint[0].number, BUSINESS_PHONE);
    assert.equal((await service.store.findCall(uuid))?.caller, '447700900111');
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
    // The progress rides in the query string; the signature covers the body, as Vonage signs it.
    const res = await postJson('/event?turn=0&tried=1&number=447700900223', body, bearer(signedToken({ body })));
    assert.equal(res.status, 200);
    const ncco = await res.json();
    assertValidNcco(ncco);
    assert.equal(ncco[0].endpoint[0].number, '447700900602');
    const unsigned = await postJson('/event?turn=0&tried=1&number=447700900223', body);
    assert.equal(unsigned.status, 401, 'an unsigned one gets no next step');
  });

  test('an unsigned answer webhook is refused with 401, logged, and records nothing', async () => {
    const uuid = vonageUuid();
    await assertRejected(await getAnswer(uuid), uuid);
    assert.ok(service.logger.lines.some((line) => line.message === 'request refused' && line.details?.status === 401));
  });

  test('a token signed with another secret is refused', async () => {
    const uuid = vonageUuid();
    await assertRejected(await getAnswer(uuid, bearer(signedToken({ secret: 'someone-elses-secret-0123456789' }))), uuid);
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
    await assertRejected(await getAnswer(uuid, bearer(signedToken({ iat: Math.floor(Date.now() / 1000) - 301 }))), uuid, /too old/);
  });

  test('a token that has expired by its own exp claim is refused', async () => {
    const uuid = vonageUuid();
    const now = Math.floor(Date.now() / 1000);
    await assertRejected(await getAnswer(uuid, bearer(signedToken({ iat: now - 20, claims: { exp: now - 10 } }))), uuid);
  });

  test('a token issued in the future beyond clock skew is refused', async () => {
    const uuid = vonageUuid();
    await assertRejected(await getAnswer(uuid, bearer(signedToken({ iat: Math.floor(Date.now() / 1000) + 3600 }))), uuid);
  });

  test('a token without iat is refused', async () => {
    const uuid = vonageUuid();
    await assertRejected(await getAnswer(uuid, bearer(signedToken({ claims: { iat: undefined } }))), uuid, /no iat/);
  });

  test('an unsigned token (alg none) is refused', async () => {
    const uuid = vonageUuid();
    await assertRejected(await getAnswer(uuid, bearer(unsignedToken({ iat: Math.floor(Date.now() / 1000) }))), uuid);
  });

  test('a token signed RS256 with a forger\'s key is refused: only HS256 with the secret counts', async () => {
    const uuid = vonageUuid();
    await assertRejected(await getAnswer(uuid, bearer(rs256Token({ iat: Math.floor(Date.now() / 1000) }))), uuid);
  });

  test('the secret sent as a Basic password or a bare token is refused', async () => {
    const uuid = vonageUuid();
    const basic = `Basic ${Buffer.from(`vonage:${SIGNATURE_SECRET}`).toString('base64')}`;
    await assertRejected(await getAnswer(uuid, { authorization: basic }), uuid);
    await assertRejected(await getAnswer(uuid, { authorization: `Bearer ${SIGNATURE_SECRET}` }), uuid);
  });

  test('a signed event webhook updates the call; an unsigned or tampered one changes nothing', async () => {
    const uuid = vonageUuid();
    assert.equal((await getAnswer(uuid, bearer(signedToken()))).status, 200);
    const event = (status: string) => JSON.stringify({ uuid, conversation_uuid: `CON-${uuid}`, status, direction: 'inbound', timestamp: new Date().toISOString() });

    const forged = event('completed');
    assert.equal((await postJson('/event', forged)).status, 401);
    assert.equal((await postJson('/event', event('completed'), bearer(signedToken({ body: event('ringing') })))).status, 401);
    assert.equal((await service.store.findCall(uuid))?.inboundStatus, null);

    const ringing = event('ringing');
    assert.equal((await postJson('/event', ringing, bearer(signedToken({ body: ringing })))).status, 204);
    assert.equal((await service.store.findCall(uuid))?.inboundStatus, 'ringing');
  });

  test('the whisper route needs a signature too', async () => {
    const path = `${service.url}/whisper/447700900222`;
    assert.equal((await fetch(path)).status, 401);
    const res = await fetch(path, { headers: bearer(signedToken()) });
    assert.equal(res.status, 200);
    assertValidNcco(await res.json());
  });

  test('GET / and GET /healthz stay open without a signature', async () => {
    assert.equal((await fetch(service.url)).status, 200);
    assert.equal((await fetch(`${service.url}/healthz`)).status, 200);
  });
});
