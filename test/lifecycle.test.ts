import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { scriptCall, seededRandom, shuffled, type FlowName, type ScriptedCall } from './helpers/call-flows.js';
import { assertValidNcco } from './helpers/ncco-schema.js';
import { startTestService, type TestService } from './helpers/service.js';

const FLOWS: FlowName[] = ['answered', 'busy', 'timeout', 'unanswered', 'caller hangs up while ringing', 'withheld caller'];
const ORDERS_PER_FLOW = 8;

type Step = { kind: 'answer' } | { kind: 'event'; body: Record<string, string> };

async function deliver(service: TestService, call: ScriptedCall, steps: Step[]): Promise<void> {
  for (const step of steps) {
    if (step.kind === 'answer') {
      const res = await fetch(`${service.url}/track-call?${new URLSearchParams(call.answer)}`);
      assert.equal(res.status, 200);
      assertValidNcco(await res.json());
    } else {
      const res = await fetch(`${service.url}/event`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(step.body),
      });
      assert.equal(res.status, 204);
    }
  }
}

/** The answer webhook somewhere among the events (events can overtake it), some events twice. */
function scrambled(call: ScriptedCall, seed: number): Step[] {
  const random = seededRandom(seed);
  const events: Step[] = call.events.map((body) => ({ kind: 'event', body }));
  const duplicates = events.filter(() => random() < 0.4);
  return shuffled([{ kind: 'answer' }, ...events, ...duplicates], random);
}

async function storedCall(service: TestService, call: ScriptedCall) {
  const res = await fetch(`${service.url}/api/calls?number=${call.trackingNumber}&limit=500`, { headers: service.admin });
  assert.equal(res.status, 200);
  const { calls } = await res.json();
  return calls.find((c: { uuid: string }) => c.uuid === call.uuid);
}

for (const backend of ['memory', 'sqlite'] as const) {
  describe(`call lifecycle from Vonage's events (${backend} store)`, () => {
    let service: TestService;
    let dir: string;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'ct-lifecycle-'));
      service = await startTestService({ DATABASE_URL: backend === 'memory' ? 'memory:' : `sqlite:${join(dir, 'calls.db')}` });
    });
    after(async () => {
      await service.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    for (const flow of FLOWS) {
      test(`a ${flow} call gets the same outcome, talk time and statuses in any order and with duplicates`, async () => {
        const trackingNumber = `4420790${String(FLOWS.indexOf(flow)).padStart(2, '0')}${backend === 'memory' ? '11' : '22'}`;
        for (let seed = 0; seed <= ORDERS_PER_FLOW; seed++) {
          const call = scriptCall(flow, trackingNumber, flow === 'withheld caller' ? null : '447700900123');
          // Seed 0 is Vonage's own order: answer webhook first, events as they happen.
          const steps: Step[] = seed === 0 ? [{ kind: 'answer' }, ...call.events.map((body) => ({ kind: 'event' as const, body }))] : scrambled(call, seed);
          await deliver(service, call, steps);
          const stored = await storedCall(service, call);
          assert.ok(stored, `call recorded (seed ${seed})`);
          assert.deepEqual(
            {
              outcome: stored.outcome, durationSeconds: stored.durationSeconds, answeredAt: stored.answeredAt,
              endedAt: stored.endedAt, inboundStatus: stored.inboundStatus, forwardedStatus: stored.forwardedStatus,
            },
            call.expected,
            `${flow}, seed ${seed}`,
          );
          assert.equal(stored.caller, call.caller);
        }
      });
    }

    test('a call is in progress until its forwarded leg answers or the call ends', async () => {
      const call = scriptCall('answered', '442079099933', '447700900124');
      await deliver(service, call, [{ kind: 'answer' }, ...call.events.slice(0, 5).map((body) => ({ kind: 'event' as const, body }))]);
      const ringing = await storedCall(service, call);
      assert.equal(ringing.outcome, 'in_progress');
      assert.equal(ringing.durationSeconds, null);
      assert.equal(ringing.forwardedStatus, 'ringing');
      await deliver(service, call, [{ kind: 'event', body: call.events[5]! }]);
      const talking = await storedCall(service, call);
      assert.equal(talking.outcome, 'answered');
      assert.equal(talking.endedAt, null);
    });

    test('events of a call that never reached the answer webhook are kept without error', async () => {
      const call = scriptCall('busy', '442079099944', '447700900125');
      await deliver(service, call, call.events.map((body) => ({ kind: 'event' as const, body })));
      assert.equal(await storedCall(service, call), undefined);
      await deliver(service, call, [{ kind: 'answer' }]);
      assert.equal((await storedCall(service, call)).outcome, 'missed');
    });
  });
}
