import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CallRecorder } from '../src/durability/call-recorder.js';
import { CallTracker } from '../src/domain/call-tracker.js';
import { MemoryLogger } from './helpers/memory-logger.js';
import { NumberDirectory } from '../src/domain/number-directory.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { RoundRobinTurns } from '../src/domain/round-robin-turns.js';
import { assertValidNcco } from './helpers/ncco-schema.js';

test('a recorder that throws never keeps the caller from being connected', async () => {
  const store = new MemoryStore();
  await store.saveTrackingNumber({ number: '442079460030', campaign: 'Flyer', forwardTo: '447700900030', whisper: null, route: null });
  const logger = new MemoryLogger();
  const directory = new NumberDirectory(store, 60_000, logger);
  await directory.load();
  const broken = { recordCall: () => Promise.reject(new Error('disk on fire')) } as unknown as CallRecorder;
  const settings = { proxyToNumber: '447700900000', publicUrl: null, timeZone: 'UTC', answerStoreTimeoutMs: 250 };
  const tracker = new CallTracker(settings, directory, broken, new RoundRobinTurns(store, logger), logger);

  const ncco = await tracker.answer({ uuid: 'leg-1', conversationUuid: 'CON-1', trackingNumber: '442079460030', caller: '447700900111' });
  assertValidNcco(ncco);
  assert.deepEqual(ncco, [{ action: 'connect', from: '442079460030', endpoint: [{ type: 'phone', number: '447700900030' }] }]);
  assert.ok(logger.lines.some((line) => line.level === 'error' && line.message === 'call not recorded'));
});
