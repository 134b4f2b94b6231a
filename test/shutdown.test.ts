import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { assertValidNcco } from './helpers/ncco-schema.js';
import { freePort, startServerProcess, waitForLog, type ServerProcess } from './helpers/server-process.js';
import { BUSINESS_PHONE } from './helpers/service.js';

const TRACKING_NUMBER = '447700900777';
const dir = mkdtempSync(join(tmpdir(), 'call-tracker-shutdown-'));
const running = new Set<ServerProcess>();

after(async () => {
  for (const server of running) await server.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function start(name: string): Promise<{ server: ServerProcess; databasePath: string }> {
  const databasePath = join(dir, `${name}.db`);
  const server = await startServerProcess(await freePort(), {
    PROXY_TO_NUMBER: BUSINESS_PHONE,
    DATABASE_URL: `sqlite:${databasePath}`,
    SPOOL_PATH: join(dir, `${name}-spool.ndjson`),
    ACCESS_LOG: 'off',
  }, dir);
  running.add(server);
  void server.exited.then(() => running.delete(server));
  return { server, databasePath };
}

const answerPath = (uuid: string) =>
  `/track-call?${new URLSearchParams({ from: '447700900111', to: TRACKING_NUMBER, uuid, conversation_uuid: `CON-${uuid}` })}`;

interface Outcome {
  uuid: string;
  status?: number;
  ncco?: unknown;
  /** The error code when no answer came. */
  error?: string;
}

function sendAnswer(url: URL, agent: Agent, uuid: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request({ host: url.hostname, port: url.port, path: answerPath(uuid), agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ uuid, status: res.statusCode, ncco: res.statusCode === 200 ? JSON.parse(body) : body }));
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ uuid, error: error.code ?? String(error) }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ uuid, error: error.code ?? String(error) }));
    req.end();
  });
}

async function storedUuids(databasePath: string): Promise<Set<string>> {
  const store = openSqliteStore(databasePath);
  try {
    const page = await store.listCalls({ trackingNumber: TRACKING_NUMBER, limit: 500 });
    assert.equal(page.nextCursor, null);
    return new Set(page.calls.map((call) => call.uuid));
  } finally {
    await store.close();
  }
}

describe('graceful shutdown of a server process', () => {
  test('a server without VONAGE_SIGNATURE_SECRET warns at start-up that webhooks are not verified', { timeout: 10_000 }, async () => {
    const { server } = await start('warning');
    await waitForLog(server, /warn VONAGE_SIGNATURE_SECRET is not set: webhooks are not verified/);
    assert.equal((await server.stop('SIGTERM')).code, 0);
  });

  test('a request in flight when SIGTERM arrives is answered in full, with Connection: close, before exit 0', async () => {
    const { server, databasePath } = await start('in-flight');
    const uuid = `in-flight-${process.pid}`;
    const body = JSON.stringify({ from: '447700900111', to: TRACKING_NUMBER, uuid, conversation_uuid: `CON-${uuid}` });
    const socket = connect(server.port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    // A first request makes sure the server has taken the connection before the signal.
    socket.write(`GET / HTTP/1.1\r\nHost: x\r\n\r\n`);
    while (!received.includes('Hello Vonage')) await new Promise((resolve) => socket.once('data', resolve));
    received = '';
    // Headers and half the body are in when the signal comes; the rest follows after it.
    socket.write(`POST /track-call HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 20)}`);
    // Let the server read those headers: a connection with nothing read yet counts as idle.
    await new Promise((resolve) => setTimeout(resolve, 300));
    server.child.kill('SIGTERM');
    await waitForLog(server, /SIGTERM received/);
    socket.write(body.slice(20));
    await closed;

    const [head, payload] = received.split('\r\n\r\n');
    assert.match(head ?? '', /^HTTP\/1\.1 200/);
    assert.match(head ?? '', /\r\nConnection: close/i);
    const ncco = JSON.parse(payload ?? '');
    assertValidNcco(ncco);
    assert.equal(ncco[0].endpoint[0].number, BUSINESS_PHONE);
    const exit = await server.exited;
    assert.equal(exit.code, 0, exit.stderr);
    assert.ok((await storedUuids(databasePath)).has(uuid));
  });

  test('SIGTERM under a steady load of answer webhooks fails no request the server took, keeps every connected call, exits 0', async () => {
    const { server, databasePath } = await start('load');
    const url = new URL(server.url);
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const WORKERS = 8;
    const SIGNAL_AFTER = 200;
    const outcomes: Outcome[] = [];
    let signalled = false;
    let answeredAfterSignal = 0;

    const worker = async (id: number) => {
      for (let n = 0; ; n++) {
        const outcome = await sendAnswer(url, agent, `load-${process.pid}-${id}-${n}`);
        outcomes.push(outcome);
        if (signalled && outcome.status !== undefined) answeredAfterSignal += 1;
        // Once the server stops listening, a new connection is refused: this worker is done.
        if (outcome.error !== undefined) return;
        if (!signalled && outcomes.length >= SIGNAL_AFTER) {
          signalled = true;
          server.child.kill('SIGTERM');
        }
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, id) => worker(id)));
    agent.destroy();
    const exit = await server.exited;
    assert.equal(exit.code, 0, exit.stderr);

    const stored = await storedUuids(databasePath);
    const answered = outcomes.filter((outcome) => outcome.status !== undefined);
    const unanswered = outcomes.filter((outcome) => outcome.error !== undefined);
    for (const outcome of answered) {
      assert.equal(outcome.status, 200, `${outcome.uuid}: ${JSON.stringify(outcome.ncco)}`);
      assertValidNcco(outcome.ncco);
      assert.ok(stored.has(outcome.uuid), `${outcome.uuid} was connected but is not in the store`);
    }
    // Unanswered means never taken: refused, or reset before the server read it. A request the
    // server recorded but never answered would be a caller dropped mid-webhook.
    for (const outcome of unanswered) {
      assert.match(outcome.error!, /ECONNREFUSED|ECONNRESET|EPIPE/, outcome.uuid);
      assert.equal(stored.has(outcome.uuid), false, `${outcome.uuid} was recorded but never answered`);
    }
    assert.equal(stored.size, answered.length);
    assert.ok(answered.length >= SIGNAL_AFTER);
    process.stderr.write(`# shutdown under load: ${answered.length} answered, ${answeredAfterSignal} of them after SIGTERM, ${unanswered.length} refused\n`);
  });
});
