// Sends one signed delivery: a POST of the stored body with Standard Webhooks' headers, to an
// address checked by target-address.ts. Redirects are never followed (a 3xx is a failure), so a
// target cannot send us on to an address we would refuse.

import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import ipaddr from 'ipaddr.js';
import { Webhook } from 'standardwebhooks';
import { isPublicAddress, guardedLookup, type ResolveHost } from './target-address.js';

/** A receiver that has not answered whole by then has failed this attempt. */
const SEND_TIMEOUT_MS = 10_000;

export type SendResult =
  | { kind: 'response'; statusCode: number; retryAfter: string | undefined }
  | { kind: 'error'; message: string };

export interface Delivery {
  url: string;
  secret: string;
  eventId: string;
  body: string;
}

export class WebhookSender {
  readonly #lookup;

  constructor(
    private readonly resolve: ResolveHost,
    private readonly allowPrivate: boolean,
    private readonly timeoutMs = SEND_TIMEOUT_MS,
  ) {
    this.#lookup = guardedLookup(resolve, allowPrivate);
  }

  send(delivery: Delivery, now: Date): Promise<SendResult> {
    const url = new URL(delivery.url);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    // An address written in the URL never goes through `lookup`: check it here.
    if (ipaddr.isValid(host) && !this.allowPrivate && !isPublicAddress(host)) {
      return Promise.resolve({ kind: 'error', message: `${host} is not a public address` });
    }
    const signature = new Webhook(delivery.secret).sign(delivery.eventId, now, delivery.body);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
      let deadline: NodeJS.Timeout | undefined;
      const settle = (result: SendResult) => {
        clearTimeout(deadline);
        resolve(result);
      };
      const req = request(url, {
        method: 'POST',
        lookup: this.#lookup,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'call-tracker-webhooks',
          'webhook-id': delivery.eventId,
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': signature,
        },
      }, (res: IncomingMessage) => {
        res.resume();
        res.on('end', () => settle({ kind: 'response', statusCode: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }));
        res.on('error', (error) => settle({ kind: 'error', message: error.message }));
      });
      // One deadline for the whole exchange, not an idle timeout: a receiver that trickles its
      // answer would otherwise hold this poll's other deliveries, and outlive the delivery's lease.
      const timedOut = new Error(`no answer within ${this.timeoutMs / 1000} s`);
      deadline = setTimeout(() => {
        req.destroy(timedOut);
        settle({ kind: 'error', message: timedOut.message });
      }, this.timeoutMs);
      req.on('error', (error) => settle({ kind: 'error', message: error.message }));
      req.end(delivery.body);
    });
  }
}
