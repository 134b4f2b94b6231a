import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { CallRecord } from '../src/domain/calls.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { CallStore } from '../src/store/call-store.js';
import type { TrackingNumber } from '../src/domain/tracking-numbers.js';
import { assertValidNcco } from './helpers/ncco-schema.js';
import { ADMIN_TOKEN, startTestService, type TestService } from './helpers/service.js';
import { SIGNATURE_SECRET, bearer, signedToken } from './helpers/sign.js';

/** Enough requests to reach odd corners, few enough to run in seconds. */
const RUNS = 200;
const REQUESTS_PER_RUN = 10;
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
/**
 * Most requests get past routing, authentication, signatures and body parsing with hostile
 * values, so that the handlers themselves are what is tested; the rest are hostile throughout.
 */
const WELL_FORMED_WEIGHT = 3;
const HOSTILE_WEIGHT = 1;
/** The share of all requests that must reach a handler; below it the fuzz mostly tests the gates. */
const MIN_SHARE_REACHING_HANDLERS = 0.6;
/**
 * The well-formed admin requests come through a proxy on loopback from this address, so that the
 * hostile ones' failed logins (from loopback itself) never put them over the failed-login limit.
 */
const ADMIN_ADDRESS = '192.0.2.10';

interface HostileRequest {
  method: string;
  path: string;
  query: [string, string][];
  headers: Record<string, string>;
  body: Buffer | null;
}

interface Answer {
  /** 0 when the connection ended without an answer. */
  status: number;
  body: string;
}

const KNOWN_NUMBER = '447700900901';

/** Refusals made before any handler runs: body parsing (the error handler's messages for them). */
const PARSER_MESSAGES = new Set(['the body is not valid JSON', 'the body is too large', 'unsupported body encoding', 'the request could not be read']);

/** True when the answer came from a route's handler, not from a gate in front of it. */
function reachedHandler(answer: Answer): boolean {
  if (answer.status >= 200 && answer.status < 300) return true;
  if (answer.status !== 400 && answer.status !== 404) return false;
  try {
    const { message } = JSON.parse(answer.body) as { message: string };
    return !PARSER_MESSAGES.has(message) && !message.startsWith('no route for');
  } catch {
    return false;
  }
}

const paths = fc.oneof(
  fc.constantFrom(
    '/', '/track-call', '/event', `/whisper/${KNOWN_NUMBER}`, '/whisper/', '/whisper/%E0%A4%A', '/whisper/..%2f..%2fetc',
    '/tracked-calls', '/api/calls', '/api/calls.csv', '/api/numbers', '/api/numbers/%00', '/api/numbers/%ZZ',
    '/api/report', '/api/report.csv', '/api/report/daily', '/api/report/hour-of-week', '/dashboard', '/dashboard/',
    '/dashboard/latest-calls', '/dashboard/assets/../../package.json', '/dashboard/assets/%2e%2e/x', '/healthz',
    '//track-call', '/track-call/', '/TRACK-CALL', '/api/numbers/__proto__', '/api/numbers/constructor',
  ),
  fc.tuple(fc.constantFrom('/api/numbers/', '/whisper/', '/dashboard/assets/', '/api/'), fc.string({ maxLength: 40 }))
    .map(([base, tail]) => base + encodeURIComponent(tail)),
  fc.webPath().map((path) => (path.startsWith('/') ? path : `/${path}`)),
);

const queryKeys = fc.oneof(
  fc.constantFrom(
    'to', 'from', 'from_user', 'uuid', 'conversation_uuid', 'status', 'timestamp', 'duration', 'direction', 'call_uuid',
    'number', 'campaign', 'since', 'until', 'limit', 'cursor', 'day', '__proto__', 'constructor', 'prototype',
    '__proto__[polluted]', 'constructor[prototype][polluted]', 'to[]', 'from[0]', 'uuid[$gt]', '',
  ),
  fc.string({ maxLength: 20, unit: 'binary' }),
);

const queryValues = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ maxLength: 30, unit: 'binary' }),
  fc.constantFrom('447700900222', '', '0', '-1', '1e309', 'NaN', 'null', 'true', '[]', '{}', '2026-02-30', '9999-99-99T99:99:99Z'),
  fc.integer({ min: 600, max: 9000 }).map((n) => 'x'.repeat(n)),
  fc.stringMatching(/^[0-9+ ()-]{0,30}$/),
);

const contentTypes = fc.constantFrom(
  undefined, 'application/json', 'application/json; charset=utf-8', 'application/json; charset=utf-16',
  'application/json; charset=bogus', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x',
  'application/vnd.api+json', 'application/*', '*/*', ';;;', 'application/json, text/plain',
);

const authorizations = fc.constantFrom(
  undefined, `Bearer ${ADMIN_TOKEN}`, `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`, 'Bearer ',
  'Bearer a.b.c', 'Basic !!!', 'Basic ', `Bearer ${ADMIN_TOKEN}x`, 'Negotiate abc', `bearer  ${ADMIN_TOKEN}`,
  `Basic ${Buffer.from('no-colon').toString('base64')}`, 'x'.repeat(4000),
);

function deeplyNested(depth: number): string {
  return `${'{"a":['.repeat(depth)}1${']}'.repeat(depth)}`;
}

const bodies = fc.oneof(
  fc.constant(null),
  fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes)),
  fc.jsonValue({ maxDepth: 4 }).map((value) => Buffer.from(JSON.stringify(value) ?? 'null')),
  fc.array(fc.tuple(queryKeys, fc.oneof(queryValues, fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }))), { maxLength: 8 })
    .map((fields) => Buffer.from(JSON.stringify(Object.fromEntries(fields)))),
  fc.constantFrom(
    '{"__proto__":{"polluted":"yes"},"to":"447700900222","uuid":"proto-1"}',
    '{"constructor":{"prototype":{"polluted":"yes"}},"status":"answered","uuid":"proto-2"}',
    '{"to":"1","to":"2","uuid":"dup","uuid":"dup2"}',
    '{"campaign":{"__proto__":{"polluted":"yes"}}}',
    '{"status":"completed","uuid":"x","duration":"1e400"}',
    '{"status":"completed","uuid":"x","timestamp":"+275760-09-13T00:00:00.001Z"}',
    '\uFEFF{"to":"447700900222"}', '{"to":"\\ud800"}', '[]', 'null', '"string"', '1', '{', '{"a":1}}', '',
  ).map((text) => Buffer.from(text)),
  fc.integer({ min: 1000, max: 6000 }).map((depth) => Buffer.from(deeplyNested(depth))),
  fc.integer({ min: 17 * 1024, max: 80 * 1024 }).map((size) => Buffer.alloc(size, 'a')),
);

const hostileRequests = fc.record<HostileRequest>({
  method: fc.constantFrom('GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
  path: paths,
  query: fc.array(fc.tuple(queryKeys, queryValues), { maxLength: 8 }),
  headers: fc.record(
    {
      'content-type': contentTypes,
      authorization: authorizations,
      'x-hostile': fc.integer({ min: 0, max: 12_000 }).map((n) => 'h'.repeat(n)),
      'content-encoding': fc.constantFrom(undefined, 'gzip', 'deflate', 'br', 'identity', 'bogus'),
      accept: fc.constantFrom(undefined, 'text/csv', 'application/json', '*/*', 'image/png'),
    },
    { requiredKeys: [] },
  ).map((headers) => Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== undefined)) as Record<string, string>),
  body: bodies,
});

const hostileText = fc.oneof(
  queryValues,
  fc.string({ maxLength: 400, unit: 'grapheme' }),
  fc.constantFrom('\u0000', '\r\nX-Injected: 1', '../../etc/passwd', '<script>alert(1)</script>', "' OR 1=1 --", '=cmd|calc', '\uFEFF\u202E', '😀'.repeat(200), ' '),
);
/** Numbers as Vonage sends them, as people write them, and as nobody should. */
/** Mostly values of the right shape (at their edges), so that whole requests get through; else hostile text. */
const plausibleOr = (plausible: fc.Arbitrary<string>) => fc.oneof({ weight: 5, arbitrary: plausible }, { weight: 1, arbitrary: hostileText });
const phoneish = plausibleOr(fc.oneof(
  fc.constantFrom('447700900222', `+${KNOWN_NUMBER}`, '00447700900222', '+', 'Unknown', 'Restricted', '12', '0'.repeat(15), '9'.repeat(16)),
  fc.stringMatching(/^\+?[1-9][0-9]{9,14}$/),
));
const uuidish = plausibleOr(fc.oneof(fc.uuid(), fc.stringMatching(/^[\w.:-]{1,128}$/)));
const timestampish = plausibleOr(fc.oneof(
  fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((date) => date.toISOString()),
  fc.constantFrom('2026-11-01', '2026-02-30', '2026-11-01T09:00:00+14:00', '0000-01-01T00:00:00Z', '-000001-01-01T00:00:00Z'),
));
const statusish = plausibleOr(
  fc.constantFrom('started', 'ringing', 'answered', 'busy', 'cancelled', 'unanswered', 'disconnected', 'rejected', 'failed', 'human', 'machine', 'timeout', 'completed'),
);
/** A field's value: mostly text, now and then a JSON type the field was not meant to have. */
const valueOf = (text: fc.Arbitrary<string>) =>
  fc.oneof({ weight: 20, arbitrary: text }, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));

const answerBody = fc.record(
  { to: valueOf(phoneish), from: valueOf(phoneish), from_user: valueOf(hostileText), uuid: valueOf(uuidish), conversation_uuid: valueOf(uuidish.map((id) => `CON-${id}`)) },
  { requiredKeys: ['uuid'] },
);
const eventBody = fc.record(
  {
    uuid: valueOf(uuidish), call_uuid: valueOf(uuidish), conversation_uuid: valueOf(uuidish.map((id) => `CON-${id}`)), status: valueOf(statusish),
    direction: valueOf(fc.oneof(fc.constantFrom('inbound', 'outbound'), hostileText)), timestamp: valueOf(timestampish),
    duration: valueOf(fc.oneof(fc.nat({ max: 100_000 }).map(String), hostileText)), to: valueOf(phoneish), from: valueOf(phoneish),
    start_time: valueOf(timestampish), end_time: valueOf(timestampish), rate: valueOf(hostileText), price: valueOf(hostileText),
  },
  { requiredKeys: ['status'] },
);

/** A Vonage webhook as Vonage would send it, signed, with hostile values in its fields. */
const signedWebhook: fc.Arbitrary<HostileRequest> = fc
  .oneof(
    fc.tuple(fc.constant('/track-call'), answerBody),
    fc.tuple(fc.constant('/event'), eventBody),
    fc.tuple(fc.oneof(fc.constant(KNOWN_NUMBER), fc.stringMatching(/^[0-9]{1,16}$/), hostileText).map((number) => `/whisper/${encodeURIComponent(number)}`), answerBody),
  )
  .map(([path, fields]) => {
    const body = JSON.stringify(fields);
    return {
      method: 'POST', path, query: [],
      headers: { 'content-type': 'application/json', ...bearer(signedToken({ body })) },
      body: Buffer.from(body),
    };
  });

const callQuery = fc.record(
  { number: phoneish, campaign: plausibleOr(fc.constantFrom('Radio', '', 'Spring flyer')), since: timestampish, until: timestampish, limit: plausibleOr(fc.nat({ max: 1000 }).map(String)), cursor: hostileText },
  { requiredKeys: [] },
);
const reportQuery = fc.record({ since: timestampish, until: timestampish }, { requiredKeys: [] });
const dashboardQuery = fc.record({ days: plausibleOr(fc.constantFrom('7', '30', '90')), from: timestampish, to: timestampish }, { requiredKeys: [] });
/** Any number but the one whose entry the last test checks is untouched. */
const otherNumber = phoneish.filter((number) => normalisedOrSelf(number) !== KNOWN_NUMBER);

function normalisedOrSelf(number: string): string {
  return number.replace(/^\+|^00/, '');
}

/** An admin request with the right token and hostile values in its query, path or body. */
const adminRequest: fc.Arbitrary<HostileRequest> = fc
  .oneof(
    fc.tuple(fc.constantFrom('GET'), fc.constantFrom('/api/calls', '/api/calls.csv', '/tracked-calls', '/dashboard/latest-calls'), callQuery, fc.constant(null)),
    fc.tuple(fc.constantFrom('GET'), fc.constantFrom('/api/report', '/api/report.csv', '/api/report/daily', '/api/report/hour-of-week'), reportQuery, fc.constant(null)),
    fc.tuple(fc.constantFrom('GET'), fc.constantFrom('/dashboard', '/api/numbers'), dashboardQuery, fc.constant(null)),
    fc.tuple(
      fc.constantFrom('PUT'),
      otherNumber.map((number) => `/api/numbers/${encodeURIComponent(number)}`),
      fc.constant({}),
      fc.record({ campaign: valueOf(plausibleOr(fc.string({ minLength: 1, maxLength: 100 }))), forwardTo: valueOf(phoneish), whisper: valueOf(plausibleOr(fc.string({ minLength: 1, maxLength: 1500 }))) }, { requiredKeys: [] }),
    ),
    fc.tuple(fc.constantFrom('DELETE'), otherNumber.map((number) => `/api/numbers/${encodeURIComponent(number)}`), fc.constant({}), fc.constant(null)),
  )
  .map(([method, path, query, fields]) => ({
    method, path,
    query: Object.entries(query).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`, 'x-forwarded-for': ADMIN_ADDRESS,
      ...(fields === null ? {} : { 'content-type': 'application/json' }),
    },
    body: fields === null ? null : Buffer.from(JSON.stringify(fields)),
  }));

const requests = fc.oneof(
  { weight: WELL_FORMED_WEIGHT, arbitrary: fc.oneof(signedWebhook, adminRequest) },
  { weight: HOSTILE_WEIGHT, arbitrary: hostileRequests },
);

/** Routes whose successful answer is an NCCO for Vonage. */
const answersNcco = (req: HostileRequest) => req.method !== 'HEAD' && /^\/(track-call|whisper\/[^/]*)$/.test(req.path);

function framed(req: HostileRequest): Record<string, string> {
  return req.body === null ? req.headers : { ...req.headers, 'content-length': String(req.body.length) };
}

function target(req: HostileRequest): string {
  if (req.query.length === 0) return req.path;
  return `${req.path}?${req.query.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join('&')}`;
}

describe('hostile input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'call-tracker-fuzz-'));
  const agent = new Agent({ keepAlive: true, maxSockets: REQUESTS_PER_RUN });
  let store: CallStore;
  let service: TestService;
  let callsBefore: CallRecord[];
  let numbersBefore: TrackingNumber[];
  const statuses = new Map<number, number>();
  let sent = 0;
  let reachingHandlers = 0;
  let answeredOk = 0;

  function send(req: HostileRequest): Promise<Answer> {
    const url = new URL(service.url);
    return new Promise((resolve) => {
      const outgoing = request(
        // Node frames a GET's body with nothing unless told its length; unframed bytes would be a
        // different (garbled) request, which is a test of Node's parser, not of this server.
        { host: url.hostname, port: url.port, method: req.method, path: target(req), headers: framed(req), agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (error) => resolve({ status: 0, body: String(error) }));
        },
      );
      outgoing.on('error', (error) => resolve({ status: 0, body: String(error) }));
      outgoing.end(req.body ?? undefined);
    });
  }

  before(async () => {
    store = openSqliteStore(join(dir, 'fuzz.db'));
    service = await startTestService({ DATABASE_URL: `sqlite:${join(dir, 'fuzz.db')}`, VONAGE_SIGNATURE_SECRET: SIGNATURE_SECRET }, store);
    const put = await fetch(`${service.url}/api/numbers/${KNOWN_NUMBER}`, {
      method: 'PUT',
      headers: { ...service.admin, 'content-type': 'application/json' },
      body: JSON.stringify({ campaign: 'Radio', forwardTo: '+44 7700 900003', whisper: 'Radio call' }),
    });
    assert.equal(put.status, 201);
    for (let i = 0; i < 5; i++) {
      const uuid = `before-fuzz-${i}`;
      const signedPost = (path: string, fields: object) => {
        const body = JSON.stringify(fields);
        return fetch(`${service.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(signedToken({ body })) }, body });
      };
      assert.equal((await signedPost('/track-call', { from: `44770090011${i}`, to: KNOWN_NUMBER, uuid, conversation_uuid: `CON-${uuid}` })).status, 200);
      const event = { uuid, conversation_uuid: `CON-${uuid}`, status: 'completed', direction: 'inbound', duration: '30', timestamp: '2026-11-02T09:31:00Z' };
      assert.equal((await signedPost('/event', event)).status, 204);
    }
    callsBefore = (await store.listCalls({ limit: 100, trackingNumber: KNOWN_NUMBER })).calls;
    numbersBefore = await store.listTrackingNumbers();
    assert.equal(callsBefore.length, 5);
  });

  after(async () => {
    agent.destroy();
    await service.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test(`${RUNS * REQUESTS_PER_RUN} requests with hostile values at every route, mostly well-formed, signed and authenticated, get no 5xx (seed ${SEED})`, async (t) => {
    await fc.assert(
      fc.asyncProperty(fc.array(requests, { minLength: REQUESTS_PER_RUN, maxLength: REQUESTS_PER_RUN }), async (batch) => {
        const answers = await Promise.all(batch.map(send));
        for (const [i, answer] of answers.entries()) {
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          sent += 1;
          if (reachedHandler(answer)) reachingHandlers += 1;
          if (answer.status >= 200 && answer.status < 300) answeredOk += 1;
          const req = batch[i]!;
          const summary = `${req.method} ${target(req).slice(0, 100)} (${target(req).length} chars) headers ${JSON.stringify(req.headers).slice(0, 300)} body ${req.body?.length}: ${req.body?.subarray(0, 60).toString()}`;
          assert.ok(answer.status > 0 && answer.status < 500, `${summary} answered ${answer.status}: ${answer.body.slice(0, 200)}`);
          if (answer.status === 200 && answersNcco(req)) assertValidNcco(JSON.parse(answer.body));
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true, includeErrorInReport: true },
    );
    const share = reachingHandlers / sent;
    t.diagnostic(`${reachingHandlers} of ${sent} requests (${(share * 100).toFixed(0)}%) reached a route's handler, ${answeredOk} were answered 2xx; statuses ${JSON.stringify([...statuses].sort(([a], [b]) => a - b))}`);
    assert.ok(share >= MIN_SHARE_REACHING_HANDLERS, `only ${(share * 100).toFixed(0)}% of the requests reached a handler`);
    const failures = service.logger.lines.filter((line) => line.level === 'error');
    assert.deepEqual(failures, [], 'no request failed inside the server');
    assert.ok((statuses.get(200) ?? 0) > 0 && [...statuses.keys()].some((status) => status >= 400), `a mix of answers: ${JSON.stringify([...statuses])}`);
  });

  test('the server still answers afterwards', async () => {
    const res = await fetch(service.url);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'Hello Vonage');
  });

  test('calls and tracking numbers recorded before are exactly as they were', async () => {
    // Authorised fuzz requests may add calls and numbers of their own; these must be untouched.
    for (const call of callsBefore) assert.deepEqual(await store.findCall(call.uuid), call);
    const known = (numbers: TrackingNumber[]) => numbers.find((entry) => entry.number === KNOWN_NUMBER);
    assert.deepEqual(known(await store.listTrackingNumbers()), known(numbersBefore));
  });

  test('no request polluted Object.prototype', () => {
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});
