// The admin surface facing a network: security headers on every admin answer, a limit on failed
// logins, and a server that does not let slow or numerous clients hold its sockets.

import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { FAILED_LOGINS_PER_WINDOW } from '../src/security/login-limiter.js';
import { MAX_CONNECTIONS, SERVER_LIMITS } from '../src/service.js';
import { ADMIN_TOKEN, startTestService, type TestService } from './helpers/service.js';

describe('admin security headers', () => {
  let service: TestService;
  before(async () => {
    service = await startTestService();
  });
  after(() => service.stop());

  for (const path of ['/api/calls', '/api/numbers', '/api/report', '/api/report.csv', '/api/calls.csv', '/tracked-calls', '/dashboard', '/dashboard/latest-calls', '/dashboard/assets/dashboard.css']) {
    test(`${path} answers with a CSP, no framing and no sniffing, signed in or not`, async () => {
      for (const headers of [service.admin, {}]) {
        const res = await fetch(`${service.url}${path}`, { headers });
        assert.equal(res.status, headers === service.admin ? 200 : 401);
        assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'self'.*frame-ancestors 'none'/);
        assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
        assert.equal(res.headers.get('x-frame-options'), 'SAMEORIGIN');
        assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
        await res.arrayBuffer();
      }
    });
  }
});

describe('failed admin logins', () => {
  let service: TestService;
  before(async () => {
    service = await startTestService();
  });
  after(() => service.stop());

  // The test talks from loopback, as a reverse proxy on this machine would, so the forwarded
  // address is the client's.
  const asClient = (address: string, authorization?: string) =>
    fetch(`${service.url}/api/calls`, { headers: { 'x-forwarded-for': address, ...(authorization ? { authorization } : {}) } });

  test('an address that keeps failing is refused with 429 and Retry-After, logged without what it presented', async () => {
    const wrong = 'Bearer wrong-token-guess-0123456789';
    for (let i = 0; i < FAILED_LOGINS_PER_WINDOW; i++) assert.equal((await asClient('203.0.113.7', wrong)).status, 401);
    const limited = await asClient('203.0.113.7', wrong);
    assert.equal(limited.status, 429);
    assert.equal((await limited.json()).error, 'too_many_requests');
    const retryAfterSeconds = Number(limited.headers.get('retry-after'));
    assert.ok(retryAfterSeconds > 0 && retryAfterSeconds <= 15 * 60, `Retry-After ${limited.headers.get('retry-after')}`);
    assert.equal((await asClient('203.0.113.7', `Bearer ${ADMIN_TOKEN}`)).status, 429, 'even the right token waits: guessing must not pay');

    const warning = service.logger.lines.find((line) => line.message.startsWith('too many failed admin logins'));
    assert.ok(warning);
    assert.equal(warning.details?.address, '203.0.113.7');
    assert.doesNotMatch(JSON.stringify(service.logger.lines), /wrong-token-guess|test-admin-token/);
  });

  test('another address is not affected, and logins that succeed never count', async () => {
    for (let i = 0; i < FAILED_LOGINS_PER_WINDOW * 2; i++) {
      assert.equal((await asClient('198.51.100.9', `Bearer ${ADMIN_TOKEN}`)).status, 200);
    }
    assert.equal((await asClient('198.51.100.9', 'Bearer nope-nope-nope-nope')).status, 401);
  });
});

describe('server limits', () => {
  let service: TestService;
  before(async () => {
    service = await startTestService();
  });
  after(() => service.stop());

  function open(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect(service.port, '127.0.0.1', () => resolve(socket));
      socket.on('error', reject);
    });
  }

  function closed(socket: Socket): Promise<{ afterMs: number; received: string }> {
    const started = Date.now();
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    return new Promise((resolve) => socket.on('close', () => resolve({ afterMs: Date.now() - started, received })));
  }

  test('a client that sends its headers too slowly is answered 408 and cut off', { timeout: 20_000 }, async () => {
    const socket = await open();
    const outcome = closed(socket);
    socket.write('POST /track-call HTTP/1.1\r\nHost: x\r\n');
    const { afterMs, received } = await outcome;
    assert.match(received, /^HTTP\/1\.1 408/);
    assert.ok(afterMs >= SERVER_LIMITS.headersTimeout - 100, `closed after ${afterMs} ms`);
  });

  test(`past ${MAX_CONNECTIONS} open connections, new ones are dropped; the server answers again once they close`, { timeout: 20_000 }, async () => {
    const sockets = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, open));
    try {
      const extra = await open();
      const { received } = await closed(extra);
      assert.equal(received, '', 'dropped without an answer');
    } finally {
      for (const socket of sockets) socket.destroy();
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal((await fetch(service.url)).status, 200);
  });
});
