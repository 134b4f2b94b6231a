// The in-memory copy of the tracking numbers: changes made here apply at once, those made through
// another instance arrive with the next refresh, and a failing store keeps the last good copy.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { NumberDirectory } from '../src/domain/number-directory.js';
import type { TrackingNumber } from '../src/domain/tracking-numbers.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { MemoryLogger } from './helpers/memory-logger.js';

const entry = (number: string, campaign: string | null = null): TrackingNumber => ({ number, campaign, forwardTo: null, whisper: null, route: null });

/** A real store that can be made to fail its listing, and counts how often it is asked. */
class FlakyStore extends MemoryStore {
  failing = false;
  listings = 0;
  override async listTrackingNumbers(): Promise<TrackingNumber[]> {
    this.listings += 1;
    await sleep(5);
    if (this.failing) throw new Error('store unreachable');
    return super.listTrackingNumbers();
  }
}

describe('the number directory', () => {
  test('looks numbers up from memory, lists them in order, and applies its own changes at once', async () => {
    const store = new FlakyStore();
    await store.saveTrackingNumber(entry('442079460002', 'B'));
    const directory = new NumberDirectory(store, 60_000, new MemoryLogger());
    assert.equal(directory.lookup('442079460002'), undefined, 'nothing before load');
    await directory.load();
    assert.deepEqual(directory.lookup('442079460002'), entry('442079460002', 'B'));
    assert.equal(directory.lookup(null), undefined);

    await directory.save(entry('442079460001', 'A'));
    assert.deepEqual(directory.list().map((e) => e.number), ['442079460001', '442079460002']);
    assert.deepEqual((await store.listTrackingNumbers()).map((e) => e.number).sort(), ['442079460001', '442079460002']);
    assert.equal(await directory.delete('442079460002'), true);
    assert.equal(await directory.delete('442079460002'), false);
    assert.equal(directory.lookup('442079460002'), undefined);
  });

  test('a refresh picks up changes made elsewhere; a failed one keeps the last copy, with one warning per outage', async () => {
    const store = new FlakyStore();
    const logger = new MemoryLogger();
    const directory = new NumberDirectory(store, 60_000, logger);
    await directory.load();
    await store.saveTrackingNumber(entry('442079460003', 'C'));
    await directory.refresh();
    assert.equal(directory.lookup('442079460003')?.campaign, 'C');

    store.failing = true;
    await directory.refresh();
    await directory.refresh();
    await directory.refresh();
    assert.equal(directory.lookup('442079460003')?.campaign, 'C');
    const outage = [
      ['warn', 'tracking numbers not refreshed; using the last copy', { error: 'Error: store unreachable' }],
      ['info', 'tracking numbers refreshed again', { failedTries: 3 }],
    ];
    assert.deepEqual(logger.lines.map((line) => [line.level, line.message, line.details]), outage.slice(0, 1),
      'the first failure of the outage is logged, not every one');

    store.failing = false;
    await directory.refresh();
    await directory.refresh();
    assert.deepEqual(logger.lines.map((line) => [line.level, line.message, line.details]), outage, 'its end once');

    store.failing = true;
    await directory.refresh();
    assert.equal(logger.lines.length, 3, 'the next outage is logged again');
  });

  test('refreshes asked for while one runs share it, so a slow store never piles up queries', async () => {
    const store = new FlakyStore();
    const directory = new NumberDirectory(store, 60_000, new MemoryLogger());
    await Promise.all([directory.refresh(), directory.refresh(), directory.refresh()]);
    assert.equal(store.listings, 1);
    await directory.refresh();
    assert.equal(store.listings, 2, 'the next refresh after it reads again');
  });

  test('refreshing runs every refreshMs until stopped; starting twice runs one timer', async () => {
    const store = new FlakyStore();
    const directory = new NumberDirectory(store, 20, new MemoryLogger());
    directory.startRefreshing();
    directory.startRefreshing();
    await store.saveTrackingNumber(entry('442079460004'));
    const started = performance.now();
    while (!directory.lookup('442079460004')) await sleep(10);
    await sleep(200);
    // One timer every 20 ms can have read at most once per 20 ms since it started; two would read twice as often.
    const elapsedMs = performance.now() - started;
    assert.ok(store.listings <= Math.ceil(elapsedMs / 20) + 1, `${store.listings} reads in ${Math.round(elapsedMs)} ms`);
    directory.stopRefreshing();
    directory.stopRefreshing();
    await sleep(60);
    const afterStop = store.listings;
    await sleep(100);
    assert.equal(store.listings, afterStop, 'no reads after stopping');
  });
});
