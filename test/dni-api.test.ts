// The DNI endpoints over HTTP: the pool admin API's validation, the public visit endpoints'
// origin check, input limits and per-address allowance, and the snippet itself.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';
import { startTestService, type TestService } from './helpers/service.js';

const SITE = 'https://www.plumbers.example';

describe('DNI over HTTP', () => {
  let service: TestService;
  before(async () => {
    service = await startTestService({ DNI_ALLOWED_ORIGINS: `${SITE}, https://shop.example`, DNI_HOLDS_PER_ADDRESS_PER_HOUR: '3' });
    const res = await putPool('website', { campaign: 'Website', replaces: '020 7946 0000', numbers: ['+44 20 7946 0001', '+44 20 7946 0002'] });
    // A national number without country code is refused; the pool is then created in full.
    assert.equal(res.status, 400);
    const created = await putPool('website', { campaign: 'Website', replaces: '+44 20 7946 0000', numbers: ['+44 20 7946 0001', '+44 20 7946 0002'] });
    assert.equal(created.status, 201);
  });
  after(() => service.stop());

  const putPool = (id: string, body: unknown) => fetch(`${service.url}/api/pools/${id}`, {
    method: 'PUT', headers: { ...service.admin, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const visit = (body: unknown, headers: Record<string, string> = {}) => fetch(`${service.url}/dni/visits`, {
    method: 'POST', headers: { origin: SITE, 'content-type': 'text/plain', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body),
  });

  test('a pool is listed with its numbers, hold time and campaign, and its numbers become tracking numbers of the campaign', async () => {
    const { pools } = await (await fetch(`${service.url}/api/pools`, { headers: service.admin })).json();
    assert.deepEqual(pools, [{
      id: 'website', campaign: 'Website', replacesNumber: '442079460000', numbers: ['442079460001', '442079460002'], holdSeconds: 1800,
    }]);
    const { numbers } = await (await fetch(`${service.url}/api/numbers`, { headers: service.admin })).json();
    assert.deepEqual(numbers.map((n: { number: string; campaign: string }) => [n.number, n.campaign]), [['442079460001', 'Website'], ['442079460002', 'Website']]);
  });

  test('bad pools are refused with a 400 naming the field', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['website', { replaces: '+44 20 7946 0000', numbers: ['+44 20 7946 0003', 'call me'] }, /"numbers\.1"/],
      ['website', { replaces: '+44 20 7946 0000', numbers: [] }, /"numbers"/],
      ['website', { replaces: '+44 20 7946 0000', numbers: ['+44 20 7946 0003'], holdMinutes: 0 }, /"holdMinutes"/],
      ['website', { replaces: '+44 20 7946 0000', numbers: ['+44 20 7946 0003'], colour: 'red' }, /"colour"/],
      ['website', { numbers: ['+44 20 7946 0003'] }, /"replaces"/],
      ['website', { replaces: '+44 20 7946 0000', numbers: ['+44 20 7946 0000'] }, /"numbers" must not include/],
      ['Web Site', { replaces: '+44 20 7946 0000', numbers: ['+44 20 7946 0003'] }, /"id"/],
      ['other', { replaces: '+44 20 7946 0000', numbers: ['+44 20 7946 0001'] }, /another pool/],
    ];
    for (const [id, body, message] of cases) {
      const res = await putPool(encodeURIComponent(id), body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match((await res.json()).message, message);
    }
    assert.equal((await fetch(`${service.url}/api/pools`)).status, 401, 'the pool API is an admin API');
  });

  test('an allowed site gets a number with CORS headers; its visit renews by heartbeat', async () => {
    const res = await visit({ pool: 'website', utmSource: 'google', gclid: 'Cj0KCQ' }, { 'x-forwarded-for': '198.51.100.1' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), SITE);
    const body = await res.json();
    assert.deepEqual(Object.keys(body).sort(), ['heartbeatSeconds', 'heldUntil', 'holdSeconds', 'number', 'replaces', 'visitId']);
    assert.equal(body.replaces, '442079460000');
    assert.equal(body.holdSeconds, 1800);
    const beat = await fetch(`${service.url}/dni/visits/${body.visitId}/heartbeat`, { method: 'POST', headers: { origin: SITE } });
    assert.deepEqual({ ...(await beat.json()), heldUntil: undefined }, { held: true, number: body.number, heldUntil: undefined, holdSeconds: 1800 });
    const unknown = await fetch(`${service.url}/dni/visits/AAAAAAAAAAAAAAAAAAAAAA/heartbeat`, { method: 'POST', headers: { origin: SITE } });
    assert.deepEqual(await unknown.json(), { held: false });
  });

  test('a preflight from an allowed site is answered; other origins and requests without one are refused', async () => {
    const preflight = await fetch(`${service.url}/dni/visits`, {
      method: 'OPTIONS', headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://shop.example');
    for (const headers of [{ origin: 'https://evil.example' }, { origin: '' }]) {
      const res = await visit({ pool: 'website' }, headers);
      assert.equal(res.status, 403);
      assert.equal(res.headers.get('access-control-allow-origin'), null);
      assert.equal((await res.json()).error, 'origin_not_allowed');
    }
  });

  test('bad visit requests get a 400 naming the field, never a 5xx', async () => {
    const cases: [unknown, RegExp][] = [
      ['not json', /not valid JSON/],
      [{ pool: 'website', utmSource: 'x'.repeat(201) }, /"utmSource"/],
      [{ pool: 'website', gclid: '=HYPERLINK("x")' }, /"gclid"/],
      [{ pool: 'website', visitId: '../../etc' }, /"visitId"/],
      [{ pool: 'website', utmTerm: 'a\u0000b' }, /"utmTerm"/],
      [{ pool: 'website', email: 'someone@example.com' }, /"email"/],
      [{ pool: 'Website!' }, /"pool"/],
      [[1, 2], /"body"/],
    ];
    for (const [body, message] of cases) {
      const res = await visit(body, { 'x-forwarded-for': '198.51.100.2' });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match((await res.json()).message, message);
    }
    assert.equal((await visit({ pool: 'nope' })).status, 404);
    assert.equal((await visit('{"pool":"website","utmTerm":"' + 'x'.repeat(5000) + '"}')).status, 413);
  });

  test('one address gets a limited number of new holds per hour, and keeps its own visit beyond it', async () => {
    const address = { 'x-forwarded-for': '203.0.113.9' };
    const visits = [];
    for (let i = 0; i < 3; i++) {
      const res = await visit({ pool: 'website' }, address);
      assert.equal(res.status, 200);
      visits.push(await res.json());
    }
    const refused = await visit({ pool: 'website' }, address);
    assert.equal(refused.status, 429);
    const returning = await visit({ pool: 'website', visitId: visits[2].visitId }, address);
    assert.equal(returning.status, 200);
    assert.equal((await returning.json()).number, visits[2].number);
    assert.equal((await visit({ pool: 'website' }, { 'x-forwarded-for': '203.0.113.10' })).status, 200, 'another address is not affected');
  });

  test('/dni.js is a small script anyone may load', async () => {
    const res = await fetch(`${service.url}/dni.js`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^application\/javascript/);
    assert.equal(res.headers.get('cross-origin-resource-policy'), 'cross-origin');
    const script = await res.text();
    assert.ok(script.length < 10_000, `${script.length} bytes`);
    assert.doesNotMatch(script.replace(/^\s*\/\/.*$/gm, ''), /https?:\/\//, 'the snippet requests nothing but its own server');
  });

  test('the Google Ads export refuses a missing conversion name or an unknown time zone', async () => {
    const csv = (query: string) => fetch(`${service.url}/api/conversions/google-ads.csv?${query}`, { headers: service.admin });
    assert.match((await (await csv('')).json()).message, /"conversionName"/);
    assert.match((await (await csv('conversionName=Call&tz=Mars/Olympus')).json()).message, /"tz"/);
    assert.match((await (await csv('conversionName=Call&currency=pounds&value=3')).json()).message, /"currency"/);
    assert.equal((await fetch(`${service.url}/api/conversions/google-ads.csv?conversionName=Call`)).status, 401);
    const empty = await (await csv('conversionName=Call')).text();
    assert.equal(empty, 'Parameters:TimeZone=UTC\r\nGoogle Click ID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency\r\n');
  });

  test('the attribution view sizes each pool', async () => {
    const res = await fetch(`${service.url}/api/attribution`, { headers: service.admin });
    assert.equal(res.status, 200);
    const body = await res.json();
    const [pool] = body.pools;
    assert.equal(pool.poolId, 'website');
    assert.equal(pool.size, 2);
    assert.ok(pool.peakConcurrentVisits >= 3, 'more visits than numbers were served');
    assert.equal(pool.numbersToAdd, pool.peakConcurrentVisits - 2);
  });

  test('DNI_ALLOWED_ORIGINS takes origins only, and says which entry is wrong', () => {
    const load = (origins: string) => loadConfig({ PROXY_TO_NUMBER: '447700900000', DNI_ALLOWED_ORIGINS: origins });
    assert.deepEqual(load(' https://www.example.com, http://localhost:8080/ ').dniAllowedOrigins, ['https://www.example.com', 'http://localhost:8080']);
    assert.deepEqual(load('').dniAllowedOrigins, []);
    for (const bad of ['www.example.com', 'https://www.example.com/shop', 'ftp://example.com']) {
      assert.throws(() => load(bad), (error: unknown) => error instanceof ConfigError && error.message.includes(`DNI_ALLOWED_ORIGINS: "${bad}"`));
    }
  });
});
