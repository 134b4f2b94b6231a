import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { InboundCall } from '../src/domain/calls.js';
import type { CallRecorder } from '../src/durability/call-recorder.js';
import { CallTracker } from '../src/domain/call-tracker.js';
import { MemoryLogger } from './helpers/memory-logger.js';
import { NumberDirectory } from '../src/domain/number-directory.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { RoundRobinTurns } from '../src/domain/round-robin-turns.js';
import { assertValidNcco } from './helpers/ncco-schema.js';

const PROXY = '447700900000';
const PUBLIC_URL = 'https://abc123.ngrok.app';
const NOW = new Date('2026-11-02T09:30:00.000Z');

/** A tracker over a real directory; the recorder keeps what it is given (or throws). */
async function trackerWith(publicUrl: string | null, recordCall: (call: InboundCall) => Promise<void> = async () => {}) {
  const store = new MemoryStore();
  await store.saveTrackingNumber({ number: '442079460030', campaign: 'Flyer', forwardTo: '447700900030', whisper: null, route: null });
  await store.saveTrackingNumber({ number: '442079460031', campaign: 'Radio', forwardTo: null, whisper: 'Radio call', route: null });
  const logger = new MemoryLogger();
  const directory = new NumberDirectory(store, 60_000, logger);
  await directory.load();
  const recorded: InboundCall[] = [];
  const recorder = { recordCall: (call: InboundCall) => (recorded.push(call), recordCall(call)) } as unknown as CallRecorder;
  const settings = { proxyToNumber: PROXY, publicUrl, timeZone: 'UTC', answerStoreTimeoutMs: 250, signatureSecret: null };
  const tracker = new CallTracker(settings, directory, recorder, new RoundRobinTurns(store, logger), logger, () => NOW);
  return { tracker, logger, recorded };
}

const request = (fields: Partial<Parameters<CallTracker['answer']>[0]> = {}) =>
  ({ uuid: 'leg-1', conversationUuid: 'CON-1', trackingNumber: '442079460030', caller: '447700900111', ...fields });

describe('the call tracker', () => {
  test('a recorder that throws never keeps the caller from being connected', async () => {
    const { tracker, logger } = await trackerWith(null, () => Promise.reject(new Error('disk on fire')));
    const ncco = await tracker.answer(request());
    assertValidNcco(ncco);
    assert.deepEqual(ncco, [{ action: 'connect', from: '442079460030', endpoint: [{ type: 'phone', number: '447700900030' }] }]);
    const line = logger.lines.find((entry) => entry.level === 'error' && entry.message === 'call not recorded');
    assert.deepEqual(line?.details, { uuid: 'leg-1', error: 'Error: disk on fire' });
  });

  test('a whispered number with PUBLIC_URL: the whisper on answer, the forwarded leg\'s events to /event by POST', async () => {
    const { tracker, recorded } = await trackerWith(PUBLIC_URL);
    const ncco = await tracker.answer(request({ trackingNumber: '442079460031' }));
    assertValidNcco(ncco);
    assert.deepEqual(ncco, [{
      action: 'connect', from: '442079460031',
      endpoint: [{ type: 'phone', number: PROXY, onAnswer: { url: `${PUBLIC_URL}/whisper/442079460031` } }],
      eventUrl: [`${PUBLIC_URL}/event`], eventMethod: 'POST',
    }]);
    assert.deepEqual(recorded, [{
      uuid: 'leg-1', conversationUuid: 'CON-1', trackingNumber: '442079460031', caller: '447700900111', campaign: 'Radio', forwardTo: PROXY, startedAt: NOW,
    }]);
  });

  test('no whisper without a whisper text, or without PUBLIC_URL for Vonage to fetch it from', async () => {
    const withUrl = await trackerWith(PUBLIC_URL);
    const plain = await withUrl.tracker.answer(request());
    assert.equal(plain[0]?.action === 'connect' && plain[0].endpoint[0]?.onAnswer, undefined);
    assert.deepEqual(plain[0]?.action === 'connect' && plain[0].eventUrl, [`${PUBLIC_URL}/event`]);
    const withoutUrl = await trackerWith(null);
    const ncco = await withoutUrl.tracker.answer(request({ trackingNumber: '442079460031' }));
    assertValidNcco(ncco);
    assert.deepEqual(ncco, [{ action: 'connect', from: '442079460031', endpoint: [{ type: 'phone', number: PROXY }] }]);
  });

  test('an unknown number goes to PROXY_TO_NUMBER without a campaign', async () => {
    const { tracker, recorded } = await trackerWith(PUBLIC_URL);
    const ncco = await tracker.answer(request({ trackingNumber: '442079460099' }));
    assertValidNcco(ncco);
    assert.equal(ncco[0]?.action === 'connect' && ncco[0].endpoint[0]?.number, PROXY);
    assert.equal(recorded[0]?.campaign, null);
    assert.equal(recorded[0]?.forwardTo, PROXY);
  });

  test('without a tracking number: connected without caller ID or whisper, recorded, and logged', async () => {
    const { tracker, recorded, logger } = await trackerWith(PUBLIC_URL);
    const ncco = await tracker.answer(request({ trackingNumber: null }));
    assertValidNcco(ncco);
    assert.deepEqual(ncco, [{ action: 'connect', endpoint: [{ type: 'phone', number: PROXY }], eventUrl: [`${PUBLIC_URL}/event`], eventMethod: 'POST' }]);
    assert.equal(recorded.length, 1);
    assert.deepEqual(logger.lines.map((line) => [line.level, line.message, line.details]), [
      ['warn', 'answer webhook without a tracking number: recorded without one', { uuid: 'leg-1' }],
    ]);
  });

  test('without a uuid: connected, not recorded, and logged', async () => {
    const { tracker, recorded, logger } = await trackerWith(null);
    assertValidNcco(await tracker.answer(request({ uuid: null })));
    assert.deepEqual(recorded, []);
    assert.deepEqual(logger.lines.map((line) => [line.level, line.message]), [['warn', 'answer webhook without uuid: routed, not recorded']]);
  });

  test('a normal call logs nothing', async () => {
    const { tracker, logger } = await trackerWith(null);
    await tracker.answer(request());
    assert.deepEqual(logger.lines, []);
  });

  test('the whisper: the number\'s text, else its campaign, else a plain announcement', async () => {
    const { tracker } = await trackerWith(null);
    assert.deepEqual(tracker.whisper('442079460031', undefined), [{ action: 'talk', text: 'Radio call' }]);
    assert.deepEqual(tracker.whisper('442079460030', undefined), [{ action: 'talk', text: 'Call from Flyer.' }]);
    assert.deepEqual(tracker.whisper('442079460099', undefined), [{ action: 'talk', text: 'Incoming tracked call.' }]);
    for (const number of ['442079460031', '442079460030', '442079460099']) assertValidNcco(tracker.whisper(number, undefined));
  });
});
