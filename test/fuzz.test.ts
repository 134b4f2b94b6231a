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
import { ADMIN_TOKEN, startTestService, type TestService } from './helpers/service.js';

/** Enough requests to reach odd corners, few enough to run in seconds. */
const RUNS = 200;
const REQUESTS_PER_RUN = 10;
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);

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
    service = await startTestService({ DATABASE_URL: `sqlite:${join(dir, 'fuzz.db')}` }, store);
    const put = await fetch(`${service.url}/api/numbers/${KNOWN_NUMBER}`, {
      method: 'PUT',
      headers: { ...service.admin, 'content-type': 'application/json' },
      body: JSON.stringify({ campaign: 'Radio', forwardTo: '+44 7700 900003', whisper: 'Radio call' }),
    });
    assert.equal(put.status, 201);
    for (let i = 0; i < 5; i++) {
      const uuid = `before-fuzz-${i}`;
      const answer = await fetch(`${service.url}/track-call?${new URLSearchParams({ from: `44770090011${i}`, to: KNOWN_NUMBER, uuid, conversation_uuid: `CON-${uuid}` })}`);
      assert.equal(answer.status, 200);
      const event = await fetch(`${service.url}/event`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ uuid, conversation_uuid: `CON-${uuid}`, status: 'completed', direction: 'inbound', duration: '30', timestamp: '2026-11-02T09:31:00Z' }),
      });
      assert.equal(event.status, 204);
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

  test(`${RUNS * REQUESTS_PER_RUN} hostile requests at every route get no 5xx (seed ${SEED})`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hostileRequests, { minLength: REQUESTS_PER_RUN, maxLength: REQUESTS_PER_RUN }), async (batch) => {
        const answers = await Promise.all(batch.map(send));
        for (const [i, answer] of answers.entries()) {
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          const req = batch[i]!;
          const summary = `${req.method} ${target(req).slice(0, 100)} (${target(req).length} chars) headers ${JSON.stringify(req.headers).slice(0, 300)} body ${req.body?.length}: ${req.body?.subarray(0, 60).toString()}`;
          assert.ok(answer.status > 0 && answer.status < 500, `${summary} answered ${answer.status}: ${answer.body.slice(0, 200)}`);
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true, includeErrorInReport: true },
    );
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
