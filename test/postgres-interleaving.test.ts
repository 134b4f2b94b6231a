// The PostgreSQL store's two writers, calls and events, on two instances, forced into the
// interleavings that lose a lifecycle when either side looks for the other's rows before its own
// are committed: a test connection holds one side's insert at a table lock while the other side
// runs to the end, then lets it go.

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import type { CallStore } from '../src/store/call-store.js';
import { openPostgresStore } from '../src/store/postgres/postgres-store.js';
import { parseEventPayload } from '../src/http/webhook-payloads.js';
import { scriptCall, type ScriptedCall } from './helpers/call-flows.js';
import { createTestDatabase, postgresSkipReason } from './helpers/postgres.js';

describe('the PostgreSQL store, a call and its events on two instances', { skip: postgresSkipReason }, () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  async function setUp() {
    const database = await createTestDatabase('interleaving');
    cleanups.push(database.drop);
    const [calls, events] = [await openPostgresStore(database.url), await openPostgresStore(database.url)];
    cleanups.push(() => calls.close(), () => events.close());
    const blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
    cleanups.push(() => blocker.end());
    return { calls, events, blocker };
  }

  /** Holds every insert into `table` until release(); reads and row locks go on. */
  async function holdInserts(blocker: pg.Client, table: 'calls' | 'call_events') {
    await blocker.query('BEGIN');
    await blocker.query(`LOCK TABLE ${table} IN SHARE ROW EXCLUSIVE MODE`);
    return {
      /** Resolves once a statement is waiting for the lock: the insert has been sent and is held. */
      async waitForHeldInsert() {
        // Well within the store's 5 s query timeout, which the held insert is counting down.
        for (let i = 0; i < 200; i++) {
          // Inside a transaction the statistics views keep the first snapshot taken: drop it.
          await blocker.query('SELECT pg_stat_clear_snapshot()');
          const { rows } = await blocker.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO ${table} (%'`,
          );
          if (rows[0]!.n > 0) return;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        assert.fail(`no insert into ${table} ever waited for the lock`);
      },
      release: () => blocker.query('COMMIT'),
    };
  }

  const flow = () => scriptCall('answered', '442079460061', '447700900601');
  const answerOf = (call: ScriptedCall) => ({
    uuid: call.uuid, conversationUuid: call.conversationUuid, trackingNumber: call.trackingNumber, caller: call.caller,
    campaign: null, forwardTo: '447700900000', startedAt: new Date(call.events[0]!.timestamp!),
  });
  const eventsOf = (call: ScriptedCall) => call.events.map((body) => parseEventPayload(body, new Date()));

  async function outcomeOf(store: CallStore, call: ScriptedCall) {
    const stored = await store.findCall(call.uuid);
    assert.ok(stored, 'the call is stored');
    return { outcome: stored.outcome, durationSeconds: stored.durationSeconds };
  }

  test('events stored in full while the call is held at its insert are folded in once the call is stored', async () => {
    const { calls, events, blocker } = await setUp();
    const call = flow();
    const held = await holdInserts(blocker, 'calls');
    const recording = calls.recordCalls([answerOf(call)]);
    await held.waitForHeldInsert();
    await events.recordEvents(eventsOf(call));
    await held.release();
    await recording;
    assert.deepEqual(await outcomeOf(calls, call), { outcome: call.expected.outcome, durationSeconds: call.expected.durationSeconds });
  });

  test('a call stored in full while its events are held at their insert gets them once they are stored', async () => {
    const { calls, events, blocker } = await setUp();
    const call = flow();
    const held = await holdInserts(blocker, 'call_events');
    const recording = events.recordEvents(eventsOf(call));
    await held.waitForHeldInsert();
    await calls.recordCalls([answerOf(call)]);
    assert.equal((await outcomeOf(calls, call)).outcome, 'in_progress', 'no event is stored yet');
    await held.release();
    await recording;
    assert.deepEqual(await outcomeOf(calls, call), { outcome: call.expected.outcome, durationSeconds: call.expected.durationSeconds });
  });
});
