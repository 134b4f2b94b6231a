// The bulk load (store/bulk-load.ts): a store that holds no calls takes many batches at once, and
// must end up exactly as batch by batch would leave it. Checked on every store against the links
// each call must have by definition (computed here from the calls themselves), and against a
// second store of the same kind filled batch by batch: every call, and every report bucket.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CallRecord } from '../src/domain/calls.js';
import { BUCKET_WIDTHS, slotOf, type HistoriedCall } from '../src/domain/report-figures.js';
import type { CallStore } from '../src/store/call-store.js';
import type { BucketDimension } from '../src/store/report-store.js';
import { BACKENDS, suiteStores } from './helpers/store-backends.js';

const START_MS = Date.parse('2026-10-01T00:00:00Z');
const CAMPAIGNS = ['Radio', 'Flyers', null];
const NUMBERS = ['442079460001', '442079460002', '442079460003', '442079460004'];
const CALLERS = Array.from({ length: 25 }, (_, i) => `4477009${String(i).padStart(5, '0')}`);

function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/**
 * Calls over three weeks, in no order: callers who call many times across campaigns and numbers,
 * withheld callers, calls that start at the same instant (the uuid decides), a visit on some, and
 * one uuid given twice (the first is kept).
 */
function generateCalls(count: number): CallRecord[] {
  const random = seededRandom(7);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const calls: CallRecord[] = [];
  for (let i = 0; i < count; i++) {
    const startedAt = new Date(i % 10 === 0 && i > 0 ? calls[i - 1]!.startedAt.getTime() : START_MS + Math.floor(random() * 21 * 86_400_000));
    const answered = random() < 0.7;
    const talkSeconds = Math.floor(random() * 300);
    calls.push({
      uuid: `call-${String(Math.floor(random() * 1e9)).padStart(9, '0')}-${i}`,
      conversationUuid: `CON-${i}`,
      trackingNumber: pick(NUMBERS),
      caller: random() < 0.08 ? null : pick(CALLERS),
      campaign: pick(CAMPAIGNS),
      forwardTo: '447700900000',
      startedAt,
      outcome: answered ? 'answered' : 'missed',
      answeredAt: answered ? new Date(startedAt.getTime() + 5000) : null,
      endedAt: new Date(startedAt.getTime() + 5000 + talkSeconds * 1000),
      durationSeconds: answered ? talkSeconds : 0,
      inboundStatus: 'completed',
      forwardedStatus: answered ? 'completed' : 'busy',
      attempts: [],
      answeredBy: answered ? '447700900000' : null,
      attribution: random() < 0.2
        ? { visitId: `visit-${i}`, poolId: 'website', source: pick(['google', 'bing']), medium: 'cpc', campaign: null, term: null, content: null, gclid: null, landingPage: '/', referrer: null, ambiguous: false }
        : null,
    });
  }
  calls.push({ ...calls[3]!, caller: CALLERS[0]!, durationSeconds: 999 });
  return calls;
}

const inBatches = (calls: readonly CallRecord[], size: number): CallRecord[][] =>
  Array.from({ length: Math.ceil(calls.length / size) }, (_, i) => calls.slice(i * size, (i + 1) * size));

/** Each kept call's links to its caller's calls before and after it, from their definition. */
function expectedHistories(calls: readonly CallRecord[]): Map<string, Pick<HistoriedCall, 'prevAnyAt' | 'prevCampaignAt' | 'prevNumberAt' | 'hasNextAny' | 'hasNextCampaign' | 'hasNextNumber'>> {
  const first = new Map<string, CallRecord>();
  for (const call of calls) if (!first.has(call.uuid)) first.set(call.uuid, call);
  const ordered = [...first.values()].sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime() || (a.uuid < b.uuid ? -1 : 1));
  const result = new Map();
  for (const call of ordered) {
    const same = (sense: 'any' | 'campaign' | 'number') => (other: CallRecord) => call.caller !== null && other.caller === call.caller
      && (sense === 'any' || other.campaign === call.campaign) && (sense !== 'number' || other.trackingNumber === call.trackingNumber);
    const position = ordered.indexOf(call);
    const before = (sense: 'any' | 'campaign' | 'number') => ordered.slice(0, position).filter(same(sense)).at(-1)?.startedAt.getTime() ?? null;
    const after = (sense: 'any' | 'campaign' | 'number') => ordered.slice(position + 1).some(same(sense));
    result.set(call.uuid, {
      prevAnyAt: before('any'), prevCampaignAt: before('campaign'), prevNumberAt: before('number'),
      hasNextAny: after('any'), hasNextCampaign: after('campaign'), hasNextNumber: after('number'),
    });
  }
  return result;
}

/** Everything the reports read, in one comparable shape: the calls with their links, and every bucket. */
async function reportState(store: CallStore): Promise<{ calls: string[]; buckets: string[] }> {
  const since = new Date(START_MS);
  const until = new Date(START_MS + 22 * 86_400_000);
  return store.reports.read(async (reader) => {
    const calls = (await reader.callsWithHistory({ since, until })).map((call) => JSON.stringify(call)).sort();
    const dimensions: BucketDimension[] = ['campaign', 'trackingNumber', 'destination', 'source'];
    const buckets: string[] = [];
    for (const width of BUCKET_WIDTHS) {
      const sums = await reader.sumBuckets({
        width, fromSlot: Math.floor(slotOf(since.getTime()) / width) * width, toSlot: Math.ceil(slotOf(until.getTime()) / width) * width,
        time: { offsetSlots: 0, slotsPerGroup: width, groupsPerCycle: null }, dimensions,
      });
      buckets.push(...sums.map((sum) => JSON.stringify([width, sum])));
    }
    return { calls, buckets: buckets.sort() };
  });
}

/** Every call as the call list shows it, oldest first. */
async function allCalls(store: CallStore): Promise<CallRecord[]> {
  const page = await store.listCalls({ limit: 10_000 });
  return page.calls.reverse();
}

for (const backend of BACKENDS) {
  describe(`bulk load (${backend.name} store)`, { skip: backend.skip }, () => {
    const stores = suiteStores(backend);
    const calls = generateCalls(600);
    const batches = inBatches(calls, 70);

    test('into an empty store: every call, linked to its caller\'s calls as defined, and the same buckets as batch by batch', async () => {
      const bulk = await stores.freshStore();
      const batchByBatch = await stores.freshStore();
      assert.equal(await bulk.importCallBatches(batches), 600, 'the uuid given twice is stored once');
      let stored = 0;
      for (const batch of batches) stored += await batchByBatch.importCalls(batch);
      assert.equal(stored, 600);

      const expected = expectedHistories(calls);
      const loaded = await allCalls(bulk);
      assert.equal(loaded.length, 600);
      assert.equal(loaded.find((call) => call.uuid === calls[3]!.uuid)!.durationSeconds, calls[3]!.durationSeconds, 'the first of a uuid given twice');
      const histories = await bulk.reports.read((reader) => reader.callsWithHistory({ since: new Date(START_MS), until: new Date(START_MS + 22 * 86_400_000) }));
      assert.equal(histories.length, 600);
      const ordered = [...expected.entries()].sort();
      const byCall = new Map(loaded.map((call, i) => [call.uuid, i]));
      for (const [uuid, history] of ordered) {
        const call = loaded[byCall.get(uuid)!]!;
        const found = histories.filter((h) => h.startedAt === call.startedAt.getTime() && h.caller === call.caller
          && h.campaign === call.campaign && h.trackingNumber === call.trackingNumber && h.durationSeconds === call.durationSeconds);
        assert.ok(found.some((h) => Object.entries(history).every(([field, value]) => h[field as keyof typeof history] === value)),
          `call ${uuid}: expected ${JSON.stringify(history)}, found ${JSON.stringify(found)}`);
      }
      assert.deepEqual(await allCalls(bulk), await allCalls(batchByBatch));
      assert.deepEqual(await reportState(bulk), await reportState(batchByBatch));
    });

    test('into a store that holds calls: batch by batch, already stored uuids skipped', async () => {
      const store = await stores.freshStore();
      const reference = await stores.freshStore();
      assert.equal(await store.importCalls(batches[0]!), 70);
      assert.equal(await store.importCallBatches(batches), 530);
      await reference.importCallBatches(batches);
      assert.deepEqual(await allCalls(store), await allCalls(reference));
      assert.deepEqual(await reportState(store), await reportState(reference));
    });

    test('live calls stored after a bulk load find their callers\' earlier calls', async () => {
      const store = await stores.freshStore();
      await store.importCallBatches(batches);
      const caller = CALLERS[1]!;
      const latest = calls.filter((call) => call.caller === caller).map((call) => call.startedAt.getTime()).sort((a, b) => a - b).at(-1)!;
      const startedAt = new Date(START_MS + 21 * 86_400_000 + 3_600_000);
      await store.recordCalls([{
        uuid: 'live-after-bulk', conversationUuid: 'CON-live', trackingNumber: NUMBERS[0]!, caller, campaign: 'Radio',
        forwardTo: '447700900000', startedAt, blocked: false,
      }]);
      const [live] = await store.reports.read((reader) => reader.callsWithHistory({ since: startedAt, until: new Date(startedAt.getTime() + 1) }));
      assert.equal(live!.prevAnyAt, latest);
    });
  });
}
