// One suite run unchanged against every store, so memory, SQLite and PostgreSQL cannot drift.
// Narrow it with STORE=memory, STORE=sqlite, STORE=postgres (or a comma-separated list).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CallEvent, CallRecord, InboundCall } from '../src/domain/calls.js';
import { buildCampaignReport, buildDailyReport, buildHourOfWeekReport } from '../src/domain/reports.js';
import type { MediaJob } from '../src/domain/recordings.js';
import type { RouteSettings } from '../src/domain/route.js';
import type { CallStore } from '../src/store/call-store.js';
import { compareNewestFirst } from '../src/store/call-order.js';
import { parseEventPayload } from '../src/http/webhook-payloads.js';
import { scriptCall, seededRandom, shuffled, type FlowName, type ScriptedCall } from './helpers/call-flows.js';
import { BACKENDS, suiteStores } from './helpers/store-backends.js';

const BUSINESS_PHONE = '447700900000';

function inboundCall(uuid: string, fields: Partial<InboundCall> = {}): InboundCall {
  return {
    uuid,
    conversationUuid: `CON-${uuid}`,
    trackingNumber: '442079460001',
    caller: '447700900111',
    campaign: 'Radio',
    forwardTo: BUSINESS_PHONE,
    startedAt: new Date('2026-11-02T09:30:00.000Z'),
    ...fields,
  };
}

function completeCall(uuid: string, fields: Partial<CallRecord> = {}): CallRecord {
  return {
    ...inboundCall(uuid),
    outcome: 'answered',
    answeredAt: new Date('2026-11-02T09:30:06.000Z'),
    endedAt: new Date('2026-11-02T09:31:00.000Z'),
    durationSeconds: 54,
    inboundStatus: 'completed',
    forwardedStatus: 'completed',
    blocked: false,
    attempts: [{ destination: BUSINESS_PHONE, status: 'completed', answered: true }],
    answeredBy: BUSINESS_PHONE,
    attribution: null,
    ...fields,
  };
}

/** The call as the answer webhook would have recorded it. */
function answerOf(flow: ScriptedCall): InboundCall {
  return {
    uuid: flow.uuid,
    conversationUuid: flow.conversationUuid,
    trackingNumber: flow.trackingNumber,
    caller: flow.caller,
    campaign: 'Flows',
    forwardTo: BUSINESS_PHONE,
    startedAt: new Date(flow.events[0]!.timestamp!),
  };
}

function eventsOf(flow: ScriptedCall): CallEvent[] {
  return flow.events.map((body) => parseEventPayload(body, new Date()));
}

function lifecycleOf(call: CallRecord | null) {
  assert.ok(call, 'the call is stored');
  return {
    outcome: call.outcome,
    durationSeconds: call.durationSeconds,
    answeredAt: call.answeredAt?.toISOString() ?? null,
    endedAt: call.endedAt?.toISOString() ?? null,
    inboundStatus: call.inboundStatus,
    forwardedStatus: call.forwardedStatus,
  };
}

type Delivery = { kind: 'call'; call: InboundCall } | { kind: 'events'; events: CallEvent[] };

/** The answer somewhere among the events, some events twice, in batches of one to three. */
function scrambledDeliveries(flow: ScriptedCall, seed: number): Delivery[] {
  const random = seededRandom(seed);
  const events = eventsOf(flow);
  const items: (InboundCall | CallEvent)[] = shuffled([answerOf(flow), ...events, ...events.filter(() => random() < 0.4)], random);
  const deliveries: Delivery[] = [];
  let pending: CallEvent[] = [];
  for (const item of items) {
    if ('legUuid' in item) {
      pending.push(item);
      if (random() < 0.5) deliveries.push({ kind: 'events', events: pending.splice(0) });
    } else {
      if (pending.length) deliveries.push({ kind: 'events', events: pending.splice(0) });
      deliveries.push({ kind: 'call', call: item });
    }
  }
  if (pending.length) deliveries.push({ kind: 'events', events: pending });
  return deliveries;
}

async function deliver(store: CallStore, deliveries: Delivery[]): Promise<void> {
  for (const delivery of deliveries) {
    if (delivery.kind === 'call') await store.recordCalls([delivery.call]);
    else await store.recordEvents(delivery.events);
  }
}

async function allPages(store: CallStore, query: Omit<Parameters<CallStore['listCalls']>[0], 'cursor'>): Promise<CallRecord[]> {
  const calls: CallRecord[] = [];
  let cursor;
  for (let page = 0; page < 1000; page++) {
    const result = await store.listCalls({ ...query, cursor });
    calls.push(...result.calls);
    if (result.nextCursor === null) return calls;
    cursor = result.nextCursor;
  }
  assert.fail('pagination never ended');
}

const uuids = (calls: readonly { uuid: string }[]) => calls.map((c) => c.uuid);

for (const backend of BACKENDS) {
  describe(`the ${backend.name} store`, { skip: backend.skip }, () => {
    const { freshLocation, freshStore } = suiteStores(backend);

    test('a uuid recorded twice is one call, as first recorded', async () => {
      const store = await freshStore();
      await store.recordCalls([inboundCall('dup-1', { caller: '447700900111' })]);
      await store.recordCalls([inboundCall('dup-1', { caller: '447700900222', campaign: 'Other' })]);
      await store.recordCalls([inboundCall('dup-2'), inboundCall('dup-2', { caller: '447700900333' })]);

      const page = await store.listCalls({ limit: 10 });
      assert.deepEqual(uuids(page.calls).sort(), ['dup-1', 'dup-2']);
      assert.equal((await store.findCall('dup-1'))?.caller, '447700900111');
      assert.equal((await store.findCall('dup-1'))?.campaign, 'Radio');
      assert.equal((await store.findCall('dup-2'))?.caller, '447700900111');
    });

    test('a recorded call reads back field for field, in progress until its events arrive', async () => {
      const store = await freshStore();
      const call = inboundCall('fields-1', { caller: null, trackingNumber: null, conversationUuid: null, campaign: null });
      await store.recordCalls([call]);
      assert.deepEqual(await store.findCall('fields-1'), {
        ...call, outcome: 'in_progress', answeredAt: null, endedAt: null, durationSeconds: null, inboundStatus: null, forwardedStatus: null,
        blocked: false, attempts: [], answeredBy: null, attribution: null,
      });
      assert.equal(await store.findCall('no-such-call'), null);
    });

    test('imported calls keep the lifecycle given, and a uuid already stored is skipped', async () => {
      const store = await freshStore();
      await store.recordCalls([inboundCall('imp-1')]);
      const imported = [
        completeCall('imp-1', { caller: '447700900999' }),
        completeCall('imp-2'),
        completeCall('imp-3', {
          outcome: 'missed', answeredAt: null, durationSeconds: 0, forwardedStatus: 'busy', campaign: null,
          attempts: [{ destination: BUSINESS_PHONE, status: 'busy', answered: false }], answeredBy: null,
        }),
      ];
      await store.importCalls(imported);
      assert.equal((await store.findCall('imp-1'))?.caller, '447700900111');
      assert.equal((await store.findCall('imp-1'))?.outcome, 'in_progress');
      assert.deepEqual(await store.findCall('imp-2'), imported[1]);
      assert.deepEqual(await store.findCall('imp-3'), imported[2]);
    });

    const FLOWS: FlowName[] = ['answered', 'busy', 'caller hangs up while ringing', 'withheld caller'];
    for (const flow of FLOWS) {
      test(`a ${flow} call gets the same lifecycle from its events in any order, duplicated, before or after the call`, async () => {
        const store = await freshStore();
        for (let seed = 1; seed <= 6; seed++) {
          const scripted = scriptCall(flow, '442079460002', flow === 'withheld caller' ? null : '447700900123');
          await deliver(store, scrambledDeliveries(scripted, seed));
          assert.deepEqual(lifecycleOf(await store.findCall(scripted.uuid)), scripted.expected, `${flow}, seed ${seed}`);
        }
      });
    }

    test('events that arrive before the call are folded in when the call is recorded', async () => {
      const store = await freshStore();
      const scripted = scriptCall('answered', '442079460003', '447700900124');
      await store.recordEvents(eventsOf(scripted));
      assert.equal(await store.findCall(scripted.uuid), null);
      await store.recordCalls([answerOf(scripted)]);
      assert.deepEqual(lifecycleOf(await store.findCall(scripted.uuid)), scripted.expected);
      assert.equal((await store.findCall(scripted.uuid))?.durationSeconds, 42);
    });

    test('a call keeps the campaign given when it was recorded, whatever the number becomes', async () => {
      const store = await freshStore();
      await store.saveTrackingNumber({ number: '442079460004', campaign: 'Spring', forwardTo: null, whisper: null, route: null });
      await store.recordCalls([inboundCall('camp-1', { trackingNumber: '442079460004', campaign: 'Spring' })]);
      await store.saveTrackingNumber({ number: '442079460004', campaign: 'Autumn', forwardTo: null, whisper: null, route: null });
      await store.recordCalls([inboundCall('camp-2', { trackingNumber: '442079460004', campaign: 'Autumn' })]);
      assert.equal((await store.findCall('camp-1'))?.campaign, 'Spring');
      assert.equal((await store.findCall('camp-2'))?.campaign, 'Autumn');
    });

    test('calls are listed newest first, filtered by number, campaign (or none) and a half-open time range', async () => {
      const store = await freshStore();
      const at = (hour: number) => new Date(Date.UTC(2026, 10, 3, hour));
      await store.recordCalls([
        inboundCall('f-1', { trackingNumber: '442079460011', campaign: 'Radio', startedAt: at(8) }),
        inboundCall('f-2', { trackingNumber: '442079460011', campaign: 'Radio', startedAt: at(9) }),
        inboundCall('f-3', { trackingNumber: '442079460012', campaign: 'Print', startedAt: at(10) }),
        inboundCall('f-4', { trackingNumber: '442079460013', campaign: null, startedAt: at(11) }),
        inboundCall('f-5', { trackingNumber: '442079460011', campaign: null, startedAt: at(12) }),
      ]);
      const list = async (query: Partial<Parameters<CallStore['listCalls']>[0]>) => uuids((await store.listCalls({ limit: 100, ...query })).calls);
      assert.deepEqual(await list({}), ['f-5', 'f-4', 'f-3', 'f-2', 'f-1']);
      assert.deepEqual(await list({ trackingNumber: '442079460011' }), ['f-5', 'f-2', 'f-1']);
      assert.deepEqual(await list({ trackingNumber: '442079469999' }), []);
      assert.deepEqual(await list({ campaign: 'Radio' }), ['f-2', 'f-1']);
      assert.deepEqual(await list({ campaign: null }), ['f-5', 'f-4']);
      assert.deepEqual(await list({ campaign: null, trackingNumber: '442079460011' }), ['f-5']);
      assert.deepEqual(await list({ since: at(9), until: at(11) }), ['f-3', 'f-2']);
      assert.deepEqual(await list({ since: at(12) }), ['f-5']);
      assert.deepEqual(await list({ until: at(8) }), []);
      assert.deepEqual(await list({ limit: 2 }), ['f-5', 'f-4']);
    });

    test('keyset pages over equal start times have no gaps and no repeats', async () => {
      const store = await freshStore();
      // Mixed case and punctuation: the order must be by bytes in every store.
      const names = ['a', 'B', 'c', 'D', 'a-1', 'a_1', 'Z9', 'z9', '0x', '9x', 'A', 'b'];
      const calls = names.flatMap((name, i) =>
        [0, 1, 2].map((t) => inboundCall(`${name}-${t}`, { startedAt: new Date(Date.UTC(2026, 10, 4, 12, 0, t + (i % 2))) })),
      );
      await store.recordCalls(calls);
      const expected = uuids([...calls].sort(compareNewestFirst));
      for (const limit of [1, 4, 7, 36, 500]) {
        assert.deepEqual(uuids(await allPages(store, { limit })), expected, `pages of ${limit}`);
      }
      const since = new Date(Date.UTC(2026, 10, 4, 12, 0, 1));
      const until = new Date(Date.UTC(2026, 10, 4, 12, 0, 2));
      assert.deepEqual(
        uuids(await allPages(store, { limit: 3, since, until })),
        expected.filter((uuid) => calls.find((c) => c.uuid === uuid)!.startedAt.getTime() === since.getTime()),
      );
      const first = await store.listCalls({ limit: 36 });
      assert.equal(first.nextCursor, null, 'no cursor after the last page');
    });

    test('pages of one number or campaign over many hours match the filter applied to every call', async () => {
      const store = await freshStore();
      const hour = 3_600_000;
      const base = Date.UTC(2026, 6, 1);
      // 1,000 hours (more than the store may read from its rollup at once), most of them empty
      // for the rare campaign; calls on and either side of hour
      // boundaries, several at one instant, some stored after later ones (an import, a late
      // webhook), and a campaign that turns up in only two hours far apart.
      const calls: InboundCall[] = [];
      for (let i = 0; i < 1500; i++) {
        const offset = [0, -1, 1, hour - 1][i % 4]!;
        const startedAt = new Date(base + Math.floor(i * 0.67) * hour + (i % 7 === 0 ? 0 : offset) + (i % 4 === 0 ? hour : 0));
        calls.push(inboundCall(`h-${i}`, {
          trackingNumber: `44207946004${i % 3}`,
          campaign: i === 5 || i === 1490 ? 'Rare' : i % 5 === 0 ? null : ['Radio', 'Print'][i % 2]!,
          startedAt,
        }));
      }
      const late = calls.filter((_, i) => i % 11 === 0);
      await store.recordCalls(calls.filter((_, i) => i % 11 !== 0));
      await store.recordCalls(late);
      const everything = await allPages(store, { limit: 2000 });
      assert.equal(everything.length, calls.length);
      const filters: Omit<Parameters<CallStore['listCalls']>[0], 'cursor' | 'limit'>[] = [
        { campaign: 'Radio' }, { campaign: null }, { campaign: 'Rare' }, { campaign: 'Absent' },
        { trackingNumber: '442079460041' }, { trackingNumber: '442079460040', campaign: 'Print' },
        { campaign: 'Radio', since: new Date(base + 37 * hour), until: new Date(base + 121 * hour + 1) },
        { trackingNumber: '442079460042', since: new Date(base + 700 * hour - 1) },
      ];
      for (const filter of filters) {
        const expected = everything.filter((c) =>
          (filter.campaign === undefined || c.campaign === filter.campaign) &&
          (filter.trackingNumber === undefined || c.trackingNumber === filter.trackingNumber) &&
          (!filter.since || c.startedAt >= filter.since) && (!filter.until || c.startedAt < filter.until));
        for (const limit of [3, 50, 2000]) {
          assert.deepEqual(uuids(await allPages(store, { ...filter, limit })), uuids(expected), `${JSON.stringify(filter)}, pages of ${limit}`);
        }
      }
    });

    test('tracking numbers are created, replaced, listed in order and deleted', async () => {
      const store = await freshStore();
      assert.deepEqual(await store.listTrackingNumbers(), []);
      await store.saveTrackingNumber({ number: '442079460022', campaign: 'Print', forwardTo: '447700900001', whisper: 'Print call', route: null });
      await store.saveTrackingNumber({ number: '442079460021', campaign: null, forwardTo: null, whisper: null, route: null });
      await store.saveTrackingNumber({ number: '442079460022', campaign: 'Radio', forwardTo: null, whisper: null, route: null });
      assert.deepEqual(await store.listTrackingNumbers(), [
        { number: '442079460021', campaign: null, forwardTo: null, whisper: null, route: null },
        { number: '442079460022', campaign: 'Radio', forwardTo: null, whisper: null, route: null },
      ]);
      assert.equal(await store.deleteTrackingNumber('442079460021'), true);
      assert.equal(await store.deleteTrackingNumber('442079460021'), false);
      assert.deepEqual(await store.listTrackingNumbers(), [{ number: '442079460022', campaign: 'Radio', forwardTo: null, whisper: null, route: null }]);
    });

    test('campaign and number reports, daily counts and the hour-of-week grid count a small set of calls', async () => {
      const store = await freshStore();
      const day = (d: number, h: number, m = 0) => new Date(Date.UTC(2026, 9, d, h, m));
      const answered = (talk: number) => ({ outcome: 'answered' as const, durationSeconds: talk });
      const missed = { outcome: 'missed' as const, answeredAt: null, durationSeconds: 0, forwardedStatus: 'busy' };
      await store.importCalls([
        // Before the range: makes this caller's later call not a first-time call.
        completeCall('r-0', { caller: '447700900001', startedAt: day(3, 10), ...answered(30) }),
        // Sunday 4 October 2026.
        completeCall('r-1', { caller: '447700900001', trackingNumber: '442079460031', startedAt: day(4, 9), ...answered(90) }),
        completeCall('r-2', { caller: '447700900002', trackingNumber: '442079460032', startedAt: day(4, 9, 30), ...answered(20) }),
        completeCall('r-3', { caller: '447700900002', trackingNumber: '442079460031', startedAt: day(4, 23, 59), ...missed }),
        // Monday 5 October.
        completeCall('r-4', { caller: null, campaign: null, trackingNumber: '442079460033', startedAt: day(5, 0), ...missed }),
        completeCall('r-5', { caller: '447700900003', campaign: 'Print', trackingNumber: '442079460034', startedAt: day(5, 14),
          outcome: 'in_progress', answeredAt: null, endedAt: null, durationSeconds: null }),
        // At the range's end, so outside it.
        completeCall('r-6', { caller: '447700900004', startedAt: day(6, 0), ...answered(300) }),
      ]);
      // r-1 was recorded, and r-3's caller left a voicemail; a repeated webhook counts once.
      for (const [id, kind, uuid] of [['rec-1', 'call', 'r-1'], ['vm-3', 'voicemail', 'r-3'], ['vm-3', 'voicemail', 'r-3']] as const) {
        const conversationUuid = inboundCall(uuid).conversationUuid!;
        await store.media.saveMediaJob({
          id, kind, conversationUuid, recordingId: null, url: `https://api.nexmo.com/v1/files/${id}`, sizeBytes: 100,
          startedAt: null, endedAt: null, receivedAt: day(4, 10), expiresAt: day(30, 0),
        });
      }
      const range = { since: day(4, 0), until: day(6, 0) };

      const report = await buildCampaignReport(store.reports, range, { qualifiedCallSeconds: 60, groupBy: 'campaign', timezone: 'UTC' });
      const byCampaign = new Map(report.rows.map(({ answerRate, averageDurationSeconds, ...row }) => [row.campaign, row]));
      assert.equal(report.rows.length, 3);
      assert.deepEqual(byCampaign.get('Radio'), {
        campaign: 'Radio', trackingNumbers: ['442079460031', '442079460032'], calls: 3, uniqueCallers: 2, firstTimeCallers: 1,
        answered: 2, missed: 1, blocked: 0, totalDurationSeconds: 110, qualifiedCalls: 1, voicemails: 1, recordedCalls: 1,
      });
      assert.deepEqual(byCampaign.get(null), {
        campaign: null, trackingNumbers: ['442079460033'], calls: 1, uniqueCallers: 0, firstTimeCallers: 0,
        answered: 0, missed: 1, blocked: 0, totalDurationSeconds: 0, qualifiedCalls: 0, voicemails: 0, recordedCalls: 0,
      });
      assert.deepEqual(byCampaign.get('Print'), {
        campaign: 'Print', trackingNumbers: ['442079460034'], calls: 1, uniqueCallers: 1, firstTimeCallers: 1,
        answered: 0, missed: 0, blocked: 0, totalDurationSeconds: 0, qualifiedCalls: 0, voicemails: 0, recordedCalls: 0,
      });
      assert.equal(report.totals.uniqueCallers, 3);

      const byNumber = await buildCampaignReport(store.reports, range, { qualifiedCallSeconds: 60, groupBy: 'number', timezone: 'UTC' });
      assert.deepEqual(
        byNumber.rows.map((row) => ['trackingNumber' in row ? row.trackingNumber : undefined, row.campaign, row.calls, row.uniqueCallers]),
        [['442079460031', 'Radio', 2, 2], ['442079460032', 'Radio', 1, 1], ['442079460033', null, 1, 0], ['442079460034', 'Print', 1, 1]],
      );

      const daily = (await buildDailyReport(store.reports, range, 'UTC')).days;
      assert.deepEqual(daily, [
        { day: '2026-10-04', campaign: 'Radio', calls: 3, answered: 2, missed: 1 },
        { day: '2026-10-05', campaign: 'Print', calls: 1, answered: 0, missed: 0 },
        { day: '2026-10-05', campaign: null, calls: 1, answered: 0, missed: 1 },
      ]);

      const grid = (await buildHourOfWeekReport(store.reports, range, 'UTC')).counts;
      assert.equal(grid.length, 7);
      assert.ok(grid.every((row) => row.length === 24));
      assert.equal(grid[0]![9], 2);
      assert.equal(grid[0]![23], 1);
      assert.equal(grid[1]![0], 1);
      assert.equal(grid[1]![14], 1);
      assert.equal(grid.flat().reduce((sum, n) => sum + n, 0), 5);
    });

    test("a caller's first two calls in the same millisecond make one first-time caller: the one first in uuid order", async () => {
      const store = await freshStore();
      const cases = [
        { name: 'recorded in uuid order, one by one', order: ['a', 'b'], batch: false, imported: false },
        { name: 'recorded against uuid order, one by one', order: ['b', 'a'], batch: false, imported: false },
        { name: 'recorded in one batch, against uuid order', order: ['b', 'a'], batch: true, imported: false },
        { name: 'imported in one batch, in uuid order', order: ['a', 'b'], batch: true, imported: true },
        { name: 'imported one by one, against uuid order', order: ['b', 'a'], batch: false, imported: true },
      ];
      for (const [i, { name, order, batch, imported }] of cases.entries()) {
        const startedAt = new Date(Date.UTC(2026, 8, 1, 9, i, 0, 123));
        const caller = `44770090070${i}`;
        // The campaigns tell which of the two was counted.
        const calls = order.map((suffix) => {
          const fields = { caller, startedAt, campaign: suffix === 'a' ? 'First' : 'Second' };
          const uuid = `tie-${i}-${suffix}`;
          return imported ? completeCall(uuid, fields) : inboundCall(uuid, fields);
        });
        const record = (group: typeof calls) => (imported ? store.importCalls(group as CallRecord[]) : store.recordCalls(group));
        if (batch) await record(calls);
        else for (const call of calls) await record([call]);

        const minute = { since: new Date(Date.UTC(2026, 8, 1, 9, i)), until: new Date(Date.UTC(2026, 8, 1, 9, i + 1)) };
        const report = await buildCampaignReport(store.reports, minute, { qualifiedCallSeconds: 60, groupBy: 'campaign', timezone: 'UTC' });
        const firstTime = Object.fromEntries(report.rows.map((row) => [row.campaign, row.firstTimeCallers]));
        assert.deepEqual(firstTime, { First: 1, Second: 0 }, name);
      }
    });

    test('a store answers ping, closes, and can be closed twice', async () => {
      const store = await freshStore();
      await store.ping();
      await store.close();
      await store.close();
    });

    test('a durable store keeps its calls, events and numbers across a close and reopen', { skip: backend.name === 'memory' && 'nothing to reopen' }, async () => {
      const location = await freshLocation();
      const first = await location.open();
      const scripted = scriptCall('busy', '442079460041', '447700900125');
      await first.recordCalls([answerOf(scripted)]);
      await first.recordEvents(eventsOf(scripted).slice(0, 3));
      await first.saveTrackingNumber({ number: '442079460041', campaign: 'Kept', forwardTo: null, whisper: 'Hello', route: null });
      await first.close();

      const second = await location.open();
      await second.recordEvents(eventsOf(scripted).slice(3));
      assert.deepEqual(lifecycleOf(await second.findCall(scripted.uuid)), scripted.expected);
      assert.deepEqual(await second.listTrackingNumbers(), [{ number: '442079460041', campaign: 'Kept', forwardTo: null, whisper: 'Hello', route: null }]);
    });

    test('a route and the global block list read back as saved', async () => {
      const store = await freshStore();
      assert.deepEqual(await store.getBlockList(), { numbers: [], prefixes: [], withheld: false });
      const list = { numbers: ['447700900666'], prefixes: ['1900'], withheld: true };
      await store.saveBlockList(list);
      assert.deepEqual(await store.getBlockList(), list);
      const route: RouteSettings = {
        timeZone: 'Europe/London', hours: { mon: [{ from: '09:00', to: '12:30' }, { from: '13:30', to: '17:00' }], sat: [] },
        closedDates: ['2026-12-25'], destinations: [{ number: '447700900001', ringSeconds: 20 }, { number: '447700900002', ringSeconds: null }],
        strategy: 'round_robin', closedAction: { type: 'message', text: "We're closed." }, blockList: { numbers: [], prefixes: ['44770090'], withheld: false },
      };
      await store.saveTrackingNumber({ number: '442079460061', campaign: null, forwardTo: null, whisper: null, route });
      assert.deepEqual(await store.listTrackingNumbers(), [{ number: '442079460061', campaign: null, forwardTo: null, whisper: null, route }]);
    });

    test('round-robin turns run 0, 1, 2, … per number, each turn given once however many are taken at once', async () => {
      const location = await freshLocation();
      const instances = location.durable ? [await location.open(), await location.open()] : [await location.open()];
      const turns = await Promise.all(Array.from({ length: 20 }, (_, i) => instances[i % instances.length]!.takeRoundRobinTurn('442079460062')));
      assert.deepEqual([...turns].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
      assert.equal(await instances[0]!.takeRoundRobinTurn('442079460063'), 0, 'each number counts on its own');
    });

    test('a blocked call stays blocked whatever its events, and keeps no attempts', async () => {
      const store = await freshStore();
      const early = inboundCall('blocked-2', { blocked: true });
      await store.recordEvents([{ legUuid: 'blocked-2', conversationUuid: 'CON-blocked-2', status: 'started', occurredAt: new Date('2026-11-02T09:30:00Z'), direction: 'inbound', durationSeconds: null }]);
      await store.recordCalls([inboundCall('blocked-1', { blocked: true }), early]);
      await store.recordEvents(['blocked-1', 'blocked-2'].map((uuid) => (
        { legUuid: uuid, conversationUuid: `CON-${uuid}`, status: 'completed', occurredAt: new Date('2026-11-02T09:30:02Z'), direction: 'inbound', durationSeconds: 2 })));
      for (const uuid of ['blocked-1', 'blocked-2']) {
        const call = await store.findCall(uuid);
        assert.equal(call?.outcome, 'blocked', uuid);
        assert.equal(call?.blocked, true);
        assert.deepEqual(call?.attempts, []);
        assert.equal(call?.endedAt?.toISOString(), '2026-11-02T09:30:02.000Z');
      }
    });

    test('each destination rung is an attempt, in order, and the one that answered is kept', async () => {
      const store = await freshStore();
      await store.recordCalls([inboundCall('attempts-1')]);
      const leg = (uuid: string, to: string, status: string, second: number) => ({
        legUuid: uuid, conversationUuid: 'CON-attempts-1', status, occurredAt: new Date(Date.UTC(2026, 10, 2, 9, 30, second)),
        direction: 'outbound' as const, durationSeconds: status === 'completed' ? 30 : null, to,
      });
      await store.recordEvents([leg('leg-b', '447700900002', 'started', 20), leg('leg-a', '447700900001', 'started', 1), leg('leg-a', '447700900001', 'busy', 5)]);
      await store.recordEvents([leg('leg-b', '447700900002', 'answered', 25), leg('leg-b', '447700900002', 'completed', 55)]);
      const call = await store.findCall('attempts-1');
      assert.deepEqual(call?.attempts, [
        { destination: '447700900001', status: 'busy', answered: false },
        { destination: '447700900002', status: 'completed', answered: true },
      ]);
      assert.equal(call?.answeredBy, '447700900002');
      assert.equal(call?.outcome, 'answered');
      assert.equal(call?.durationSeconds, 30);
    });

    test('instances opening one empty database at the same moment all start, and share it', { skip: backend.name === 'memory' && 'one process only' }, async () => {
      const location = await freshLocation();
      // Each brings the schema up to date at start-up; they must not trip over one another.
      const instances = await Promise.all([1, 2, 3, 4].map(() => location.open()));
      await instances[0]!.recordCalls([inboundCall('shared-1')]);
      for (const instance of instances) assert.equal((await instance.findCall('shared-1'))?.uuid, 'shared-1');
    });

    test('two instances sharing one database, each given some of the calls and events at once, lose no update', { skip: backend.name === 'memory' && 'one process only' }, async () => {
      const location = await freshLocation();
      const instances = [await location.open(), await location.open()];
      const random = seededRandom(42);
      const mix: FlowName[] = ['answered', 'busy', 'caller hangs up while ringing', 'timeout'];
      const flows = Array.from({ length: 24 }, (_, i) => scriptCall(mix[i % mix.length]!, '442079460051', `4477009002${String(i).padStart(2, '0')}`));
      // Every webhook goes to a random instance (the same answer webhook to both, as when Vonage
      // retries through a load balancer); all of them run at once, one store call each.
      const writes: (() => Promise<void>)[] = [];
      const pick = () => instances[Math.floor(random() * instances.length)]!;
      for (const flow of flows) {
        for (const instance of instances) writes.push(() => instance.recordCalls([answerOf(flow)]));
        for (const event of eventsOf(flow)) {
          const instance = pick();
          writes.push(() => instance.recordEvents([event]));
        }
      }
      await Promise.all(shuffled(writes, random).map((write) => write()));

      const stored = await allPages(instances[0]!, { limit: 500, trackingNumber: '442079460051' });
      assert.equal(stored.length, flows.length, 'each call once');
      for (const flow of flows) {
        assert.deepEqual(lifecycleOf(await instances[1]!.findCall(flow.uuid)), flow.expected, flow.name);
      }
    });

    test('a media job is kept once, claimed by one holder at a time, and claimed again once its lease runs out', async () => {
      const store = await freshStore();
      const receivedAt = new Date('2026-11-02T09:35:00.000Z');
      await store.media.saveMediaJob(mediaJob('rec-1', receivedAt));
      await store.media.saveMediaJob({ ...mediaJob('rec-1', receivedAt), url: 'https://api.nexmo.com/v1/files/other' });
      const t0 = new Date(receivedAt.getTime() + 1000);
      const claimed = await store.media.claimMediaJob('a', t0, 60_000);
      assert.deepEqual([claimed?.id, claimed?.url, claimed?.attempts, claimed?.status], ['rec-1', 'https://api.nexmo.com/v1/files/rec-1', 1, 'pending']);
      assert.equal(await store.media.claimMediaJob('b', new Date(t0.getTime() + 59_000), 60_000), null, 'held by a');
      // a crashed mid-download: its lease runs out and b takes the job; a's late completion is refused.
      const retaken = await store.media.claimMediaJob('b', new Date(t0.getTime() + 61_000), 60_000);
      assert.deepEqual([retaken?.id, retaken?.attempts], ['rec-1', 2]);
      assert.equal(await store.media.completeMediaJob('rec-1', 'a', { fileKey: 'rec-1.mp3', storedBytes: 10, contentType: 'audio/mpeg' }), false);
      assert.equal(await store.media.completeMediaJob('rec-1', 'b', { fileKey: 'rec-1.mp3', storedBytes: 10, contentType: 'audio/mpeg' }), true);
      const stored = await store.media.findMedia('rec-1');
      assert.deepEqual([stored?.status, stored?.fileKey, stored?.storedBytes, stored?.contentType, stored?.sizeBytes], ['stored', 'rec-1.mp3', 10, 'audio/mpeg', 10]);
      assert.equal(await store.media.claimMediaJob('c', new Date(t0.getTime() + 999_000), 60_000), null, 'a stored job is never claimed');
    });

    test('a failed attempt waits for its retry time; a job given up is never claimed again', async () => {
      const store = await freshStore();
      const receivedAt = new Date('2026-11-02T09:35:00.000Z');
      await store.media.saveMediaJob(mediaJob('rec-2', receivedAt));
      await store.media.saveMediaJob(mediaJob('rec-3', new Date(receivedAt.getTime() + 1)));
      const now = new Date(receivedAt.getTime() + 1000);
      const first = await store.media.claimMediaJob('a', now, 60_000);
      assert.equal(first?.id, 'rec-2');
      await store.media.failMediaJob('rec-2', 'a', 'HTTP 503', new Date(now.getTime() + 5000));
      assert.equal((await store.media.claimMediaJob('a', now, 60_000))?.id, 'rec-3');
      await store.media.failMediaJob('rec-3', 'a', 'expired', null);
      assert.equal(await store.media.claimMediaJob('a', new Date(now.getTime() + 4000), 60_000), null);
      const retried = await store.media.claimMediaJob('a', new Date(now.getTime() + 5000), 60_000);
      assert.deepEqual([retried?.id, retried?.attempts, retried?.lastError], ['rec-2', 2, 'HTTP 503']);
      assert.deepEqual([(await store.media.findMedia('rec-3'))?.status, (await store.media.findMedia('rec-3'))?.lastError], ['failed', 'expired']);
      assert.deepEqual((await store.media.listMediaOf(['CON-rec-2', 'CON-rec-3', 'CON-none'])).map((m) => m.id), ['rec-2', 'rec-3']);
      assert.deepEqual((await store.media.listMediaReceivedBefore(new Date(receivedAt.getTime() + 1), 10)).map((m) => m.id), ['rec-2']);
      assert.equal(await store.media.deleteMedia('rec-2'), true);
      assert.equal(await store.media.deleteMedia('rec-2'), false);
      assert.equal(await store.media.findMedia('rec-2'), null);
    });

    test('instances claiming at once each get a different job, never the same one', { skip: backend.name === 'memory' && 'one process only' }, async () => {
      const location = await freshLocation();
      const instances = [await location.open(), await location.open()];
      const receivedAt = new Date('2026-11-02T09:35:00.000Z');
      for (let i = 0; i < 12; i++) await instances[0]!.media.saveMediaJob(mediaJob(`race-${i}`, receivedAt));
      const now = new Date(receivedAt.getTime() + 1000);
      // Rounds of a few claims at once: enough to race, few enough connections for a small server.
      const ids: string[] = [];
      for (let round = 0; round < 3; round++) {
        const claims = await Promise.all(Array.from({ length: 6 }, (_, i) => instances[i % 2]!.media.claimMediaJob(`owner-${round}-${i}`, now, 60_000)));
        ids.push(...claims.flatMap((claim) => (claim ? [claim.id] : [])));
      }
      assert.equal(ids.length, 12);
      assert.equal(new Set(ids).size, 12);
    });
  });
}

function mediaJob(id: string, receivedAt: Date): MediaJob {
  return {
    id, kind: 'call', conversationUuid: `CON-${id}`, recordingId: null, url: `https://api.nexmo.com/v1/files/${id}`, sizeBytes: 10,
    startedAt: new Date(receivedAt.getTime() - 60_000), endedAt: receivedAt, receivedAt, expiresAt: new Date(receivedAt.getTime() + 30 * 86_400_000),
  };
}
