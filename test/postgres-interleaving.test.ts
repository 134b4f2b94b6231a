// The PostgreSQL store's two writers, calls and events, on two instances, forced into the
// interleavings that lose a lifecycle when either side looks for the other's rows before its own
// are committed: a test connection holds one side's insert at a table lock while the other side
// runs to the end, then lets it go.

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { CallStore } from '../src/store/call-store.js';
import { parseEventPayload } from '../src/http/webhook-payloads.js';
import { scriptCall, type ScriptedCall } from './helpers/call-flows.js';
import { postgresSkipReason } from './helpers/postgres.js';
import { twoPostgresInstances } from './helpers/two-postgres-instances.js';

describe('the PostgreSQL store, a call and its events on two instances', { skip: postgresSkipReason }, () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  const setUp = () => twoPostgresInstances('interleaving', cleanups);

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
    const { first: calls, second: events, holdWrites } = await setUp();
    const call = flow();
    const held = await holdWrites('calls');
    const recording = calls.recordCalls([answerOf(call)]);
    await held.waitForWaiting('%INSERT INTO calls (%', 1);
    await events.recordEvents(eventsOf(call));
    await held.release();
    await recording;
    assert.deepEqual(await outcomeOf(calls, call), { outcome: call.expected.outcome, durationSeconds: call.expected.durationSeconds });
  });

  test('a call stored in full while its events are held at their insert gets them once they are stored', async () => {
    const { first: calls, second: events, holdWrites } = await setUp();
    const call = flow();
    const held = await holdWrites('call_events');
    const recording = events.recordEvents(eventsOf(call));
    await held.waitForWaiting('%INSERT INTO call_events (%', 1);
    await calls.recordCalls([answerOf(call)]);
    assert.equal((await outcomeOf(calls, call)).outcome, 'in_progress', 'no event is stored yet');
    await held.release();
    await recording;
    assert.deepEqual(await outcomeOf(calls, call), { outcome: call.expected.outcome, durationSeconds: call.expected.durationSeconds });
  });
});
