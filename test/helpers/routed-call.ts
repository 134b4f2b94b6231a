// A call through a route, driven as Vonage drives it: the answer webhook, then for each connect
// leg its events, posted to the event URL that leg's connect named (with the route's progress in
// its query string), following whatever NCCO a failed leg is answered with.

import assert from 'node:assert/strict';
import type { ConnectAction, Ncco } from '../../src/domain/ncco.js';
import { assertValidNcco } from './ncco-schema.js';
import { bearer, signedToken } from './sign.js';

let sequence = 0;

/** How a destination's leg ends when it rings. */
export type LegEnding = 'answered' | 'busy' | 'timeout' | 'unanswered' | 'rejected' | 'failed';

export interface RoutedCall {
  uuid: string;
  conversationUuid: string;
  /** The NCCOs received, the answer's first. */
  nccos: Ncco[];
  /** The destinations rung, in order. */
  rung: string[];
}

export interface RoutedCallOptions {
  trackingNumber: string;
  /** Null: withheld (no `from`). */
  caller: string | null;
  /** How each leg rung ends, in order; legs beyond the list are answered. */
  legs?: LegEnding[];
  /** When the call starts (Vonage's timestamps). */
  startMs?: number;
  /** Where the legs' events go: another instance behind the same balancer. Default: serverUrl. */
  eventsTo?: string;
  /** Signs every webhook with this secret, as Vonage does (the answer then comes by POST). */
  signatureSecret?: string;
}

/** Where Vonage would post: the connect's event URL, moved onto the test server. */
function eventTarget(serverUrl: string, connect: ConnectAction): string {
  const url = connect.eventUrl?.[0];
  if (url === undefined) return `${serverUrl}/event`;
  const parsed = new URL(url);
  return `${serverUrl}${parsed.pathname}${parsed.search}`;
}

/** Posts a webhook's JSON body, signed with `signatureSecret` when given. */
export async function postWebhook(url: string, body: Record<string, string>, signatureSecret?: string): Promise<Response> {
  const text = JSON.stringify(body);
  const signature = signatureSecret === undefined ? {} : bearer(signedToken({ secret: signatureSecret, body: text }));
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...signature }, body: text });
}

export async function routeCall(serverUrl: string, options: RoutedCallOptions): Promise<RoutedCall> {
  sequence += 1;
  const id = `${process.pid}-${Date.now().toString(36)}-${sequence}`;
  const uuid = `rt-in-${id}`;
  const conversationUuid = `CON-rt-${id}`;
  const startMs = options.startMs ?? Date.now();
  let clockMs = startMs;
  const at = (advanceSeconds: number) => new Date((clockMs += advanceSeconds * 1000)).toISOString();
  const answerQuery: Record<string, string> = {
    to: options.trackingNumber, uuid, conversation_uuid: conversationUuid, region_url: 'https://api-eu-1.vonage.com', endpoint_type: 'phone',
  };
  if (options.caller !== null) answerQuery.from = options.caller;
  const { signatureSecret } = options;
  const answer = signatureSecret === undefined
    ? await fetch(`${serverUrl}/track-call?${new URLSearchParams(answerQuery)}`)
    : await postWebhook(`${serverUrl}/track-call`, answerQuery, signatureSecret);
  assert.equal(answer.status, 200);
  let ncco = (await answer.json()) as Ncco;
  assertValidNcco(ncco);
  const inbound = (status: string, extra: Record<string, string> = {}) => postWebhook(`${options.eventsTo ?? serverUrl}/event`, {
    from: options.caller ?? '', to: options.trackingNumber, uuid, conversation_uuid: conversationUuid, status, direction: 'inbound',
    timestamp: at(0.1), ...extra,
  }, signatureSecret);
  assert.equal((await inbound('started')).status, 204);
  assert.equal((await inbound('answered')).status, 204);

  const result: RoutedCall = { uuid, conversationUuid, nccos: [ncco], rung: [] };
  const endings = [...(options.legs ?? [])];
  for (;;) {
    const connect = ncco.find((action): action is ConnectAction => action.action === 'connect');
    if (!connect) break;
    const destination = connect.endpoint[0]!.number;
    result.rung.push(destination);
    const legUuid = `rt-out-${id}-${result.rung.length}`;
    const target = eventTarget(options.eventsTo ?? serverUrl, connect);
    const leg = (status: string, extra: Record<string, string> = {}) => postWebhook(target, {
      from: connect.from ?? '', to: destination, uuid: legUuid, conversation_uuid: conversationUuid, status, direction: 'outbound',
      timestamp: at(1), ...extra,
    }, signatureSecret);
    assert.equal((await leg('started')).status, 204);
    assert.equal((await leg('ringing')).status, 204);
    const ending = endings.shift() ?? 'answered';
    if (ending === 'answered') {
      assert.equal((await leg('answered')).status, 204);
      assert.equal((await leg('completed', { duration: '30' })).status, 204);
      break;
    }
    const failed = await leg(ending);
    if (failed.status === 204) break;
    assert.equal(failed.status, 200);
    ncco = (await failed.json()) as Ncco;
    assertValidNcco(ncco);
    result.nccos.push(ncco);
  }
  assert.equal((await inbound('completed', { duration: '40' })).status, 204);
  return result;
}
