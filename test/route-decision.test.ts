// The route decision (src/domain/route.ts) against Vonage's NCCO schema and the routing rules,
// over generated routes, callers, instants and attempts. The opening hours are checked against
// an oracle written here independently: it reads the wall clock with other Intl options and
// compares minutes, not strings.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { BlockList } from '../src/domain/block-list.js';
import type { ConnectAction, Ncco } from '../src/domain/ncco.js';
import type { TimeSpan } from '../src/domain/opening-hours.js';
import { parseRouteProgress, provenProgress, type RouteProgress } from '../src/domain/route-progress.js';
import { callbackMac } from '../src/security/callback-mac.js';
import type { RecordAction, TalkAction } from '../src/domain/ncco.js';
import {
  decideRoute, DEFAULT_CONSENT_NOTICE, DEFAULT_VOICEMAIL_GREETING, resolveRoute, type ClosedAction, type Route, type RouteDecision, type RouteInput, type RouteSettings } from '../src/domain/route.js';
import type { Weekday } from '../src/domain/time-zone.js';
import { assertValidNcco } from './helpers/ncco-schema.js';

const ZONES = ['UTC', 'America/New_York', 'Europe/London', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Adelaide', 'Pacific/Chatham'];
const DAYS: Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const PUBLIC_URL = 'https://calls.example.com';
/** Signs each leg's progress as a server with VONAGE_SIGNATURE_SECRET set does. */
const MAC = callbackMac('route-decision-test-secret');
const TRACKING_NUMBER = '442079460001';
/** Few enough numbers that callers, block lists and destinations often meet. */
const PHONES = ['447700900001', '447700900002', '447700900003', '447700900104', '12125550100', '12125550199', '919876543210'];

const phone = fc.constantFrom(...PHONES);
const minuteOfDay = fc.integer({ min: 0, max: 1440 });
const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** Spans of one day: sorted distinct minute marks paired up, so none overlap or invert. */
const daySpans: fc.Arbitrary<TimeSpan[]> = fc.uniqueArray(minuteOfDay, { maxLength: 6 }).map((marks) => {
  const sorted = [...marks].sort((a, b) => a - b);
  const spans: TimeSpan[] = [];
  for (let i = 0; i + 1 < sorted.length; i += 2) spans.push({ from: hhmm(sorted[i]!), to: hhmm(sorted[i + 1]!) });
  return spans;
});

const hours = fc.option(fc.record(Object.fromEntries(DAYS.map((day) => [day, daySpans])) as Record<Weekday, fc.Arbitrary<TimeSpan[]>>, { requiredKeys: [] }));

const instant = fc.date({ min: new Date('2026-01-01T00:00:00Z'), max: new Date('2027-12-31T23:59:59Z'), noInvalidDate: true });
const localDate = instant.map((d) => d.toISOString().slice(0, 10));

const blockList: fc.Arbitrary<BlockList> = fc.record({
  numbers: fc.uniqueArray(phone, { maxLength: 3 }),
  prefixes: fc.uniqueArray(fc.constantFrom('44770090010', '1212', '91', '4477'), { maxLength: 2 }),
  withheld: fc.boolean(),
});

const closedAction: fc.Arbitrary<ClosedAction | null> = fc.oneof(
  fc.constant(null),
  fc.record({ type: fc.constant('message' as const), text: fc.constantFrom('We are closed.', 'Please call back tomorrow.') }),
  fc.record({ type: fc.constant('forward' as const), number: phone }),
  fc.record({ type: fc.constant('voicemail' as const), greeting: fc.constantFrom('Leave a message.', 'We will call you back.') }),
);

const settings: fc.Arbitrary<RouteSettings> = fc.record({
  timeZone: fc.option(fc.constantFrom(...ZONES)),
  hours,
  closedDates: fc.array(localDate, { maxLength: 3 }),
  destinations: fc.option(fc.uniqueArray(
    fc.record({ number: phone, ringSeconds: fc.option(fc.integer({ min: 5, max: 300 })) }),
    { minLength: 1, maxLength: 8, selector: (d) => d.number },
  )),
  strategy: fc.constantFrom('in_order' as const, 'round_robin' as const),
  closedAction,
  blockList,
  record: fc.option(fc.record({ notice: fc.option(fc.constantFrom('Calls are recorded.', 'We record calls for training.')) })),
  voicemail: fc.option(fc.record({ greeting: fc.option(fc.constantFrom('Please leave a message.', 'Speak after the beep.')) })),
  transcription: fc.option(fc.record({ language: fc.constantFrom('en-GB', 'en-US', 'de-DE') })),
});

const scenario = fc.record({
  settings,
  defaultZone: fc.constantFrom(...ZONES),
  globalBlockList: blockList,
  caller: fc.option(phone),
  now: instant,
  turn: fc.nat({ max: 1000 }),
  publicUrl: fc.constantFrom(PUBLIC_URL, null),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function routeOf(s: Scenario): Route {
  return resolveRoute(s.settings, { timeZone: s.defaultZone, forwardTo: '447700900000' });
}

function inputOf(s: Scenario, stage: RouteInput['stage']): RouteInput {
  return { route: routeOf(s), globalBlockList: s.globalBlockList, trackingNumber: TRACKING_NUMBER, publicUrl: s.publicUrl, callbackMac: MAC, whisperUrl: undefined, now: s.now, stage };
}

/** The oracle for opening hours: the wall clock read through other Intl options, in minutes. */
function oracleIsOpen(route: Route, now: Date): boolean {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', {
    timeZone: route.schedule.timeZone, year: 'numeric', month: '2-digit', day: '2-digit', weekday: 'long', hour: 'numeric', minute: 'numeric', hourCycle: 'h23',
  }).formatToParts(now).map((p) => [p.type, p.value]));
  const date = `${parts.year}-${parts.month}-${parts.day}`;
  if (route.schedule.closedDates.includes(date)) return false;
  if (route.schedule.hours === null) return true;
  const day = DAYS[['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'].indexOf(parts.weekday!)]!;
  const minute = Number(parts.hour) * 60 + Number(parts.minute);
  const toMinutes = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3));
  return (route.schedule.hours[day] ?? []).some((span) => toMinutes(span.from) <= minute && minute < toMinutes(span.to));
}

function isBlocked(list: BlockList, caller: string | null): boolean {
  return caller === null ? list.withheld : list.numbers.includes(caller) || list.prefixes.some((p) => caller.startsWith(p));
}

const recordsIn = (ncco: Ncco): RecordAction[] => ncco.filter((a): a is RecordAction => a.action === 'record');
const connectsIn = (ncco: Ncco): ConnectAction[] => ncco.filter((a): a is ConnectAction => a.action === 'connect');
const numbersRung = (ncco: Ncco): string[] => connectsIn(ncco).flatMap((c) => c.endpoint.map((e) => e.number));

function nccoOf(decision: RouteDecision): Ncco | null {
  if (decision.kind === 'end') return null;
  assertValidNcco(decision.ncco);
  return decision.ncco;
}

/** The query of the connect's event URL, as Vonage would send it back. */
function eventQueryIn(ncco: Ncco): Record<string, string> | null {
  const url = connectsIn(ncco)[0]?.eventUrl?.[0];
  return url === undefined ? null : Object.fromEntries(new URL(url).searchParams);
}

/** The progress Vonage would send back to the connect's event URL, read and proven the way the tracker does. */
function progressIn(ncco: Ncco): RouteProgress | null {
  const query = eventQueryIn(ncco);
  const claim = query === null ? null : parseRouteProgress(query);
  if (claim === null) return null;
  const progress = provenProgress(claim, MAC);
  assert.ok(progress, 'the progress we wrote is proven by its MAC');
  return progress;
}

/** Answers the call, then fails every leg that reports back, collecting what it rang and how it ended. */
function walk(s: Scenario): { rung: string[]; last: RouteDecision } {
  let decision: RouteDecision = decideRoute(inputOf(s, { kind: 'answer', caller: s.caller, turn: s.turn }));
  const rung: string[] = [];
  for (;;) {
    const ncco = nccoOf(decision);
    if (ncco === null || decision.kind !== 'connect') return { rung, last: decision };
    rung.push(decision.destination);
    const progress = progressIn(ncco);
    const synchronous = connectsIn(ncco)[0]!.eventType === 'synchronous';
    assert.equal(synchronous, progress !== null, 'a leg reports its progress exactly when it is synchronous');
    if (progress === null) return { rung, last: decision };
    decision = decideRoute(inputOf(s, { kind: 'failover', progress }));
  }
}

test('every decision is an NCCO that passes the schema, and the answer always gives one', () => {
  fc.assert(fc.property(scenario, fc.nat({ max: 10 }), (s, tried) => {
    const answer = decideRoute(inputOf(s, { kind: 'answer', caller: s.caller, turn: s.turn }));
    assert.notEqual(answer.kind, 'end');
    nccoOf(answer);
    nccoOf(decideRoute(inputOf(s, { kind: 'failover', progress: { trackingNumber: TRACKING_NUMBER, turn: s.turn, tried } })));
  }), { numRuns: 500 });
});

test('a blocked caller is never connected', () => {
  fc.assert(fc.property(scenario, (s) => {
    const blocked = isBlocked(s.globalBlockList, s.caller) || isBlocked(routeOf(s).blockList, s.caller);
    const decision = decideRoute(inputOf(s, { kind: 'answer', caller: s.caller, turn: s.turn }));
    assert.equal(decision.kind === 'blocked', blocked);
    if (blocked) assert.deepEqual(numbersRung(nccoOf(decision)!), []);
  }), { numRuns: 1000 });
});

test('no destination rings outside opening hours: a closed number gets its closed action only', () => {
  fc.assert(fc.property(scenario, fc.nat({ max: 8 }), (s, tried) => {
    const route = routeOf(s);
    const open = oracleIsOpen(route, s.now);
    const stages: RouteInput['stage'][] = [
      { kind: 'answer', caller: null, turn: s.turn },
      { kind: 'failover', progress: { trackingNumber: TRACKING_NUMBER, turn: s.turn, tried } },
    ];
    const unblocked = { ...s, globalBlockList: { numbers: [], prefixes: [], withheld: false } };
    for (const stage of stages) {
      const decision = decideRoute({ ...inputOf(unblocked, stage), route: { ...route, blockList: unblocked.globalBlockList } });
      if (open) continue;
      assert.equal(decision.kind, route.closedAction?.type === 'voicemail' && s.publicUrl !== null ? 'voicemail' : 'closed');
      const forward = route.closedAction?.type === 'forward' ? [route.closedAction.number] : [];
      assert.deepEqual(numbersRung(nccoOf(decision)!), forward);
    }
  }), { numRuns: 1000 });
});

test('inside opening hours every destination rings once, in order from the call\'s turn, before the closed action', () => {
  const openScenario = scenario.map((s) => ({
    ...s, caller: null, globalBlockList: { numbers: [], prefixes: [], withheld: false },
    settings: { ...s.settings, hours: null, closedDates: [], blockList: { numbers: [], prefixes: [], withheld: false } },
  }));
  fc.assert(fc.property(openScenario, (s) => {
    const route = routeOf(s);
    const n = route.destinations.length;
    const start = route.strategy === 'round_robin' ? s.turn % n : 0;
    const expected = route.destinations.map((_, i) => route.destinations[(start + i) % n]!.number);
    const { rung, last } = walk(s);
    if (s.publicUrl === null) {
      // Without PUBLIC_URL no leg can report back: the first destination only, as plain forwarding.
      assert.deepEqual(rung, expected.slice(0, 1));
      return;
    }
    assert.deepEqual(rung, expected);
    if (route.closedAction === null) assert.equal(last.kind, 'connect', 'the last destination ends the call, as forwarding does');
    else if (route.closedAction.type === 'voicemail') assert.equal(last.kind, 'voicemail');
    else {
      assert.equal(last.kind, 'closed');
      const forward = route.closedAction.type === 'forward' ? [route.closedAction.number] : [];
      assert.deepEqual(numbersRung(nccoOf(last)!), forward);
    }
  }), { numRuns: 500 });
});

test('round robin: over k rounds of consecutive turns each destination is rung first exactly k times', () => {
  fc.assert(fc.property(scenario, fc.integer({ min: 1, max: 4 }), (s, rounds) => {
    const open = { ...s, caller: null, globalBlockList: { numbers: [], prefixes: [], withheld: false } };
    const route: Route = {
      ...routeOf(open), strategy: 'round_robin', schedule: { timeZone: 'UTC', hours: null, closedDates: [] }, blockList: open.globalBlockList,
    };
    const firsts = new Map<string, number>();
    for (let turn = s.turn; turn < s.turn + rounds * route.destinations.length; turn++) {
      const decision = decideRoute({ ...inputOf(open, { kind: 'answer', caller: null, turn }), route });
      assert.equal(decision.kind, 'connect');
      if (decision.kind === 'connect') firsts.set(decision.destination, (firsts.get(decision.destination) ?? 0) + 1);
    }
    assert.deepEqual([...firsts.values()], route.destinations.map(() => rounds));
  }), { numRuns: 300 });
});

test('a number with no route is forwarded exactly as before routing', () => {
  fc.assert(fc.property(scenario, (s) => {
    const route = resolveRoute(null, { timeZone: s.defaultZone, forwardTo: '447700900000' });
    assert.equal(route.consentNotice, null, 'a number without settings is never recorded');
    const none = { numbers: [], prefixes: [], withheld: false };
    const decision = decideRoute({ ...inputOf(s, { kind: 'answer', caller: s.caller, turn: s.turn }), route, globalBlockList: none });
    const expected: ConnectAction = { action: 'connect', endpoint: [{ type: 'phone', number: '447700900000' }], from: TRACKING_NUMBER };
    if (s.publicUrl) Object.assign(expected, { eventUrl: [`${s.publicUrl}/event`], eventMethod: 'POST' });
    assert.deepEqual(nccoOf(decision), [expected]);
  }), { numRuns: 200 });
});

test('a recorded number\'s answer plays its consent notice, then records in stereo, then connects; no leg after it records again', () => {
  fc.assert(fc.property(scenario, fc.nat({ max: 8 }), (s, tried) => {
    const route = routeOf(s);
    const answer = decideRoute(inputOf(s, { kind: 'answer', caller: s.caller, turn: s.turn }));
    const ncco = nccoOf(answer)!;
    const conversationRecords = recordsIn(ncco).filter((r) => r.split === 'conversation');
    const recorded = answer.kind === 'connect' && s.settings.record !== null && s.publicUrl !== null;
    assert.equal(conversationRecords.length, recorded ? 1 : 0);
    if (recorded) {
      const notice = s.settings.record?.notice ?? DEFAULT_CONSENT_NOTICE;
      assert.deepEqual(ncco.map((a) => a.action), ['talk', 'record', 'connect']);
      assert.equal((ncco[0] as TalkAction).text, notice);
      assert.equal(conversationRecords[0]!.channels, 2);
      assert.equal(conversationRecords[0]!.eventUrl[0], `${s.publicUrl}/recording`);
      assert.equal(conversationRecords[0]!.transcription?.language, s.settings.transcription?.language);
      assert.equal(route.consentNotice, notice);
    }
    // Every conversation record anywhere follows its notice and precedes a connect.
    const failover = nccoOf(decideRoute(inputOf(s, { kind: 'failover', progress: { trackingNumber: TRACKING_NUMBER, turn: s.turn, tried } })));
    if (failover) assert.deepEqual(recordsIn(failover).filter((r) => r.split === 'conversation'), []);
  }), { numRuns: 1000 });
});

test('a number with voicemail on and no closed action takes a message once every destination failed', () => {
  const openScenario = scenario.map((s) => ({
    ...s, caller: null, globalBlockList: { numbers: [], prefixes: [], withheld: false }, publicUrl: PUBLIC_URL as typeof s.publicUrl,
    settings: {
      ...s.settings, hours: null, closedDates: [], blockList: { numbers: [], prefixes: [], withheld: false },
      closedAction: null, voicemail: s.settings.voicemail ?? { greeting: null },
    },
  }));
  fc.assert(fc.property(openScenario, (s) => {
    const { rung, last } = walk(s);
    assert.equal(rung.length, routeOf(s).destinations.length);
    assert.equal(last.kind, 'voicemail');
    const ncco = nccoOf(last)!;
    assert.deepEqual(ncco.map((a) => a.action), ['talk', 'record']);
    assert.equal((ncco[0] as TalkAction).text, s.settings.voicemail.greeting ?? DEFAULT_VOICEMAIL_GREETING);
    const record = ncco[1] as RecordAction;
    assert.equal(record.beepStart, true);
    assert.equal(record.endOnKey, '#');
    assert.ok(record.endOnSilence !== undefined && record.timeOut !== undefined && record.timeOut <= 300);
    assert.equal(record.eventUrl[0], `${PUBLIC_URL}/recording?kind=voicemail`);
  }), { numRuns: 300 });
});

test('progress with any of turn, tried or number changed, or its MAC taken off, is not proven', () => {
  const openScenario = scenario.map((s) => ({ ...s, publicUrl: PUBLIC_URL as typeof PUBLIC_URL | null, caller: null, globalBlockList: { numbers: [], prefixes: [], withheld: false } }));
  fc.assert(fc.property(openScenario, fc.constantFrom('turn', 'tried', 'number', 'mac'), fc.integer({ min: 1, max: 20 }), (s, field, value) => {
    const route: Route = { ...routeOf(s), schedule: { timeZone: 'UTC', hours: null, closedDates: [] }, blockList: s.globalBlockList };
    const answer = decideRoute({ ...inputOf(s, { kind: 'answer', caller: null, turn: s.turn }), route });
    const query = answer.kind === 'connect' ? eventQueryIn(answer.ncco) : null;
    fc.pre(query !== null && query.tried !== undefined);
    const tampered = { ...query! };
    if (field === 'mac') delete tampered.mac;
    else if (field === 'number') tampered.number = `4420794600${String(value).padStart(2, '0')}`;
    else tampered[field] = String(value);
    fc.pre(JSON.stringify(tampered) !== JSON.stringify(query));
    const claim = parseRouteProgress(tampered);
    assert.ok(claim, 'still in our form');
    assert.equal(provenProgress(claim, MAC), null);
    assert.equal(provenProgress(claim, callbackMac(null)), claim.progress, 'unsigned servers take the progress as it comes');
  }), { numRuns: 300 });
});
