// What the outbox adds to the answer webhook's write: batches of new calls recorded by the SQLite
// store (and PostgreSQL when TEST_DATABASE_URL names a server) with no webhook subscription, and
// with one that asks for call.started, in alternating rounds; prints µs per call and the ratio.
// `npx tsx bench/outbox-cost.ts`. Not part of `npm run bench`.

import type { InboundCall } from '../src/domain/calls.js';
import type { CallStore } from '../src/store/call-store.js';
import { withStorePairs } from './store-pairs.js';
import { newSubscription } from '../src/webhooks/subscriptions.js';

const ROUNDS = 8;
const BATCHES_PER_ROUND = 100;
const BATCH = 20;

let sequence = 0;
function batchOfCalls(): InboundCall[] {
  return Array.from({ length: BATCH }, () => {
    sequence += 1;
    return {
      uuid: `bench-${sequence}`, conversationUuid: `CON-bench-${sequence}`, trackingNumber: '442079460001',
      caller: `4477009${String(sequence % 100_000).padStart(5, '0')}`, campaign: 'Radio', forwardTo: '447700900000',
      startedAt: new Date(Date.UTC(2026, 10, 2) + sequence * 1000),
    };
  });
}

async function round(store: CallStore): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < BATCHES_PER_ROUND; i++) await store.recordCalls(batchOfCalls());
  return Number(process.hrtime.bigint() - started) / 1000 / (BATCHES_PER_ROUND * BATCH);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function measure(name: string, without: CallStore, withOutbox: CallStore): Promise<void> {
  await withOutbox.saveWebhookSubscription(newSubscription('https://crm.example.com/hooks', ['call.started']));
  await withOutbox.listWebhookSubscriptions();
  await round(without);
  await round(withOutbox);
  const plain: number[] = [];
  const outbox: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    plain.push(await round(without));
    outbox.push(await round(withOutbox));
  }
  const [a, b] = [median(plain), median(outbox)];
  console.log(`${name}: no subscription ${a.toFixed(1)} µs/call, one subscription ${b.toFixed(1)} µs/call, ratio ${(b / a).toFixed(2)}x`);
}

await withStorePairs('outbox-cost', measure);
