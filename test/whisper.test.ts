import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PLAIN_WHISPER_TEXT } from '../src/domain/call-tracker.js';
import { fetchNcco } from './helpers/ncco-schema.js';
import { startTestService, vonageUuid, type TestService } from './helpers/service.js';
import { bearer, signedToken, SIGNATURE_SECRET } from './helpers/sign.js';

describe('call whisper', () => {
  let service: TestService;
  before(async () => {
    service = await startTestService({ PUBLIC_URL: 'https://abc123.ngrok.app/' });
    const res = await fetch(`${service.url}/api/numbers/442079460020`, {
      method: 'PUT',
      headers: { ...service.admin, 'content-type': 'application/json' },
      body: JSON.stringify({ campaign: 'Radio spot', whisper: 'Call from the radio spot' }),
    });
    assert.equal(res.status, 201);
  });
  after(() => service.stop());

  test("a whispered number's connect endpoint asks Vonage to fetch the whisper when the agent answers", async () => {
    const ncco = await fetchNcco(`${service.url}/track-call?to=442079460020&from=447700900555&uuid=${vonageUuid()}`);
    assert.deepEqual(ncco[0].endpoint[0].onAnswer, { url: 'https://abc123.ngrok.app/whisper/442079460020' });
    const plus = await fetchNcco(`${service.url}/track-call?${new URLSearchParams({ to: '+442079460020', uuid: vonageUuid() })}`);
    assert.deepEqual(plus[0].endpoint[0].onAnswer, ncco[0].endpoint[0].onAnswer, 'a tracking number sent with "+" finds its whisper');
    assert.deepEqual(ncco[0].eventUrl, ['https://abc123.ngrok.app/event']);
  });

  test('the whisper route answers a talk NCCO with the whisper text, by GET and by POST', async () => {
    const ncco = await fetchNcco(`${service.url}/whisper/442079460020`);
    assert.deepEqual(ncco, [{ action: 'talk', text: 'Call from the radio spot' }]);
    const post = await fetchNcco(`${service.url}/whisper/442079460020`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ uuid: vonageUuid() }),
    });
    assert.deepEqual(post, ncco);
  });

  test('a number without a whisper connects without one', async () => {
    const ncco = await fetchNcco(`${service.url}/track-call?to=442079460021&uuid=${vonageUuid()}`);
    assert.equal(ncco[0].endpoint[0].onAnswer, undefined);
  });

  test('a whisper URL that does not end in a number is refused with a 400', async () => {
    assert.equal((await fetch(`${service.url}/whisper/not-a-number`)).status, 400);
  });
});

describe('call whisper without PUBLIC_URL', () => {
  test('is left out of the NCCO, since Vonage could not reach it', async () => {
    const service = await startTestService();
    try {
      await fetch(`${service.url}/api/numbers/442079460022`, {
        method: 'PUT', headers: { ...service.admin, 'content-type': 'application/json' }, body: JSON.stringify({ whisper: 'Hello' }),
      });
      const ncco = await fetchNcco(`${service.url}/track-call?to=442079460022&uuid=${vonageUuid()}`);
      assert.equal(ncco[0].endpoint[0].onAnswer, undefined);
    } finally {
      await service.stop();
    }
  });
});

describe('call whisper with signed webhooks', () => {
  let service: TestService;
  before(async () => {
    service = await startTestService({ PUBLIC_URL: 'https://abc123.ngrok.app', VONAGE_SIGNATURE_SECRET: SIGNATURE_SECRET });
    for (const [number, whisper] of [['442079460023', 'Call from the radio spot'], ['442079460024', 'Call from the secret campaign']]) {
      const res = await fetch(`${service.url}/api/numbers/${number}`, {
        method: 'PUT', headers: { ...service.admin, 'content-type': 'application/json' }, body: JSON.stringify({ whisper }),
      });
      assert.equal(res.status, 201);
    }
  });
  after(() => service.stop());

  /** The whisper as Vonage fetches it (a signed GET), at `path` on the test server. */
  const whisperAt = (path: string) => fetchNcco(`${service.url}${path}`, { headers: bearer(signedToken()) });

  test('the whisper URL carries a MAC of its number; another number, or no MAC, hears the plain announcement and is logged', async () => {
    const body = JSON.stringify({ to: '442079460023', from: '447700900555', uuid: vonageUuid() });
    const answer = await fetchNcco(`${service.url}/track-call`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...bearer(signedToken({ body })) }, body,
    });
    const url = new URL(answer[0].endpoint[0].onAnswer.url);
    assert.equal(url.pathname, '/whisper/442079460023');
    assert.match(url.search, /^\?mac=[\w-]{43}$/);
    assert.deepEqual(await whisperAt(url.pathname + url.search), [{ action: 'talk', text: 'Call from the radio spot' }]);

    for (const path of [`/whisper/442079460024${url.search}`, '/whisper/442079460023', '/whisper/442079460023?mac=forged']) {
      const before = service.logger.lines.length;
      assert.deepEqual(await whisperAt(path), [{ action: 'talk', text: PLAIN_WHISPER_TEXT }], path);
      assert.ok(service.logger.lines.slice(before).some((line) => line.message.startsWith('whisper URL not proven')), `${path} is logged`);
    }
  });
});
