// A fake of Vonage's Applications API v2 and Numbers API on loopback, answering the documented
// request and response shapes (snake_case JSON; form-encoded /number/update; /account/numbers
// paged by size and 1-based index), with Basic auth, and faults a test can ask for. It records
// every request it gets, so that tests can check what the setup CLI sent.

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
  contentType: string | undefined;
  /** JSON bodies parsed; form bodies as URLSearchParams. */
  body: unknown;
}

export interface FakeNumber {
  country: string;
  msisdn: string;
  type?: string;
  features?: string[];
  app_id?: string;
}

export type FakeApplication = Record<string, unknown> & { id: string; name: string };

interface Fault {
  /** Requests whose "METHOD path" starts with this are answered with `status`. */
  match: string;
  status: number;
  times: number;
  headers?: Record<string, string>;
}

export const FAKE_PRIVATE_KEY = '-----BEGIN PRIVATE KEY-----\nMIIfakefakefakefakefake\n-----END PRIVATE KEY-----\n';

export class FakeVonage {
  readonly requests: RecordedRequest[] = [];
  readonly applications = new Map<string, FakeApplication>();
  numbers: FakeNumber[] = [];
  /** Numbers /number/update refuses with its own error code in a 200 body. */
  readonly refusedLinks = new Set<string>();
  readonly #faults: Fault[] = [];
  #server: Server | null = null;
  url = '';

  constructor(readonly apiKey: string, readonly apiSecret: string) {}

  /** Answers `status` to the next `times` requests matching "METHOD /path" by prefix. */
  fail(match: string, status: number, times = 1, headers?: Record<string, string>): void {
    this.#faults.push({ match, status, times, headers });
  }

  changes(): RecordedRequest[] {
    return this.requests.filter((request) => request.method !== 'GET');
  }

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      void this.#handle(req).then(({ status, body, headers }) => {
        const text = typeof body === 'string' ? body : JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(text);
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise((resolve) => this.#server?.close(resolve));
  }

  async #handle(req: IncomingMessage): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const contentType = req.headers['content-type'];
    const body = raw === '' ? undefined : contentType?.startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(raw) : JSON.parse(raw);
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, query: url.searchParams, authorization: req.headers.authorization, contentType, body });

    const fault = this.#faults.find((f) => f.times > 0 && `${method} ${url.pathname}`.startsWith(f.match));
    if (fault) {
      fault.times -= 1;
      return { status: fault.status, body: { type: 'https://developer.vonage.com/api-errors', title: `fault ${fault.status}` }, headers: fault.headers };
    }
    const expected = `Basic ${Buffer.from(`${this.apiKey}:${this.apiSecret}`).toString('base64')}`;
    if (req.headers.authorization !== expected) {
      return { status: 401, body: { type: 'https://developer.nexmo.com/api-errors#unauthorized', title: 'Invalid credentials supplied' } };
    }

    const application = url.pathname.match(/^\/v2\/applications\/([^/]+)$/);
    if (application) {
      const id = decodeURIComponent(application[1]!);
      const stored = this.applications.get(id);
      if (!stored) return { status: 404, body: { type: 'https://developer.nexmo.com/api-errors#not-found', title: 'Not Found' } };
      if (method === 'GET') return { status: 200, body: { ...stored, _links: { self: { href: `/v2/applications/${id}` } } } };
      if (method === 'PUT') {
        const updated = { ...(body as FakeApplication), id };
        this.applications.set(id, updated);
        return { status: 200, body: updated };
      }
    }
    if (url.pathname === '/v2/applications' && method === 'POST') {
      const id = randomUUID();
      const created = { ...(body as FakeApplication), id, keys: { public_key: '-----BEGIN PUBLIC KEY-----\nfake\n-----END PUBLIC KEY-----\n' } };
      this.applications.set(id, created);
      return { status: 201, body: { ...created, keys: { ...created.keys, private_key: FAKE_PRIVATE_KEY } } };
    }
    if (url.pathname === '/account/numbers' && method === 'GET') {
      const size = Number(url.searchParams.get('size') ?? 10);
      const index = Number(url.searchParams.get('index') ?? 1);
      if (size > 100) return { status: 400, body: { 'error-code': '400', 'error-code-label': 'size must be at most 100' } };
      return { status: 200, body: { count: this.numbers.length, numbers: this.numbers.slice((index - 1) * size, index * size) } };
    }
    if (url.pathname === '/number/update' && method === 'POST') {
      const form = body as URLSearchParams;
      const number = this.numbers.find((n) => n.msisdn === form.get('msisdn') && n.country === form.get('country'));
      if (!number) return { status: 420, body: { 'error-code': '420', 'error-code-label': 'Number not found' } };
      if (this.refusedLinks.has(number.msisdn)) return { status: 200, body: { 'error-code': '420', 'error-code-label': 'Number is in a pending state' } };
      if (form.get('app_id')) number.app_id = form.get('app_id')!;
      return { status: 200, body: { 'error-code': '200', 'error-code-label': 'success' } };
    }
    return { status: 404, body: { title: 'no such route in the fake' } };
  }
}

/** A fake ngrok agent's local API: GET /api/tunnels lists `tunnels` as they are when asked. */
export class FakeNgrok {
  tunnels: { name: string; public_url: string; proto: string; config: { addr: string } }[] = [];
  #server: Server | null = null;
  url = '';

  setHttpsAddress(address: string): void {
    this.tunnels = [
      { name: 'command_line (http)', public_url: address.replace('https://', 'http://'), proto: 'http', config: { addr: 'http://localhost:5000' } },
      { name: 'command_line', public_url: address, proto: 'https', config: { addr: 'http://localhost:5000' } },
    ];
  }

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      if (req.url !== '/api/tunnels') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ tunnels: this.tunnels, uri: '/api/tunnels' }));
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/api/tunnels`;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise((resolve) => this.#server?.close(resolve));
  }
}
