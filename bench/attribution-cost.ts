// What crediting calls to website visits adds to the answer webhook's write: batches of new calls
// recorded by the SQLite store (and PostgreSQL when TEST_DATABASE_URL names a server) to a number
// outside any pool, and to pool numbers whose holds cover them (one hold look-up per call), in
// alternating rounds; prints the CPU time (this process's) and wall time per call, and the ratios. Calls outside the pools are not looked up,
// so they cost what they did before calls kept their attribution.
// `npx tsx bench/attribution-cost.ts`. Not part of `npm run bench`.

import { NumberAssigner } from '../src/domain/attribution/number-assigner.js';
import { visitSourceFrom } from '../src/domain/attribution/visit-source.js';
import type { InboundCall } from '../src/domain/calls.js';
import type { CallStore } from '../src/store/call-store.js';
import { withStorePairs } from './store-pairs.js';

const ROUNDS = 8;
const BATCHES_PER_ROUND = 100;
const BATCH = 20;
const POOL_NUMBERS = Array.from({ length: 20 }, (_, i) => `4420794610${String(i).padStart(2, '0')}`);
/** As many numbers outside the pools: both kinds of batch touch as many report buckets. */
const OTHER_NUMBERS = Array.from({ length: 20 }, (_, i) => `4420794620${String(i).padStart(2, '0')}`);
const START = Date.UTC(2026, 10, 2);
/** Long enough for every call of the run to fall in a hold given at START. */
const HOLD_SECONDS = 24 * 3600;

let sequence = 0;
function batchOfCalls(pooled: boolean): InboundCall[] {
  return Array.from({ length: BATCH }, () => {
    sequence += 1;
    return {
      uuid: `bench-${sequence}`, conversationUuid: `CON-bench-${sequence}`,
      trackingNumber: (pooled ? POOL_NUMBERS : OTHER_NUMBERS)[sequence % POOL_NUMBERS.length]!,
      caller: `4477009${String(sequence % 100_000).padStart(5, '0')}`, campaign: 'Radio', forwardTo: '447700900000',
      startedAt: new Date(START + 1000 + sequence * 10), ...(pooled && { pooled: true }),
    };
  });
}

interface Cost {
  wallUs: number;
  cpuUs: number;
}

async function round(store: CallStore, pooled: boolean): Promise<Cost> {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let i = 0; i < BATCHES_PER_ROUND; i++) await store.recordCalls(batchOfCalls(pooled));
  const used = process.cpuUsage(cpu);
  const calls = BATCHES_PER_ROUND * BATCH;
  return { wallUs: Number(process.hrtime.bigint() - started) / 1000 / calls, cpuUs: (used.user + used.system) / calls };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Each pool number held by a visit from START for the whole run. */
async function holdPoolNumbers(store: CallStore): Promise<void> {
  await store.dni.savePool({ id: 'website', campaign: 'Web', replacesNumber: '442079460000', numbers: POOL_NUMBERS, holdSeconds: HOLD_SECONDS });
  const assigner = new NumberAssigner(store.dni, () => new Date(START));
  const source = visitSourceFrom({
    utmSource: 'newsletter', utmMedium: 'email', utmCampaign: null, utmTerm: null, utmContent: null, gclid: null, referrer: null, landingPage: null,
  });
  for (const _ of POOL_NUMBERS) await assigner.numberFor('website', null, source);
}

async function measure(name: string, outside: CallStore, inPool: CallStore): Promise<void> {
  await holdPoolNumbers(inPool);
  await round(outside, false);
  await round(inPool, true);
  const plain: Cost[] = [];
  const credited: Cost[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    plain.push(await round(outside, false));
    credited.push(await round(inPool, true));
  }
  const line = (what: string, key: keyof Cost) => {
    const [a, b] = [median(plain.map((c) => c[key])), median(credited.map((c) => c[key]))];
    return `${what} ${a.toFixed(1)} → ${b.toFixed(1)} µs/call (${(b / a).toFixed(2)}x)`;
  };
  console.log(`${name}, outside the pools → pool numbers (credited): ${line('CPU', 'cpuUs')}, ${line('wall', 'wallUs')}`);
}

await withStorePairs('attribution-cost', measure);
