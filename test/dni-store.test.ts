// Number pools, visits and holds on every store, with a test clock: who gets which number, how
// long a hold lasts, what happens when the pool runs out, and which visit a call is credited to.
// Narrow it with STORE=memory|sqlite|postgres as the store contract suite.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { CallAttribution } from '../src/domain/attribution/call-attribution.js';
import { NumberAssigner, type NumberRequestOutcome } from '../src/domain/attribution/number-assigner.js';
import { visitSourceFrom, type VisitTags } from '../src/domain/attribution/visit-source.js';
import type { InboundCall } from '../src/domain/calls.js';
import type { CallStore } from '../src/store/call-store.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { openPostgresStore } from '../src/store/postgres/postgres-store.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { createTestDatabase, postgresSkipReason } from './helpers/postgres.js';

interface Backend {
  name: string;
  skip?: string;
  open(cleanups: (() => Promise<void>)[]): Promise<CallStore>;
}

const ALL_BACKENDS: Backend[] = [
  { name: 'memory', open: async () => new MemoryStore() },
  {
    name: 'sqlite',
    open: async (cleanups) => {
      const dir = mkdtempSync(join(tmpdir(), 'ct-dni-'));
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      return openSqliteStore(join(dir, 'calls.db'));
    },
  },
  {
    name: 'postgres',
    skip: postgresSkipReason,
    open: async (cleanups) => {
      const database = await createTestDatabase('dni');
      cleanups.push(database.drop);
      return openPostgresStore(database.url);
    },
  },
];
const selected = process.env.STORE?.split(',').map((name) => name.trim()).filter(Boolean);
const BACKENDS = selected ? ALL_BACKENDS.filter((b) => selected.includes(b.name)) : ALL_BACKENDS;

const BUSINESS = '442079460000';
const POOL_NUMBERS = ['442079460001', '442079460002', '442079460003'];
const T0 = Date.UTC(2026, 10, 2, 9, 0);
const MINUTE = 60_000;

const NO_TAGS: VisitTags = {
  utmSource: null, utmMedium: null, utmCampaign: null, utmTerm: null, utmContent: null, gclid: null, referrer: null, landingPage: null,
};
const fromAd = (gclid: string) => visitSourceFrom({ ...NO_TAGS, gclid, landingPage: 'https://shop.example/landing?gclid=' + gclid });
const fromNewsletter = visitSourceFrom({ ...NO_TAGS, utmSource: 'newsletter', utmMedium: 'email', utmCampaign: 'november' });

function held(outcome: NumberRequestOutcome) {
  assert.equal(outcome.kind, 'held');
  return outcome as Extract<NumberRequestOutcome, { kind: 'held' }>;
}

/** A call to a pool number, as the answer webhook hands it to the store. */
function callTo(number: string, atMs: number, uuid: string): InboundCall {
  return {
    uuid, conversationUuid: `CON-${uuid}`, trackingNumber: number, caller: '447700900111', campaign: 'Website',
    forwardTo: BUSINESS, startedAt: new Date(atMs), pooled: true,
  };
}

/** Records the calls, then reads back the visit each was credited to. */
async function recordAndRead(store: CallStore, calls: InboundCall[]): Promise<(CallAttribution | null)[]> {
  await store.recordCalls(calls);
  return Promise.all(calls.map(async (call) => {
    const stored = await store.findCall(call.uuid);
    assert.ok(stored, `${call.uuid} stored`);
    return stored.attribution ?? null;
  }));
}

for (const backend of BACKENDS) {
  describe(`dynamic number insertion on ${backend.name}`, { skip: backend.skip }, () => {
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    /** A store with one pool of three numbers, holds of 30 minutes, and an assigner on a test clock. */
    async function setUp() {
      const store = await backend.open(cleanups);
      cleanups.push(() => store.close());
      assert.equal(await store.dni.savePool({ id: 'website', campaign: 'Website', replacesNumber: BUSINESS, numbers: POOL_NUMBERS, holdSeconds: 1800 }), true);
      const clock = { ms: T0 };
      const assigner = new NumberAssigner(store.dni, () => new Date(clock.ms));
      return { store, clock, assigner };
    }

    test('pools are saved, listed, changed and deleted; a number belongs to one pool only', async () => {
      const { store } = await setUp();
      assert.deepEqual(await store.dni.listPools(), [
        { id: 'website', campaign: 'Website', replacesNumber: BUSINESS, numbers: POOL_NUMBERS, holdSeconds: 1800 },
      ]);
      assert.equal(await store.dni.savePool({ id: 'other', campaign: null, replacesNumber: BUSINESS, numbers: [POOL_NUMBERS[0]!], holdSeconds: 60 }), false);
      assert.equal(await store.dni.savePool({ id: 'website', campaign: 'Site', replacesNumber: BUSINESS, numbers: ['442079460009', POOL_NUMBERS[1]!], holdSeconds: 600 }), true);
      assert.deepEqual((await store.dni.listPools())[0]?.numbers, [POOL_NUMBERS[1], '442079460009']);
      assert.equal(await store.dni.savePool({ id: 'other', campaign: null, replacesNumber: BUSINESS, numbers: [POOL_NUMBERS[0]!], holdSeconds: 60 }), true);
      assert.equal(await store.dni.deletePool('other'), true);
      assert.equal(await store.dni.deletePool('other'), false);
      assert.deepEqual((await store.dni.listPools()).map((p) => p.id), ['website']);
    });

    test('visits get different free numbers and keep theirs while held; heartbeats extend the hold', async () => {
      const { assigner, clock } = await setUp();
      const first = held(await assigner.numberFor('website', null, fromAd('ad-1')));
      const second = held(await assigner.numberFor('website', null, fromNewsletter));
      assert.notEqual(first.number, second.number);
      assert.ok(POOL_NUMBERS.includes(first.number) && POOL_NUMBERS.includes(second.number));
      assert.equal(first.replacesNumber, BUSINESS);
      assert.equal(first.heldUntil.getTime(), T0 + 30 * MINUTE);

      clock.ms = T0 + 20 * MINUTE;
      const again = held(await assigner.numberFor('website', first.visitId, fromAd('ad-1')));
      assert.deepEqual([again.visitId, again.number, again.newHold], [first.visitId, first.number, false]);
      clock.ms = T0 + 45 * MINUTE;
      const renewed = await assigner.renew(first.visitId);
      assert.equal(renewed?.heldUntil.getTime(), T0 + 75 * MINUTE);
      // The second visit gave no sign of life after its start: its hold ended at T0 + 30 min.
      assert.equal(await assigner.renew(second.visitId), null);
    });

    test('after a hold ends the number is free again, and a call then is credited to its next visit', async () => {
      const { store, assigner, clock } = await setUp();
      const visits = [];
      for (const gclid of ['a', 'b', 'c']) visits.push(held(await assigner.numberFor('website', null, fromAd(gclid))));
      clock.ms = T0 + 31 * MINUTE;
      const next = held(await assigner.numberFor('website', null, fromNewsletter));
      assert.equal(next.reused, false);
      // The number that rested longest goes first: all three ended together, so the first given.
      assert.equal(next.number, visits[0]!.number);

      const [during, after, nobody, unpooled] = await recordAndRead(store, [
        callTo(visits[0]!.number, T0 + 10 * MINUTE, 'call-during'),
        callTo(visits[0]!.number, T0 + 32 * MINUTE, 'call-after'),
        callTo(visits[1]!.number, T0 + 32 * MINUTE, 'call-nobody'),
        // The answer webhook marks calls to pool numbers; others are not looked up.
        { ...callTo(visits[0]!.number, T0 + 10 * MINUTE, 'call-not-pooled'), pooled: false },
      ]);
      assert.deepEqual(
        { visitId: during?.visitId, gclid: during?.gclid, source: during?.source, medium: during?.medium, ambiguous: during?.ambiguous },
        { visitId: visits[0]!.visitId, gclid: 'a', source: 'google', medium: 'cpc', ambiguous: false },
      );
      assert.equal(during?.landingPage, 'https://shop.example/landing');
      assert.deepEqual([after?.visitId, after?.source, after?.campaign], [next.visitId, 'newsletter', 'november']);
      assert.equal(nobody, null);
      assert.equal(unpooled, null);
    });

    test('an exhausted pool reuses the least recently active number; calls in the overlap are ambiguous and counted', async () => {
      const { store, assigner, clock } = await setUp();
      const visits = [];
      for (const [i, gclid] of ['a', 'b', 'c'].entries()) {
        clock.ms = T0 + i * MINUTE;
        visits.push(held(await assigner.numberFor('website', null, fromAd(gclid))));
      }
      clock.ms = T0 + 5 * MINUTE;
      assert.ok(await assigner.renew(visits[0]!.visitId)); // the first visit is active again
      clock.ms = T0 + 6 * MINUTE;
      const extra = held(await assigner.numberFor('website', null, fromNewsletter));
      assert.equal(extra.reused, true);
      assert.equal(extra.number, visits[1]!.number, 'the least recently active number is the second visit\'s');
      // The second visit's heartbeat now finds its number gone: the snippet asks again.
      assert.equal(await assigner.renew(visits[1]!.visitId), null);

      const [overlap, before] = await recordAndRead(store, [
        callTo(extra.number, T0 + 7 * MINUTE, 'call-overlap'),
        callTo(extra.number, T0 + 3 * MINUTE, 'call-before'),
      ]);
      assert.deepEqual([overlap?.visitId, overlap?.ambiguous], [extra.visitId, true]);
      assert.deepEqual([before?.visitId, before?.ambiguous], [visits[1]!.visitId, false]);

      const [stats] = await store.dni.holdStats({ since: new Date(T0), until: new Date(T0 + 60 * MINUTE) });
      assert.deepEqual(stats, { poolId: 'website', holds: 4, reusedHolds: 1, peakLiveHolds: 4 });
    });

    test('an unknown visit id or pool is no key to anything', async () => {
      const { assigner } = await setUp();
      const visit = held(await assigner.numberFor('website', 'AAAAAAAAAAAAAAAAAAAAAA', fromNewsletter));
      assert.notEqual(visit.visitId, 'AAAAAAAAAAAAAAAAAAAAAA');
      assert.equal((await assigner.numberFor('nope', null, fromNewsletter)).kind, 'no_pool');
      assert.equal(await assigner.renew('AAAAAAAAAAAAAAAAAAAAAA'), null);
    });

    test('a client out of allowance keeps its own number but gets no new one', async () => {
      const { assigner } = await setUp();
      const visit = held(await assigner.numberFor('website', null, fromNewsletter));
      assert.equal(held(await assigner.numberFor('website', visit.visitId, fromNewsletter, false)).number, visit.number);
      assert.equal((await assigner.numberFor('website', null, fromNewsletter, false)).kind, 'refused');
    });

    test('retention deletes holds that ended before the cutoff and the visits they leave bare; a visit held since stays', async () => {
      const { store, assigner, clock } = await setUp();
      const gone = held(await assigner.numberFor('website', null, fromAd('old-click')));
      const returning = held(await assigner.numberFor('website', null, fromNewsletter));
      clock.ms = T0 + 20 * MINUTE;
      // The returning visit's first hold ends at T0 + 50 min; it comes back later and gets a new one.
      assert.ok(await assigner.renew(returning.visitId));
      clock.ms = T0 + 24 * 60 * MINUTE;
      const back = held(await assigner.numberFor('website', returning.visitId, fromNewsletter));
      assert.deepEqual([back.visitId, back.newHold], [returning.visitId, true]);

      const cutoff = new Date(T0 + 12 * 60 * MINUTE);
      assert.equal(await store.dni.deleteHoldsBefore(cutoff, 1), 1, 'one hold per batch');
      assert.equal(await store.dni.deleteHoldsBefore(cutoff, 10), 1);
      assert.equal(await store.dni.deleteHoldsBefore(cutoff, 10), 0);

      // Calls in the deleted holds' time are credited to nobody now; the returning visit's is kept.
      const [old, recent] = await recordAndRead(store, [
        callTo(gone.number, T0 + 5 * MINUTE, 'call-old'),
        callTo(back.number, T0 + 24 * 60 * MINUTE + MINUTE, 'call-recent'),
      ]);
      assert.equal(old, null);
      assert.deepEqual([recent?.visitId, recent?.source], [returning.visitId, 'newsletter']);
      // The bare visit is gone: its id gets a new visit; the returning one still renews.
      assert.notEqual(held(await assigner.numberFor('website', gone.visitId, fromNewsletter)).visitId, gone.visitId);
      assert.ok(await assigner.renew(returning.visitId));
    });

    test('conversions are remembered as exported', async () => {
      const { store } = await setUp();
      await store.dni.markConversionsExported(['u1', 'u2'], new Date(T0));
      await store.dni.markConversionsExported(['u2', 'u3'], new Date(T0));
      assert.deepEqual([...(await store.dni.exportedConversions(['u1', 'u3', 'u4']))].sort(), ['u1', 'u3']);
    });
  });
}
