// deriveLifecycle on its own: each rule of README's "How a call's outcome is decided", one test
// each, without a store in between (fast enough for mutation testing, `npm run mutate`).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { CallEvent } from '../src/domain/calls.js';
import { IN_PROGRESS } from '../src/domain/calls.js';
import { deriveLifecycle as deriveFor } from '../src/domain/lifecycle.js';

const CALL = 'inbound-leg';
const FORWARDED = 'forwarded-leg';
const at = (second: number) => new Date(Date.UTC(2026, 10, 2, 9, 30, second));

/** The lifecycle of the call CALL, without the attempts (their own test below). */
function deriveLifecycle(_call: string, events: readonly CallEvent[]) {
  const { attempts: _attempts, answeredBy: _answeredBy, ...lifecycle } = deriveFor({ uuid: CALL }, events);
  return lifecycle;
}
const { attempts: _attempts, answeredBy: _answeredBy, ...NOTHING_YET } = IN_PROGRESS;

function event(legUuid: string, status: string, second: number, durationSeconds: number | null = null): CallEvent {
  return { legUuid, conversationUuid: 'CON-1', status, occurredAt: at(second), direction: legUuid === CALL ? 'inbound' : 'outbound', durationSeconds };
}

describe('a call lifecycle derived from its events', () => {
  test('no events: in progress, nothing known', () => {
    assert.deepEqual(deriveLifecycle(CALL, []), NOTHING_YET);
    assert.equal(deriveFor({ uuid: CALL, blocked: true }, []).outcome, 'blocked');
    assert.deepEqual(deriveFor({ uuid: CALL }, []).attempts, []);
  });

  test('ringing legs: still in progress, with the latest status of each leg', () => {
    const lifecycle = deriveLifecycle(CALL, [event(CALL, 'started', 0), event(CALL, 'ringing', 1), event(FORWARDED, 'started', 2)]);
    assert.deepEqual(lifecycle, { ...NOTHING_YET, inboundStatus: 'ringing', forwardedStatus: 'started' });
  });

  test('the forwarded leg answered: answered from its first answered event, not over until a leg completes', () => {
    const events = [event(CALL, 'answered', 0), event(FORWARDED, 'answered', 5), event(FORWARDED, 'answered', 7)];
    assert.deepEqual(deriveLifecycle(CALL, events), {
      outcome: 'answered', answeredAt: at(5), endedAt: null, durationSeconds: null, inboundStatus: 'answered', forwardedStatus: 'answered',
    });
  });

  test('an answered call that completes: talk time is the forwarded leg\'s longest completed duration, ended at the last ending', () => {
    const events = [
      event(FORWARDED, 'answered', 5), event(FORWARDED, 'completed', 40, 35), event(FORWARDED, 'completed', 41, 30),
      event(FORWARDED, 'completed', 42, null), event(CALL, 'completed', 44, 44), event(CALL, 'disconnected', 50),
    ];
    assert.deepEqual(deriveLifecycle(CALL, events), {
      outcome: 'answered', answeredAt: at(5), endedAt: at(44), durationSeconds: 35, inboundStatus: 'disconnected', forwardedStatus: 'completed',
    });
  });

  test('only the inbound leg completing ends an answered call too', () => {
    const lifecycle = deriveLifecycle(CALL, [event(FORWARDED, 'answered', 5), event(CALL, 'completed', 30, 30)]);
    assert.equal(lifecycle.endedAt?.getTime(), at(30).getTime());
    assert.equal(lifecycle.durationSeconds, null, 'the forwarded leg never said how long it talked');
  });

  for (const ending of ['busy', 'timeout', 'unanswered', 'rejected', 'failed', 'cancelled']) {
    test(`the forwarded leg ending ${ending}: missed, 0 s, ended then`, () => {
      assert.deepEqual(deriveLifecycle(CALL, [event(CALL, 'ringing', 1), event(FORWARDED, 'ringing', 2), event(FORWARDED, ending, 9)]), {
        outcome: 'missed', answeredAt: null, endedAt: at(9), durationSeconds: 0, inboundStatus: 'ringing', forwardedStatus: ending,
      });
    });
  }

  test('the caller hanging up before anyone answered: missed', () => {
    assert.deepEqual(deriveLifecycle(CALL, [event(FORWARDED, 'ringing', 2), event(CALL, 'completed', 8, 8)]), {
      outcome: 'missed', answeredAt: null, endedAt: at(8), durationSeconds: 0, inboundStatus: 'completed', forwardedStatus: 'ringing',
    });
  });

  test('statuses that end nothing (disconnected, human, a completed inbound leg\'s own answered) decide nothing alone', () => {
    const lifecycle = deriveLifecycle(CALL, [event(CALL, 'answered', 1), event(CALL, 'disconnected', 2), event(FORWARDED, 'human', 3)]);
    assert.equal(lifecycle.outcome, 'in_progress');
    assert.equal(lifecycle.endedAt, null);
    assert.equal(lifecycle.durationSeconds, null);
  });

  test('events at the same timestamp are ordered by Vonage\'s stage, unknown statuses first, then by name', () => {
    assert.equal(deriveLifecycle(CALL, [event(CALL, 'completed', 5), event(CALL, 'answered', 5), event(CALL, 'ringing', 5)]).inboundStatus, 'completed');
    assert.equal(deriveLifecycle(CALL, [event(CALL, 'ringing', 5), event(CALL, 'started', 5)]).inboundStatus, 'ringing');
    assert.equal(deriveLifecycle(CALL, [event(CALL, 'started', 5), event(CALL, 'transfer', 5)]).inboundStatus, 'started');
    assert.equal(deriveLifecycle(CALL, [event(CALL, 'zeta', 5), event(CALL, 'alpha', 5)]).inboundStatus, 'zeta');
    assert.equal(deriveLifecycle(CALL, [event(CALL, 'alpha', 5), event(CALL, 'zeta', 5)]).inboundStatus, 'zeta');
    assert.equal(deriveLifecycle(CALL, [event(CALL, 'completed', 4), event(CALL, 'ringing', 5)]).inboundStatus, 'ringing', 'time first');
  });

  test('at one timestamp, each status comes after the one before it in Vonage\'s order', () => {
    const order = ['started', 'ringing', 'answered', 'human', 'machine', 'busy', 'timeout', 'unanswered', 'rejected', 'failed', 'cancelled', 'disconnected', 'completed'];
    for (const [i, later] of order.entries()) {
      for (const earlier of ['unknown-status', ...order.slice(0, i)]) {
        assert.equal(deriveLifecycle(CALL, [event(CALL, later, 5), event(CALL, earlier, 5)]).inboundStatus, later, `${earlier} then ${later}`);
        assert.equal(deriveLifecycle(CALL, [event(CALL, earlier, 5), event(CALL, later, 5)]).inboundStatus, later, `${earlier} then ${later}`);
      }
    }
  });

  test('the first answer and the last ending count, whatever order they arrive in', () => {
    const lifecycle = deriveLifecycle(CALL, [
      event(FORWARDED, 'answered', 7), event(FORWARDED, 'answered', 5), event(FORWARDED, 'completed', 55, 45), event(FORWARDED, 'completed', 60, 50),
    ]);
    assert.equal(lifecycle.answeredAt?.getTime(), at(5).getTime());
    assert.equal(lifecycle.endedAt?.getTime(), at(60).getTime());
    assert.equal(lifecycle.durationSeconds, 50);
  });

  test('the forwarded leg completing ends an answered call, the inbound leg still up or not', () => {
    const lifecycle = deriveLifecycle(CALL, [event(FORWARDED, 'answered', 5), event(FORWARDED, 'completed', 40, 35)]);
    assert.equal(lifecycle.endedAt?.getTime(), at(40).getTime());
  });

  test('talk time comes only from completed events that carry one: none means unknown, not 0', () => {
    const lifecycle = deriveLifecycle(CALL, [event(FORWARDED, 'answered', 5, 99), event(FORWARDED, 'completed', 40, null)]);
    assert.equal(lifecycle.durationSeconds, null);
    assert.equal(deriveLifecycle(CALL, [event(FORWARDED, 'answered', 5), event(FORWARDED, 'ringing', 4, 99)]).durationSeconds, null);
  });

  test('a missed call has 0 s of talk time even when a leg reports a duration', () => {
    const lifecycle = deriveLifecycle(CALL, [event(FORWARDED, 'busy', 5), event(FORWARDED, 'completed', 6, 12)]);
    assert.equal(lifecycle.outcome, 'missed');
    assert.equal(lifecycle.durationSeconds, 0);
  });

  test('the inbound leg\'s own unanswered endings end nothing: only the forwarded leg\'s do, or a completed inbound leg', () => {
    const answered = deriveLifecycle(CALL, [event(FORWARDED, 'answered', 5), event(CALL, 'cancelled', 9)]);
    assert.equal(answered.outcome, 'answered');
    assert.equal(answered.endedAt, null);
    const ringing = deriveLifecycle(CALL, [event(CALL, 'failed', 9)]);
    assert.equal(ringing.outcome, 'in_progress');
    assert.equal(ringing.endedAt, null);
  });

  test('each forwarded leg is an attempt, in the order they started; the one answered names who answered', () => {
    const rang = (legUuid: string, to: string, status: string, second: number): CallEvent => ({ ...event(legUuid, status, second), to });
    // leg-z rang first: the order is by time, not by uuid. The destination comes from whichever event names it.
    const full = deriveFor({ uuid: CALL }, [
      event('leg-z', 'ringing', 10), rang('leg-b', '447700900602', 'answered', 30), rang('leg-z', '447700900601', 'busy', 12),
      rang('leg-b', '447700900602', 'ringing', 20),
    ]);
    assert.deepEqual(full.attempts, [
      { destination: '447700900601', status: 'busy', answered: false },
      { destination: '447700900602', status: 'answered', answered: true },
    ]);
    assert.equal(full.answeredBy, '447700900602');
    const sameStart = deriveFor({ uuid: CALL }, [rang('leg-y', '447700900702', 'busy', 10), rang('leg-x', '447700900701', 'busy', 10)]);
    assert.deepEqual(sameStart.attempts?.map((attempt) => attempt.destination), ['447700900701', '447700900702'], 'legs started together: by uuid');
    assert.equal(deriveFor({ uuid: CALL, blocked: true }, [event(CALL, 'completed', 3)]).outcome, 'blocked', 'a blocked call stays blocked');
  });

  test('any order and any duplicates give the same lifecycle', () => {
    const events = [
      event(CALL, 'started', 0), event(CALL, 'ringing', 0), event(CALL, 'answered', 1), event(FORWARDED, 'started', 1),
      event(FORWARDED, 'ringing', 2), event(FORWARDED, 'answered', 6), event(FORWARDED, 'completed', 60, 54), event(CALL, 'completed', 61, 61),
    ];
    const expected = deriveLifecycle(CALL, events);
    fc.assert(fc.property(fc.shuffledSubarray(events, { minLength: events.length }), fc.array(fc.constantFrom(...events), { maxLength: 5 }), (shuffled, repeats) => {
      assert.deepEqual(deriveLifecycle(CALL, [...shuffled, ...repeats]), expected);
    }));
  });
});
