// The PostgreSQL store's report buckets written by two instances at once, forced into the
// interleavings where a read-then-write of a bucket, or a delta worked out from a stale row,
// would lose or double a figure: a test connection holds every write to report_buckets (or to
// calls) at a table lock while both instances reach it, then lets them go. Calls are counted by
// the report rollup after they are stored (report-rollup.ts); the rollup races lifecycle changes
// here in both orders, and the reports must be exact before it has run as after.

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { InboundCall } from '../src/domain/calls.js';
import { buildCampaignReport } from '../src/domain/reports.js';
import type { CallStore } from '../src/store/call-store.js';
import { parseEventPayload } from '../src/http/webhook-payloads.js';
import { scriptCall, type FlowName, type ScriptedCall } from './helpers/call-flows.js';
import { postgresSkipReason } from './helpers/postgres.js';
import { twoPostgresInstances } from './helpers/two-postgres-instances.js';
import { ROLLUP_LOCK_KEY } from '../src/store/postgres/report-rollup.js';

const START = Date.UTC(2026, 6, 1, 10, 0);

describe('the PostgreSQL store, report buckets written by two instances at once', { skip: postgresSkipReason }, () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  const setUp = () => twoPostgresInstances('buckets', cleanups);

  const call = (flow: FlowName, caller: string, startedAt: number) => scriptCall(flow, '442079460071', caller, startedAt);
  const answerOf = (c: ScriptedCall, startedAt: number): InboundCall => ({
    uuid: c.uuid, conversationUuid: c.conversationUuid, trackingNumber: c.trackingNumber, caller: c.caller,
    campaign: 'Radio', forwardTo: '447700900000', startedAt: new Date(startedAt),
  });
  const eventsOf = (c: ScriptedCall) => c.events.map((body) => parseEventPayload(body, new Date()));
  const totals = async (store: CallStore, since: number, until: number) => {
    const report = await buildCampaignReport(store.reports, { since: new Date(since), until: new Date(until) }, {
      qualifiedCallSeconds: 60, groupBy: 'campaign', timezone: 'UTC',
    });
    const { calls, answered, missed, totalDurationSeconds, uniqueCallers, firstTimeCallers } = report.totals;
    return { calls, answered, missed, totalDurationSeconds, uniqueCallers, firstTimeCallers };
  };

  test('two lifecycles in one bucket, applied at the same moment on two instances, both count', async () => {
    const { first, second, holdWrites } = await setUp();
    const answered = call('answered', '447700900701', START + 60_000);
    const busy = call('busy', '447700900702', START + 120_000);
    await first.recordCalls([answerOf(answered, START + 60_000), answerOf(busy, START + 120_000)]);
    await first.rollUpReports();
    const held = await holdWrites('report_buckets');
    const writes = [first.recordEvents(eventsOf(answered)), second.recordEvents(eventsOf(busy))];
    await held.waitForWaiting('%INSERT INTO report_buckets (%', 2);
    await held.release();
    await Promise.all(writes);
    assert.deepEqual(await totals(first, START, START + 3_600_000), {
      calls: 2, answered: 1, missed: 1, totalDurationSeconds: answered.expected.durationSeconds, uniqueCallers: 2, firstTimeCallers: 2,
    });
  });

  test('an older call stored on one instance while the later call\'s outcome is applied on another: both changes count', async () => {
    const { first, second, holdWrites } = await setUp();
    const caller = '447700900703';
    const later = call('answered', caller, START + 5 * 60_000);
    const older = call('busy', caller, START + 60_000);
    await first.recordCalls([answerOf(later, START + 5 * 60_000)]);
    await first.rollUpReports();
    const held = await holdWrites('report_buckets');
    // The later call's outcome waits at the buckets holding its row; the rollup counting the
    // older call, which makes the later one a returning caller's, waits for that row.
    const outcome = second.recordEvents(eventsOf(later));
    await held.waitForWaiting('%INSERT INTO report_buckets (%', 1);
    await first.recordCalls([answerOf(older, START + 60_000)]);
    const counting = first.rollUpReports();
    await held.waitForWaiting('%FOR UPDATE%', 1);
    await held.release();
    await Promise.all([outcome, counting]);
    assert.deepEqual(await totals(first, START, START + 3_600_000), {
      calls: 2, answered: 1, missed: 0, totalDurationSeconds: later.expected.durationSeconds, uniqueCallers: 1, firstTimeCallers: 1,
    });
    assert.deepEqual(await totals(second, START + 5 * 60_000, START + 3_600_000), {
      calls: 1, answered: 1, missed: 0, totalDurationSeconds: later.expected.durationSeconds, uniqueCallers: 1, firstTimeCallers: 0,
    });
  });

  /** Figures of the buckets alone, every call counted: what the reports read once nothing is pending. */
  const countedFigures = async (sql: (text: string) => Promise<Record<string, string | null>[]>) => {
    assert.deepEqual(await sql('SELECT uuid FROM report_pending'), [], 'every call is counted');
    const [row] = await sql(`SELECT sum(calls) AS calls, sum(answered) AS answered, sum(missed) AS missed,
      sum(talk_seconds) AS talk_seconds, sum(first_time) AS first_time FROM report_buckets WHERE width = 96`);
    return Object.fromEntries(Object.entries(row!).map(([name, value]) => [name, Number(value)]));
  };

  test('an outcome applied while another instance\'s rollup holds the pending call is counted once, after the rollup', async () => {
    const { first, second, holdWrites, sql } = await setUp();
    const answered = call('answered', '447700900704', START + 60_000);
    const held = await holdWrites('report_buckets');
    await first.recordCalls([answerOf(answered, START + 60_000)]);
    // The rollup counts the call as stored (in progress) and waits at the buckets, holding its row.
    const counting = second.rollUpReports();
    await held.waitForWaiting('%INSERT INTO report_buckets (%', 1);
    const outcome = first.recordEvents(eventsOf(answered));
    await held.waitForWaiting('%FOR UPDATE%', 1);
    await held.release();
    await Promise.all([counting, outcome]);
    const expected = { calls: 1, answered: 1, missed: 0, totalDurationSeconds: answered.expected.durationSeconds, uniqueCallers: 1, firstTimeCallers: 1 };
    assert.deepEqual(await totals(first, START, START + 3_600_000), expected);
    assert.deepEqual(await countedFigures(sql), {
      calls: 1, answered: 1, missed: 0, talk_seconds: answered.expected.durationSeconds, first_time: 1,
    });
  });

  test('a rollup that reaches a call while its outcome is being applied counts the outcome, and the outcome adds nothing', async () => {
    const { first, second, holdWrites, sql } = await setUp();
    const caller = '447700900705';
    const earlier = call('busy', caller, START + 60_000);
    const later = call('answered', caller, START + 5 * 60_000);
    await sql('SELECT pg_advisory_lock($1)', [ROLLUP_LOCK_KEY]);
    await first.recordCalls([answerOf(earlier, START + 60_000), answerOf(later, START + 5 * 60_000)]);
    await first.recordEvents(eventsOf(earlier));
    // Nothing counted yet: the reports add what the pending calls will.
    assert.deepEqual(await totals(second, START, START + 3_600_000), {
      calls: 2, answered: 0, missed: 1, totalDurationSeconds: 0, uniqueCallers: 1, firstTimeCallers: 1,
    });
    assert.deepEqual(await totals(second, START + 5 * 60_000, START + 3_600_000), {
      calls: 1, answered: 0, missed: 0, totalDurationSeconds: 0, uniqueCallers: 1, firstTimeCallers: 0,
    });
    const held = await holdWrites('calls');
    // The outcome holds the later call's row and waits to update it; the rollup waits for the row.
    const outcome = second.recordEvents(eventsOf(later));
    await held.waitForWaiting('%UPDATE calls SET outcome%', 1);
    await sql('SELECT pg_advisory_unlock($1)', [ROLLUP_LOCK_KEY]);
    const counting = first.rollUpReports();
    await held.waitForWaiting('%FOR UPDATE%', 1);
    await held.release();
    await Promise.all([outcome, counting]);
    await first.rollUpReports();
    assert.deepEqual(await totals(second, START, START + 3_600_000), {
      calls: 2, answered: 1, missed: 1, totalDurationSeconds: later.expected.durationSeconds, uniqueCallers: 1, firstTimeCallers: 1,
    });
    assert.deepEqual(await countedFigures(sql), {
      calls: 2, answered: 1, missed: 1, talk_seconds: later.expected.durationSeconds, first_time: 1,
    });
  });
});
