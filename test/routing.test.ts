// Call routing end to end: routes set through the numbers API, calls driven as Vonage drives them
// (answer webhook, then each leg's events to its connect's event URL), at instants set on the
// service's clock. Every NCCO is checked against the schema by the helpers.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ConnectAction, Ncco } from '../src/domain/ncco.js';
import { BLOCKED_CALL_TEXT } from '../src/domain/route.js';
import { assertValidNcco } from './helpers/ncco-schema.js';
import { createTestDatabase, postgresSkipReason, type TestDatabase } from './helpers/postgres.js';
import { postWebhook, routeCall } from './helpers/routed-call.js';
import { freePort, startServerProcess, type ServerProcess } from './helpers/server-process.js';
import { ADMIN_TOKEN, BUSINESS_PHONE, startTestService, vonageUuid, type TestService } from './helpers/service.js';
import { SIGNATURE_SECRET } from './helpers/sign.js';
import { BACKENDS, suiteStores } from './helpers/store-backends.js';

const PUBLIC_URL = 'https://calls.example.com';
const WEEKDAYS_9_TO_5 = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((day) => [day, [{ from: '09:00', to: '17:00' }]]));

let clockMs = Date.UTC(2026, 2, 2, 12, 0);
const clock = () => new Date(clockMs);
const setClock = (iso: string) => {
  clockMs = Date.parse(iso);
};

async function putJson(service: TestService, path: string, body: unknown): Promise<Response> {
  return fetch(`${service.url}${path}`, {
    method: 'PUT', headers: { ...service.admin, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
}

async function setRoute(service: TestService, number: string, body: unknown): Promise<void> {
  const res = await putJson(service, `/api/numbers/${number}`, body);
  assert.ok(res.status === 200 || res.status === 201, `${res.status} ${await res.text()}`);
}

interface CallJson {
  uuid: string;
  outcome: string;
  forwardTo: string;
  answeredBy: string | null;
  attempts: { destination: string | null; status: string | null; answered: boolean }[];
}

async function callJson(service: TestService, number: string, uuid: string): Promise<CallJson> {
  await new Promise((resolve) => setTimeout(resolve, 20));
  const res = await fetch(`${service.url}/api/calls?number=${number}&limit=500`, { headers: service.admin });
  assert.equal(res.status, 200);
  const { calls } = (await res.json()) as { calls: CallJson[] };
  const call = calls.find((c) => c.uuid === uuid);
  assert.ok(call, `${uuid} is listed`);
  return call;
}

const spoken = (ncco: Ncco) => ncco.flatMap((action) => (action.action === 'talk' ? [action.text] : []));
const firstConnect = (ncco: Ncco) => ncco.find((action): action is ConnectAction => action.action === 'connect');

/** What a leg's event URL, with its route progress changed, is answered for a busy leg: signed as Vonage signs. */
async function busyLegAnswer(serverUrl: string, eventUrl: string, change: (query: URLSearchParams) => void): Promise<Ncco> {
  const query = new URL(eventUrl).searchParams;
  change(query);
  const res = await postWebhook(`${serverUrl}/event?${query}`, {
    to: '447700900901', uuid: vonageUuid('rt-out'), conversation_uuid: `CON-${vonageUuid()}`, status: 'busy', direction: 'outbound',
  }, SIGNATURE_SECRET);
  assert.equal(res.status, 200, 'the caller is still given an NCCO');
  const ncco = (await res.json()) as Ncco;
  assertValidNcco(ncco);
  return ncco;
}

/** How a leg whose progress is not proven is answered: the default route, PROXY_TO_NUMBER with no caller ID, nothing after it. */
const UNPROVEN_ANSWER: Ncco = [{ action: 'connect', endpoint: [{ type: 'phone', number: BUSINESS_PHONE }], eventUrl: [`${PUBLIC_URL}/event`], eventMethod: 'POST' }];

/** Each way a replay could alter a leg's progress: none may steer the call or reveal a route. */
const TAMPERINGS: [string, (query: URLSearchParams) => void][] = [
  ['tried', (query) => query.set('tried', '2')],
  ['turn', (query) => query.set('turn', '1')],
  ['number', (query) => query.set('number', '442079460402')],
  ['no MAC', (query) => query.delete('mac')],
  ['a MAC of other progress', (query) => query.set('mac', 'A'.repeat(43))],
];

describe('call routing through the numbers API', () => {
  let service: TestService;
  before(async () => {
    service = await startTestService({ PUBLIC_URL, TIMEZONE: 'America/New_York' }, undefined, clock);
  });
  after(() => service.stop());

  test('opening hours follow each zone across its daylight saving change; closed callers hear the closed message', async () => {
    // TIMEZONE (New York) is the default zone; London is named on its route.
    await setRoute(service, '442079460101', {
      campaign: 'NY office',
      route: { hours: WEEKDAYS_9_TO_5, destinations: [{ number: '+1 212 555 0101' }], closedAction: { type: 'message', text: 'New York is closed.' } },
    });
    await setRoute(service, '442079460102', {
      route: {
        timeZone: 'Europe/London', hours: WEEKDAYS_9_TO_5, closedDates: ['2026-12-25'],
        destinations: [{ number: '+44 7700 900102' }], closedAction: { type: 'message', text: 'London is closed.' },
      },
    });
    const cases = [
      // New York moves to EDT on Sunday 8 March 2026: 13:30 UTC is 08:30 on the Friday before, 09:30 the Monday after.
      { number: '442079460101', at: '2026-03-06T13:30:00Z', open: false },
      { number: '442079460101', at: '2026-03-06T14:00:00Z', open: true },
      { number: '442079460101', at: '2026-03-09T13:30:00Z', open: true },
      { number: '442079460101', at: '2026-03-09T12:59:00Z', open: false },
      { number: '442079460101', at: '2026-03-09T20:59:00Z', open: true },
      { number: '442079460101', at: '2026-03-09T21:00:00Z', open: false },
      { number: '442079460101', at: '2026-03-07T15:00:00Z', open: false }, // a Saturday
      // London moves to BST on Sunday 29 March 2026: 08:30 UTC is 08:30 on the Friday before, 09:30 the Monday after.
      { number: '442079460102', at: '2026-03-27T08:30:00Z', open: false },
      { number: '442079460102', at: '2026-03-30T08:30:00Z', open: true },
      { number: '442079460102', at: '2026-03-30T16:00:00Z', open: false },
      { number: '442079460102', at: '2026-12-25T12:00:00Z', open: false }, // a closed date, on a Friday
      { number: '442079460102', at: '2026-12-24T12:00:00Z', open: true },
    ];
    for (const { number, at, open } of cases) {
      setClock(at);
      const call = await routeCall(service.url, { trackingNumber: number, caller: '447700900555', startMs: clockMs });
      const [ncco] = call.nccos;
      if (open) {
        assert.equal(call.rung.length, 1, `${number} at ${at} rings`);
        assert.equal((await callJson(service, number, call.uuid)).outcome, 'answered');
      } else {
        assert.deepEqual(call.rung, [], `${number} at ${at} rings nobody`);
        assert.deepEqual(spoken(ncco!), [number === '442079460101' ? 'New York is closed.' : 'London is closed.'], `${number} at ${at}`);
      }
    }
  });

  test('first destination busy, the second answers: the call shows both attempts and who answered', async () => {
    setClock('2026-03-10T15:00:00Z');
    await setRoute(service, '442079460103', {
      campaign: 'Team',
      route: {
        destinations: [{ number: '+44 7700 900201', ringSeconds: 15 }, { number: '+44 7700 900202', ringSeconds: 20 }],
        closedAction: { type: 'message', text: 'Nobody could answer.' },
      },
    });
    const call = await routeCall(service.url, { trackingNumber: '442079460103', caller: '447700900556', legs: ['busy', 'answered'], startMs: clockMs });
    assert.deepEqual(call.rung, ['447700900201', '447700900202']);
    const [first, second] = call.nccos;
    assert.equal(first![0]!.action, 'connect');
    assert.deepEqual({ ...first![0], eventUrl: undefined }, {
      action: 'connect', from: '442079460103', endpoint: [{ type: 'phone', number: '447700900201' }], timeout: 15,
      eventType: 'synchronous', eventUrl: undefined, eventMethod: 'POST',
    });
    assert.match((first![0] as { eventUrl: string[] }).eventUrl[0]!, /^https:\/\/calls\.example\.com\/event\?/);
    assert.equal((second![0] as { timeout?: number }).timeout, 20);

    const stored = await callJson(service, '442079460103', call.uuid);
    assert.equal(stored.outcome, 'answered');
    assert.equal(stored.forwardTo, '447700900201');
    assert.equal(stored.answeredBy, '447700900202');
    assert.deepEqual(stored.attempts, [
      { destination: '447700900201', status: 'busy', answered: false },
      { destination: '447700900202', status: 'completed', answered: true },
    ]);
  });

  test('every destination fails: the caller gets the closed action, and the call is missed with every attempt kept', async () => {
    setClock('2026-03-10T15:05:00Z');
    const call = await routeCall(service.url, { trackingNumber: '442079460103', caller: '447700900557', legs: ['timeout', 'unanswered'], startMs: clockMs });
    assert.deepEqual(call.rung, ['447700900201', '447700900202']);
    assert.deepEqual(spoken(call.nccos[2]!), ['Nobody could answer.']);
    const stored = await callJson(service, '442079460103', call.uuid);
    assert.equal(stored.outcome, 'missed');
    assert.equal(stored.answeredBy, null);
    assert.deepEqual(stored.attempts.map((a) => [a.destination, a.status]), [['447700900201', 'timeout'], ['447700900202', 'unanswered']]);
  });

  test('a closed action that forwards rings that number once the team has failed', async () => {
    setClock('2026-03-10T15:06:00Z');
    await setRoute(service, '442079460104', {
      route: { destinations: [{ number: '+44 7700 900301' }], closedAction: { type: 'forward', number: '+44 7700 900399' } },
    });
    const call = await routeCall(service.url, { trackingNumber: '442079460104', caller: '447700900558', legs: ['rejected', 'answered'], startMs: clockMs });
    assert.deepEqual(call.rung, ['447700900301', '447700900399']);
    assert.equal((call.nccos[1]![0] as { eventType?: string }).eventType, undefined, 'nothing follows the closed action');
    assert.equal((await callJson(service, '442079460104', call.uuid)).answeredBy, '447700900399');
  });

  test('blocked callers, exact and by prefix, globally and per number, are never connected and are recorded as blocked', async () => {
    setClock('2026-03-10T15:10:00Z');
    const put = await putJson(service, '/api/block-list', { numbers: ['+44 7700 900666'], prefixes: ['+1 900'] });
    assert.equal(put.status, 200);
    assert.deepEqual(await put.json(), { numbers: ['447700900666'], prefixes: ['1900'], withheld: false });
    await setRoute(service, '442079460105', {
      route: { destinations: [{ number: '+44 7700 900401' }], blockList: { prefixes: ['4477009007'], withheld: true } },
    });
    const cases = [
      { number: '442079460105', caller: '447700900666', blocked: true }, // global, exact
      { number: '442079460101', caller: '19005550123', blocked: true }, // global, prefix
      { number: '442079460105', caller: '447700900777', blocked: true }, // this number's prefix
      { number: '442079460105', caller: null, blocked: true }, // withheld, blocked on this number
      { number: '442079460103', caller: null, blocked: false }, // withheld elsewhere: connected
      { number: '442079460103', caller: '447700900777', blocked: false }, // the prefix is another number's
    ];
    for (const { number, caller, blocked } of cases) {
      const call = await routeCall(service.url, { trackingNumber: number, caller, startMs: clockMs });
      const stored = await callJson(service, number, call.uuid);
      if (blocked) {
        assert.deepEqual(call.rung, [], `${caller} on ${number} is not connected`);
        assert.deepEqual(call.nccos, [[{ action: 'talk', text: BLOCKED_CALL_TEXT }]]);
        assert.equal(stored.outcome, 'blocked');
        assert.deepEqual(stored.attempts, []);
      } else {
        assert.equal(call.rung.length, 1, `${caller} on ${number} is connected`);
        assert.equal(stored.outcome, 'answered');
      }
    }
    assert.ok(!service.logger.lines.some((line) => JSON.stringify(line).includes('447700900666')), 'no caller number in the log');
  });

  test("a viewer sees that callers are blocked, with their numbers masked as everywhere else; a manager sees them in full", async () => {
    assert.equal((await putJson(service, '/api/block-list', { numbers: ['+44 7700 900666'], prefixes: ['+1 900'] })).status, 200);
    await setRoute(service, '442079460108', { route: { blockList: { numbers: ['+44 7700 900444'], prefixes: ['4477009007'] } } });
    const sessionOf = async (role: 'viewer' | 'manager') => {
      const user = { username: `blocks-${role}`, password: 'a long enough password', role };
      const made = await fetch(`${service.url}/api/users`, { method: 'POST', headers: { ...service.admin, 'content-type': 'application/json' }, body: JSON.stringify(user) });
      assert.equal(made.status, 201, await made.text());
      const login = await fetch(`${service.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) });
      assert.equal(login.status, 200);
      return { cookie: login.headers.getSetCookie().map((cookie) => cookie.split(';')[0]).join('; ') };
    };
    const blocksSeenBy = async (headers: Record<string, string>) => {
      const global = await (await fetch(`${service.url}/api/block-list`, { headers })).json();
      const { numbers } = (await (await fetch(`${service.url}/api/numbers`, { headers })).json()) as { numbers: { number: string; route: { blockList: unknown } | null }[] };
      return { global, perNumber: numbers.find((entry) => entry.number === '442079460108')?.route?.blockList };
    };
    assert.deepEqual(await blocksSeenBy(await sessionOf('viewer')), {
      global: { numbers: ['•••••••••666'], prefixes: ['1900'], withheld: false },
      perNumber: { numbers: ['•••••••••444'], prefixes: ['4477009007'], withheld: false },
    });
    assert.deepEqual(await blocksSeenBy(await sessionOf('manager')), {
      global: { numbers: ['447700900666'], prefixes: ['1900'], withheld: false },
      perNumber: { numbers: ['447700900444'], prefixes: ['4477009007'], withheld: false },
    });
  });

  test('a blocked call counts as a call and as blocked, neither answered nor missed, in the report', async () => {
    await setRoute(service, '442079460106', { campaign: 'Blocked only', route: { blockList: { numbers: ['+44 7700 900888'] } } });
    setClock('2026-03-11T15:00:00Z');
    await routeCall(service.url, { trackingNumber: '442079460106', caller: '447700900888', startMs: clockMs });
    const res = await fetch(`${service.url}/api/report?since=2026-03-11&until=2026-03-12`, { headers: service.admin });
    const report = (await res.json()) as { rows: { campaign: string; calls: number; answered: number; missed: number; blocked: number; answerRate: number | null }[] };
    const row = report.rows.find((r) => r.campaign === 'Blocked only');
    assert.deepEqual(row && { calls: row.calls, answered: row.answered, missed: row.missed, blocked: row.blocked, answerRate: row.answerRate },
      { calls: 1, answered: 0, missed: 0, blocked: 1, answerRate: null });
  });

  test('invalid routes are refused with a 400 that names the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ timeZone: 'Mars/Olympus' }, /"route\.timeZone" is not an IANA time zone/],
      [{ hours: { mon: [{ from: '09:00', to: '12:00' }, { from: '11:00', to: '14:00' }] } }, /"route\.hours\.mon\.1" overlaps 09:00-12:00/],
      [{ hours: { tue: [{ from: '17:00', to: '09:00' }] } }, /"route\.hours\.tue\.0\.to" must be after "from"/],
      [{ hours: { wed: [{ from: '9am', to: '17:00' }] } }, /"route\.hours\.wed\.0\.from" must be a time of day/],
      [{ destinations: [] }, /"route\.destinations" must list at least one destination/],
      [{ destinations: [{ number: 'call me' }] }, /"route\.destinations\.0\.number" "call me" is not a phone number/],
      [{ closedAction: { type: 'forward', number: '12' } }, /"route\.closedAction\.number" "12" is not a phone number/],
      [{ closedDates: ['2026-02-30'] }, /"route\.closedDates\.0" is not a calendar date/],
      [{ strategy: 'random' }, /"route\.strategy"/],
      [{ destinations: [{ number: '+44 7700 900001', ringSeconds: 1 }] }, /"route\.destinations\.0\.ringSeconds"/],
      [{ holidays: [] }, /"route\.holidays" is not a field/],
      // Ringing the tracking number itself would bring the call back here as a new one, again and again.
      [{ destinations: [{ number: '+44 20 7946 0199' }] }, /"route\.destinations\.0\.number" is the tracking number itself/],
      [{ closedAction: { type: 'forward', number: '442079460199' } }, /"route\.closedAction\.number" is the tracking number itself/],
    ];
    for (const [route, message] of cases) {
      const res = await putJson(service, '/api/numbers/442079460199', { route });
      assert.equal(res.status, 400, JSON.stringify(route));
      assert.match(((await res.json()) as { message: string }).message, message);
    }
    const both = await putJson(service, '/api/numbers/442079460199', { forwardTo: '+44 7700 900001', route: { destinations: [{ number: '+44 7700 900002' }] } });
    assert.equal(both.status, 400);
    const badList = await putJson(service, '/api/block-list', { prefixes: ['abc'] });
    assert.equal(badList.status, 400);
    assert.match(((await badList.json()) as { message: string }).message, /"prefixes\.0"/);
    const listed = (await (await fetch(`${service.url}/api/numbers`, { headers: service.admin })).json()) as { numbers: { number: string }[] };
    assert.ok(!listed.numbers.some((n) => n.number === '442079460199'), 'nothing refused was saved');
  });

  test('the numbers API shows a route as stored, with its defaults filled in', async () => {
    const res = await putJson(service, '/api/numbers/442079460107', { route: { destinations: [{ number: '+44 7700 900501' }], strategy: 'round_robin' } });
    assert.equal(res.status, 201);
    assert.deepEqual(((await res.json()) as { route: unknown }).route, {
      timeZone: null, hours: null, closedDates: [], destinations: [{ number: '447700900501', ringSeconds: null }],
      strategy: 'round_robin', closedAction: null, blockList: { numbers: [], prefixes: [], withheld: false },
      record: null, voicemail: null, transcription: null,
    });
  });
});

for (const backend of BACKENDS) {
  describe(`signed webhooks on the ${backend.name} store: each leg's route progress is proven by its MAC`, { skip: backend.skip }, () => {
    let service: TestService;
    // Hooks run in order: the service stops before suiteStores closes its store.
    after(() => service?.stop());
    const { freshStore } = suiteStores(backend);
    before(async () => {
      service = await startTestService({ PUBLIC_URL, VONAGE_SIGNATURE_SECRET: SIGNATURE_SECRET }, await freshStore(), clock);
      await setRoute(service, '442079460401', {
        route: { destinations: [{ number: '+44 7700 900901' }, { number: '+44 7700 900902' }], closedAction: { type: 'message', text: 'Nobody is free.' } },
      });
      await setRoute(service, '442079460402', { route: { destinations: [{ number: '+44 7700 900911' }, { number: '+44 7700 900912' }] } });
    });

    test('an honest fail-over rings each destination, then the closed action', async () => {
      setClock('2026-03-10T15:00:00Z');
      const call = await routeCall(service.url, {
        trackingNumber: '442079460401', caller: '447700900560', legs: ['busy', 'unanswered'], startMs: clockMs, signatureSecret: SIGNATURE_SECRET,
      });
      assert.deepEqual(call.rung, ['447700900901', '447700900902']);
      assert.match(firstConnect(call.nccos[0]!)!.eventUrl![0]!, /[?&]mac=[\w-]{43}(&|$)/);
      assert.deepEqual(spoken(call.nccos[2]!), ['Nobody is free.']);
      assert.deepEqual((await callJson(service, '442079460401', call.uuid)).attempts.map((a) => a.status), ['busy', 'unanswered']);
    });

    test('a leg whose turn, tried or number was changed, or whose MAC is missing, connects the caller to PROXY_TO_NUMBER and is logged', async () => {
      setClock('2026-03-10T15:01:00Z');
      const call = await routeCall(service.url, { trackingNumber: '442079460401', caller: '447700900561', signatureSecret: SIGNATURE_SECRET, startMs: clockMs });
      const eventUrl = firstConnect(call.nccos[0]!)!.eventUrl![0]!;
      assert.deepEqual(firstConnect(await busyLegAnswer(service.url, eventUrl, () => {}))!.endpoint, [{ type: 'phone', number: '447700900902' }], 'as written, it is followed');
      for (const [name, change] of TAMPERINGS) {
        const before = service.logger.lines.length;
        assert.deepEqual(await busyLegAnswer(service.url, eventUrl, change), UNPROVEN_ANSWER, name);
        const logged = service.logger.lines.slice(before).filter((line) => line.message.startsWith('route progress in the event URL is not proven'));
        assert.equal(logged.length, 1, `${name} is logged`);
      }
    });
  });
}

describe('without PUBLIC_URL', () => {
  let service: TestService;
  before(async () => {
    service = await startTestService({}, undefined, clock);
  });
  after(() => service.stop());

  test('hours, round robin and blocking still apply; a failed first destination ends the call as plain forwarding does', async () => {
    setClock('2026-03-10T15:00:00Z');
    await setRoute(service, '442079460201', {
      route: { destinations: [{ number: '+44 7700 900601' }, { number: '+44 7700 900602' }], strategy: 'round_robin', closedAction: { type: 'message', text: 'Closed.' } },
    });
    const first = await routeCall(service.url, { trackingNumber: '442079460201', caller: '447700900559', legs: ['busy'], startMs: clockMs });
    const second = await routeCall(service.url, { trackingNumber: '442079460201', caller: '447700900559', legs: ['busy'], startMs: clockMs });
    assert.deepEqual([first.rung, second.rung], [['447700900601'], ['447700900602']]);
    assert.deepEqual(first.nccos[0], [{ action: 'connect', from: '442079460201', endpoint: [{ type: 'phone', number: '447700900601' }] }]);
  });

  test("Vonage's retry of a round-robin call's answer webhook rings the same phone and spends no turn", async () => {
    setClock('2026-03-10T15:00:00Z');
    await setRoute(service, '442079460202', {
      route: { destinations: [{ number: '+44 7700 900611' }, { number: '+44 7700 900612' }, { number: '+44 7700 900613' }], strategy: 'round_robin' },
    });
    const answer = async (uuid: string) => {
      const res = await postWebhook(`${service.url}/track-call`, { to: '442079460202', from: '447700900559', uuid, conversation_uuid: `CON-${uuid}` });
      assert.equal(res.status, 200);
      const ncco = (await res.json()) as Ncco;
      assertValidNcco(ncco);
      return firstConnect(ncco)?.endpoint[0];
    };
    const [first, second] = [vonageUuid(), vonageUuid()];
    const rung = [await answer(first), await answer(first), await answer(second), await answer(first)];
    assert.deepEqual(rung.map((endpoint) => endpoint && 'number' in endpoint && endpoint.number),
      ['447700900611', '447700900611', '447700900612', '447700900611']);
  });
});

describe('signed round robin and fail-over on two server processes sharing PostgreSQL', { skip: postgresSkipReason, timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ct-routing-'));
  let database: TestDatabase;
  const servers: ServerProcess[] = [];
  before(async () => {
    database = await createTestDatabase('routing');
    for (const name of ['a', 'b']) {
      servers.push(await startServerProcess(await freePort(), {
        PROXY_TO_NUMBER: BUSINESS_PHONE, DATABASE_URL: database.url, ADMIN_TOKEN, PUBLIC_URL, ACCESS_LOG: 'off', VONAGE_SIGNATURE_SECRET: SIGNATURE_SECRET,
        SPOOL_PATH: join(dir, `${name}-spool.ndjson`),
        // The shared turn is what this test is about: on a busy machine the store may miss the
        // usual 250 ms and the instance fall back to its own count (tested with the outages).
        ANSWER_STORE_TIMEOUT_MS: '2000',
      }, dir));
    }
  });
  after(async () => {
    for (const server of servers) await server.stop('SIGTERM');
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('9 calls spread unevenly over both ring each of 3 destinations first 3 times, each fail-over proven on the other instance', async () => {
    const team = ['447700900701', '447700900702', '447700900703'];
    // Set through each process, rather than waiting for the other's periodic refresh.
    for (const server of servers) {
      const res = await fetch(`${server.url}/api/numbers/442079460301`, {
        method: 'PUT', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ route: { destinations: team.map((number) => ({ number })), strategy: 'round_robin' } }),
      });
      assert.ok(res.status === 200 || res.status === 201);
    }
    const firsts = new Map<string, number>();
    for (const [i, instance] of [0, 1, 1, 0, 0, 0, 1, 0, 1].entries()) {
      // Uneven on purpose: what keeps the rotation is the shared count, not the balancer.
      const call = await routeCall(servers[instance]!.url, {
        trackingNumber: '442079460301', caller: `4477009008${i}0`, legs: ['busy', 'busy', 'busy'], eventsTo: servers[1 - instance]!.url,
        signatureSecret: SIGNATURE_SECRET,
      });
      assert.deepEqual([...call.rung].sort(), team, 'each destination rung once, the fail-over answered by the other instance');
      firsts.set(call.rung[0]!, (firsts.get(call.rung[0]!) ?? 0) + 1);
      if (i === 0) {
        // A signed leg event replayed to the other instance with another tried: not proven there either.
        const eventUrl = firstConnect(call.nccos[0]!)!.eventUrl![0]!;
        assert.deepEqual(await busyLegAnswer(servers[1 - instance]!.url, eventUrl, (query) => query.set('tried', '2')), UNPROVEN_ANSWER);
      }
    }
    assert.deepEqual(Object.fromEntries(firsts), Object.fromEntries(team.map((number) => [number, 3])));
  });
});
