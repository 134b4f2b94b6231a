import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { assertValidNcco, fetchNcco } from './helpers/ncco-schema.js';
import { startTestService, vonageUuid, type TestService } from './helpers/service.js';

/** `:remote-addr [:date[iso]] ":method :path" :status :res[content-length] :response-time ms` */
const LINE = /^(\S+) \[(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\] "([A-Z]+) ([^"\s]*)" (\d{3}|-) (\d+|-) (\d+\.\d{3}|-) ms$/;

describe('the access log', () => {
  let dir: string;
  let logPath: string;
  let service: TestService;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'access-log-'));
    // A directory that does not exist yet: the log creates it.
    logPath = join(dir, 'logs', 'access.log');
    service = await startTestService({ ACCESS_LOG: logPath });
  });
  after(async () => {
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const lines = () => {
    try {
      return readFileSync(logPath, 'utf8').split('\n').filter((line) => line.length > 0);
    } catch {
      return [];
    }
  };

  /** Lines are written after the response; waits until the log holds `count` lines. */
  async function waitForLines(count: number): Promise<string[]> {
    for (let i = 0; i < 200 && lines().length < count; i++) await sleep(10);
    return lines();
  }

  test('an answer webhook is logged by path, status, length and time, never with the callers in its query string', async () => {
    const before = lines().length;
    const uuid = vonageUuid();
    const res = await fetch(`${service.url}/track-call?from=447700900123&to=447700900456&uuid=${uuid}&conversation_uuid=CON-${uuid}`);
    const body = await res.text();
    assertValidNcco(JSON.parse(body));
    const logged = (await waitForLines(before + 1)).slice(before);
    assert.equal(logged.length, 1);
    const line = logged[0]!;
    assert.doesNotMatch(line, /447700900123|447700900456|\?|uuid/);
    const match = LINE.exec(line);
    assert.ok(match, `not an access log line: ${line}`);
    const [, remoteAddress, time, method, path, status, length, responseMs] = match;
    assert.match(remoteAddress!, /127\.0\.0\.1$/);
    assert.ok(Math.abs(Date.parse(time!) - Date.now()) < 60_000, `the time ${time} is not now`);
    assert.equal(method, 'GET');
    assert.equal(path, '/track-call');
    assert.equal(status, '200');
    assert.equal(Number(length), Buffer.byteLength(body));
    assert.ok(Number(responseMs) >= 0);
  });

  test('errors and JSON webhooks are logged with their method and status', async () => {
    const before = lines().length;
    await (await fetch(`${service.url}/no-such-page?from=447700900999`)).arrayBuffer();
    const uuid = vonageUuid();
    await fetchNcco(`${service.url}/track-call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: '447700900777', to: '447700900888', uuid, conversation_uuid: `CON-${uuid}` }),
    });
    const logged = (await waitForLines(before + 2)).slice(before).map((line) => LINE.exec(line)?.slice(3, 6));
    assert.deepEqual(logged.sort(), [['GET', '/no-such-page', '404'], ['POST', '/track-call', '200']]);
    assert.doesNotMatch(lines().join('\n'), /447700900(999|777|888)/);
  });

  test('a burst of concurrent webhooks is logged one line per request', async () => {
    const before = lines().length;
    const burst = 200;
    await Promise.all(Array.from({ length: burst }, async (_, i) => {
      const uuid = vonageUuid();
      await fetchNcco(`${service.url}/track-call?from=4477009${String(i).padStart(5, '0')}&to=447700900456&uuid=${uuid}`);
    }));
    const logged = (await waitForLines(before + burst)).slice(before);
    assert.equal(logged.length, burst);
    for (const line of logged) assert.match(line, LINE);
  });

  test('a quote or backslash in the path is escaped, so the line keeps its shape', async () => {
    const before = lines().length;
    // fetch would percent-encode these; a raw request sends them as they are.
    const { port } = new URL(service.url);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.end('GET /odd"path\\x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
      });
      let received = '';
      socket.on('data', (chunk) => (received += chunk));
      socket.on('end', () => resolve(received));
      socket.on('error', reject);
    });
    assert.match(reply, /^HTTP\/1\.1 404/);
    const [line] = (await waitForLines(before + 1)).slice(before);
    assert.ok(line, 'no line was logged');
    assert.ok(line.includes('"GET /odd\\"path\\\\x" 404 '), `not escaped: ${line}`);
  });

  test('an address a proxy passes on is escaped too, control characters included', async () => {
    const before = lines().length;
    const { port } = new URL(service.url);
    // A trusted proxy (loopback) passes on whatever its client said. 0x9b is a terminal's control
    // sequence introducer; Node reads a header's bytes as latin1.
    const request = 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-For: 1.2.3.4"\x9b\r\nConnection: close\r\n\r\n';
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.end(Buffer.from(request, 'latin1')));
      socket.on('data', () => {});
      socket.on('end', resolve);
      socket.on('error', reject);
    });
    const [line] = (await waitForLines(before + 1)).slice(before);
    assert.ok(line, 'no line was logged');
    assert.ok(line.startsWith('1.2.3.4\\"\\u009b ['), `not escaped: ${line}`);
  });

  test('a request whose client goes away is still logged with its address', async () => {
    const before = lines().length;
    const { port } = new URL(service.url);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        // Half a body, then the client is gone.
        socket.write('POST /track-call HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"from":');
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 100);
      });
      socket.on('error', reject);
    });
    const [line] = (await waitForLines(before + 1)).slice(before);
    assert.ok(line, 'no line was logged');
    const match = LINE.exec(line);
    assert.ok(match, `not an access log line: ${line}`);
    assert.match(match[1]!, /127\.0\.0\.1$/);
    assert.equal(match[4], '/track-call');
  });
});
