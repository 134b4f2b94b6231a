import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertValidNcco, fetchNcco } from './helpers/ncco-schema.js';
import { ADMIN_TOKEN, BUSINESS_PHONE, startTestService, vonageUuid, type TestService } from './helpers/service.js';

describe('the webhook server', () => {
  let service: TestService;
  before(async () => {
    service = await startTestService();
  });
  after(() => service.stop());

  const answerQuery = (fields: Record<string, string>) => `${service.url}/track-call?${new URLSearchParams(fields)}`;

  test('GET / answers Hello Vonage as the health check', async () => {
    const res = await fetch(service.url);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'Hello Vonage');
  });

  test('GET /track-call connects the caller to the business phone with the tracking number as caller ID', async () => {
    const uuid = vonageUuid();
    const res = await fetch(answerQuery({
      from: '447700900111', to: '447700900222', uuid, conversation_uuid: `CON-${uuid}`,
      region_url: 'https://api-eu-1.vonage.com', endpoint_type: 'phone',
    }));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    const ncco = await res.json();
    assertValidNcco(ncco);
    assert.deepEqual(ncco, [{ action: 'connect', from: '447700900222', endpoint: [{ type: 'phone', number: BUSINESS_PHONE }] }]);
    const call = await service.store.findCall(uuid);
    assert.equal(call?.caller, '447700900111');
    assert.equal(call?.trackingNumber, '447700900222');
  });

  test('POST /track-call with a JSON body answers the same NCCO', async () => {
    const uuid = vonageUuid();
    const res = await fetch(`${service.url}/track-call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: '14155550100', to: '14155550199', uuid, conversation_uuid: `CON-${uuid}` }),
    });
    assert.equal(res.status, 200);
    const ncco = await res.json();
    assertValidNcco(ncco);
    assert.equal(ncco[0].from, '14155550199');
    assert.equal((await service.store.findCall(uuid))?.caller, '14155550100');
  });

  test('a tracking number sent with its "+" is kept as E.164 digits: the caller ID in the NCCO and the record have none', async () => {
    for (const method of ['GET', 'POST']) {
      const uuid = vonageUuid();
      const fields = { from: '+447700900123', to: '+447700900234', uuid };
      const ncco = method === 'GET'
        ? await fetchNcco(answerQuery(fields))
        : await fetchNcco(`${service.url}/track-call`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(fields) });
      assert.equal(ncco[0].from, '447700900234', method);
      const call = await service.store.findCall(uuid);
      assert.equal(call?.trackingNumber, '447700900234');
      assert.equal(call?.caller, '447700900123');
    }
  });

  test('a retried answer webhook records one call', async () => {
    const uuid = vonageUuid();
    const fields = { from: '447700900333', to: '447700900444', uuid, conversation_uuid: `CON-${uuid}` };
    for (let i = 0; i < 3; i++) await fetchNcco(answerQuery(fields));
    const page = await service.store.listCalls({ trackingNumber: '447700900444', limit: 10 });
    assert.equal(page.calls.length, 1);
  });

  for (const [label, from] of [['missing', undefined], ['empty', ''], ['withheld', 'Unknown'], ['malformed', '++12ab']] as const) {
    test(`a ${label} caller ID is recorded as an unknown caller and still connected`, async () => {
      const uuid = vonageUuid();
      const fields: Record<string, string> = { to: '447700900555', uuid, conversation_uuid: `CON-${uuid}` };
      if (from !== undefined) fields.from = from;
      const res = await fetch(answerQuery(fields));
      assert.equal(res.status, 200);
      const ncco = await res.json();
      assertValidNcco(ncco);
      assert.equal(ncco[0].endpoint[0].number, BUSINESS_PHONE);
      const call = await service.store.findCall(uuid);
      assert.ok(call, 'the call is recorded');
      assert.equal(call.caller, null);
    });
  }

  test('a missing tracking number still connects the caller, without a caller ID, and records the call', async () => {
    const uuid = vonageUuid();
    const res = await fetch(answerQuery({ from: '447700900666', uuid }));
    assert.equal(res.status, 200);
    const ncco = await res.json();
    assertValidNcco(ncco);
    assert.equal(ncco[0].from, undefined);
    assert.equal(ncco[0].endpoint[0].number, BUSINESS_PHONE);
    assert.equal((await service.store.findCall(uuid))?.trackingNumber, null);
  });

  test('repeated or oversized query parameters are refused with a 400 and recorded nowhere', async () => {
    const uuid = vonageUuid();
    const repeated = await fetch(`${service.url}/track-call?to=447700900777&to=447700900778&uuid=${uuid}`);
    assert.equal(repeated.status, 400);
    assert.match((await repeated.json()).message, /more than once/);
    const long = await fetch(answerQuery({ to: '447700900777', uuid, from: '1'.repeat(5000) }));
    assert.equal(long.status, 400);
    assert.equal(await service.store.findCall(uuid), null);
  });

  test('a request too large for the HTTP parser (a 20 kB query) is refused with 431 and a log line without the query', async () => {
    const caller = '447700900432';
    const res = await fetch(answerQuery({ to: '447700900777', uuid: vonageUuid(), from: caller, padding: '9'.repeat(20_000) }));
    assert.equal(res.status, 431);
    const refused = service.logger.lines.filter((line) => line.message === 'request refused' && line.details?.status === 431);
    assert.equal(refused.length, 1, JSON.stringify(service.logger.lines.slice(-3)));
    assert.ok(!JSON.stringify(refused).includes(caller), 'no caller number in the log');
  });

  test('bad JSON, the wrong content type and a non-object body get a 4xx', async () => {
    const post = (body: string, type: string) =>
      fetch(`${service.url}/track-call`, { method: 'POST', headers: { 'content-type': type }, body });
    assert.equal((await post('{"to": ', 'application/json')).status, 400);
    assert.equal((await post('to=447700900111', 'application/x-www-form-urlencoded')).status, 415);
    assert.equal((await post('[1,2]', 'application/json')).status, 400);
    assert.equal((await post('"text"', 'application/json')).status, 400);
    assert.equal((await post(JSON.stringify({ to: 'x'.repeat(20_000) }), 'application/json')).status, 413);
  });

  test('POST /event and GET /event answer 204', async () => {
    const uuid = vonageUuid();
    const post = await fetch(`${service.url}/event`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ uuid, conversation_uuid: `CON-${uuid}`, status: 'started', direction: 'inbound', timestamp: new Date().toISOString() }),
    });
    assert.equal(post.status, 204);
    const get = await fetch(`${service.url}/event?${new URLSearchParams({ uuid, status: 'ringing', timestamp: new Date().toISOString() })}`);
    assert.equal(get.status, 204);
  });

  test('webhooks carrying object fields this server does not read, as Vonage sends them, are answered and recorded', async () => {
    const uuid = vonageUuid();
    const post = (path: string, body: unknown) =>
      fetch(`${service.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    // Vonage's own tutorials log inbound call events with `headers: {}` and null rate and start_time;
    // app calls add `custom_data`. Refusing them would drop the caller, or lose the call's outcome.
    const answer = await post('/track-call', {
      from: '447700900111', to: '447700900222', uuid, conversation_uuid: `CON-${uuid}`, endpoint_type: 'phone', headers: {}, custom_data: { source: 'app' },
    });
    assert.equal(answer.status, 200);
    assertValidNcco(await answer.json());
    const event = await post('/event', {
      start_time: null, headers: {}, rate: null, from: '447700900111', to: '447700900222', uuid, conversation_uuid: `CON-${uuid}`,
      status: 'answered', direction: 'inbound', timestamp: new Date().toISOString(),
    });
    assert.equal(event.status, 204);
    assert.equal((await service.store.findCall(uuid))?.inboundStatus, 'answered');
    // A field this server reads must still be one plain value.
    const nested = await post('/event', { uuid, conversation_uuid: `CON-${uuid}`, status: { value: 'completed' } });
    assert.equal(nested.status, 400);
    assert.match((await nested.json()).message, /"status" must be a plain value/);
  });

  test('an event with an impossible timestamp is refused with a 400', async () => {
    for (const timestamp of ['yesterday', '-005000-01-01T00:00:00Z', '+275760-09-13T00:00:00Z', '1969-12-31T23:59:59Z']) {
      const res = await fetch(`${service.url}/event`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ uuid: vonageUuid(), status: 'started', timestamp }),
      });
      assert.equal(res.status, 400, timestamp);
    }
  });

  test("Vonage's events without a call status (transfer, error) are acknowledged and change no call; a payload naming no leg is refused", async () => {
    const post = (body: unknown) => fetch(`${service.url}/event`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    const uuid = vonageUuid();
    const conversation = `CON-${vonageUuid()}`;
    await fetchNcco(answerQuery({ from: '447700900123', to: '447700900998', uuid, conversation_uuid: conversation }));
    const before = await (await fetch(`${service.url}/api/calls/${uuid}`, { headers: service.admin })).json();

    const transfer = await post({
      uuid, conversation_uuid_from: conversation, conversation_uuid_to: `CON-${vonageUuid()}`, timestamp: new Date().toISOString(),
    });
    assert.equal(transfer.status, 204, 'an error status would send Vonage to the fallback URL');
    const error = await post({ conversation_uuid: conversation, reason: 'Unable to dial 447700900123', timestamp: new Date().toISOString() });
    assert.equal(error.status, 204);
    const logged = service.logger.lines.filter((line) => line.message === 'Vonage reported an error');
    assert.deepEqual(logged.map((line) => line.details), [{ conversationUuid: conversation, reason: 'Unable to dial …' }],
      "the reason is logged without the caller's number");

    const after = await (await fetch(`${service.url}/api/calls/${uuid}`, { headers: service.admin })).json();
    assert.deepEqual(after, before, 'the call is as it was');

    for (const body of [{}, { timestamp: new Date().toISOString() }, { reason: 'no leg' }]) {
      const refused = await post(body);
      assert.equal(refused.status, 400, JSON.stringify(body));
      assert.match((await refused.json()).message, /"status" is required/);
    }
  });

  test('/tracked-calls lists calls grouped by tracking number, with the admin token only', async () => {
    const uuid = vonageUuid();
    await fetchNcco(answerQuery({ from: '447700900888', to: '447700900999', uuid }));
    assert.equal((await fetch(`${service.url}/tracked-calls`)).status, 401);
    const wrong = await fetch(`${service.url}/tracked-calls`, { headers: { authorization: 'Bearer not-the-token-at-all' } });
    assert.equal(wrong.status, 401);
    const res = await fetch(`${service.url}/tracked-calls`, { headers: service.admin });
    assert.equal(res.status, 200);
    const byNumber = await res.json();
    assert.deepEqual(byNumber['447700900999'].map((c: { from: string }) => c.from), ['447700900888']);
    assert.ok(!Number.isNaN(Date.parse(byNumber['447700900999'][0].timestamp)));
  });

  test('HTTP Basic with the token as password opens the admin routes, as a browser sends it', async () => {
    const basic = Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64');
    const res = await fetch(`${service.url}/tracked-calls`, { headers: { authorization: `Basic ${basic}` } });
    assert.equal(res.status, 200);
    const refused = await fetch(`${service.url}/tracked-calls`);
    assert.match(refused.headers.get('www-authenticate') ?? '', /^Basic/);
  });

  test('an unknown route answers a JSON 404', async () => {
    const res = await fetch(`${service.url}/nowhere`);
    assert.equal(res.status, 404);
    assert.equal((await res.json()).error, 'not_found');
  });
});

describe('without an admin token', () => {
  test('the admin routes are closed', async () => {
    const service = await startTestService({ ADMIN_TOKEN: '' });
    try {
      const res = await fetch(`${service.url}/tracked-calls`, { headers: { authorization: 'Bearer anything-at-all-here' } });
      assert.equal(res.status, 403);
      assert.equal((await res.json()).error, 'admin_closed');
    } finally {
      await service.stop();
    }
  });
});
