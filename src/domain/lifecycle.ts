// Derives a call's lifecycle from the events of its legs. It is a pure function of the set of
// events, so duplicates and any delivery order give the same call.

import { IN_PROGRESS, type CallAttempt, type CallEvent, type CallLifecycle } from './calls.js';

/** Statuses after which a leg is over without having been answered. */
const UNANSWERED_ENDINGS = new Set(['busy', 'timeout', 'unanswered', 'rejected', 'failed', 'cancelled']);
const ENDINGS = new Set([...UNANSWERED_ENDINGS, 'completed']);

/** Vonage's order of statuses within a leg, to break ties between equal timestamps. */
const STATUS_ORDER = [
  'started', 'ringing', 'answered', 'human', 'machine',
  'busy', 'timeout', 'unanswered', 'rejected', 'failed', 'cancelled', 'disconnected', 'completed',
];

/** A status's place in STATUS_ORDER; -1 for one Vonage may add later, so it sorts first. */
function statusRank(status: string): number {
  return STATUS_ORDER.indexOf(status);
}

/** Orders events the way they happened: by Vonage's timestamp, then by lifecycle stage. */
export function happenedBefore(a: CallEvent, b: CallEvent): number {
  return (
    a.occurredAt.getTime() - b.occurredAt.getTime() ||
    statusRank(a.status) - statusRank(b.status) ||
    (a.status < b.status ? -1 : a.status > b.status ? 1 : 0)
  );
}

function lastStatus(events: CallEvent[]): string | null {
  let last: CallEvent | null = null;
  for (const event of events) if (last === null || happenedBefore(last, event) < 0) last = event;
  return last?.status ?? null;
}

function earliest(events: CallEvent[]): Date | null {
  let time: number | null = null;
  for (const event of events) {
    const t = event.occurredAt.getTime();
    if (time === null || t < time) time = t;
  }
  return time === null ? null : new Date(time);
}

function latest(events: CallEvent[]): Date | null {
  let time: number | null = null;
  for (const event of events) {
    const t = event.occurredAt.getTime();
    if (time === null || t > time) time = t;
  }
  return time === null ? null : new Date(time);
}

/** The forwarded legs, one attempt each, in the order they started. */
function attemptsOf(forwarded: readonly CallEvent[]): CallAttempt[] {
  const legs = new Map<string, CallEvent[]>();
  for (const event of forwarded) {
    const leg = legs.get(event.legUuid);
    if (leg) leg.push(event);
    else legs.set(event.legUuid, [event]);
  }
  return [...legs.entries()]
    .map(([legUuid, events]) => ({ legUuid, startedAt: earliest(events)!.getTime(), events }))
    .sort((a, b) => a.startedAt - b.startedAt || (a.legUuid < b.legUuid ? -1 : a.legUuid > b.legUuid ? 1 : 0))
    .map(({ events }) => ({
      destination: events.find((e) => e.to != null)?.to ?? null,
      status: lastStatus(events),
      answered: events.some((e) => e.status === 'answered'),
    }));
}

/** The call whose lifecycle is derived: its inbound leg's uuid, and whether it was blocked. */
export interface LifecycleKey {
  uuid: string;
  blocked?: boolean;
}

/**
 * The lifecycle of the call whose inbound leg is `call.uuid`, from every event of its
 * conversation: events of the inbound leg carry its uuid, those of each forwarded leg that a
 * `connect` created (one per destination rung) carry their own. A blocked call stays blocked.
 */
export function deriveLifecycle(call: LifecycleKey, events: readonly CallEvent[]): CallLifecycle {
  if (events.length === 0) return call.blocked ? { ...IN_PROGRESS, outcome: 'blocked' } : IN_PROGRESS;
  const callUuid = call.uuid;
  const inbound = events.filter((e) => e.legUuid === callUuid);
  const forwarded = events.filter((e) => e.legUuid !== callUuid);

  const answers = forwarded.filter((e) => e.status === 'answered');
  const forwardedEndings = forwarded.filter((e) => UNANSWERED_ENDINGS.has(e.status));
  const inboundCompleted = inbound.filter((e) => e.status === 'completed');
  const endings = events.filter((e) => ENDINGS.has(e.status));

  let outcome: CallLifecycle['outcome'] = 'in_progress';
  if (call.blocked) outcome = 'blocked';
  else if (answers.length > 0) outcome = 'answered';
  else if (forwardedEndings.length > 0 || inboundCompleted.length > 0) outcome = 'missed';

  let durationSeconds: number | null = null;
  if (outcome === 'missed') durationSeconds = 0;
  if (outcome === 'answered') {
    for (const e of forwarded) {
      if (e.status === 'completed' && e.durationSeconds !== null) {
        durationSeconds = Math.max(durationSeconds ?? 0, e.durationSeconds);
      }
    }
  }

  const attempts = attemptsOf(forwarded);
  const over = outcome === 'missed' || forwarded.some((e) => e.status === 'completed') || inboundCompleted.length > 0;
  return {
    outcome,
    answeredAt: earliest(answers),
    endedAt: over ? latest(endings) : null,
    durationSeconds,
    inboundStatus: lastStatus(inbound),
    forwardedStatus: lastStatus(forwarded),
    attempts,
    answeredBy: attempts.find((attempt) => attempt.answered)?.destination ?? null,
  };
}
