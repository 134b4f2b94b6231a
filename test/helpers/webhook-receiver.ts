// A receiver of our outgoing webhooks on loopback, as a CRM would run one: it verifies every
// signature with the standardwebhooks package, answers from a script (failures first), and keeps
// what it accepted.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedEvent {
  id: string;
  type: string;
  data: Record<string, unknown>;
}

/** What to answer a request: a status and headers. */
export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string>;
}

export class WebhookReceiver {
  /** Every request whose signature verified, accepted (2xx) or not. */
  readonly verified: ReceivedEvent[] = [];
  /** Requests answered 2xx. */
  readonly accepted: ReceivedEvent[] = [];
  /** Requests whose signature did not verify: must stay empty. */
  readonly forged: string[] = [];
  requests = 0;
  #server: Server | null = null;
  #waiters: (() => void)[] = [];
  secret = '';

  /** Answers in order, one per request; 204 once they run out. */
  constructor(private readonly script: ScriptedAnswer[] = []) {}

  async listen(port = 0): Promise<number> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.requests += 1;
        const body = Buffer.concat(chunks).toString('utf8');
        let event: ReceivedEvent;
        try {
          const verified = new Webhook(this.secret).verify(body, req.headers as Record<string, string>) as { type: string; data: Record<string, unknown> };
          event = { id: String(req.headers['webhook-id']), type: verified.type, data: verified.data };
        } catch (error) {
          this.forged.push(String(error));
          res.writeHead(400).end();
          return;
        }
        this.verified.push(event);
        const answer = this.script.shift() ?? { status: 204 };
        if (answer.status >= 200 && answer.status < 300) this.accepted.push(event);
        res.writeHead(answer.status, answer.headers).end();
        for (const wake of this.#waiters.splice(0)) wake();
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.#server = server;
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Resolves once `done()` holds, checked after each request; rejects after `timeoutMs`. */
  async until(done: () => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`the receiver waited ${timeoutMs} ms in vain (accepted ${this.accepted.length})`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  /** Accepted events, one per id (receivers de-duplicate on webhook-id). */
  uniqueAccepted(): Map<string, ReceivedEvent> {
    return new Map(this.accepted.map((event) => [event.id, event]));
  }
}
