// An instance writes at most a few batches of calls to PostgreSQL at once; the batches handed over
// meanwhile are written together once one of them is done, and each learns how its write went.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoalescedWrites } from '../src/store/postgres/coalesced-writes.js';

/** A writer whose writes finish when the test says so. */
function heldWriter() {
  const writes: { items: readonly number[]; finish: (error?: Error) => void }[] = [];
  const write = (items: readonly number[]) => new Promise<void>((resolve, reject) => {
    writes.push({ items, finish: (error) => (error ? reject(error) : resolve()) });
  });
  return { writes, write };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

test('batches beyond the limit wait, and are written together when a write is done', async () => {
  const { writes, write } = heldWriter();
  const queue = new CoalescedWrites(write, 2, 500);
  const results = [queue.write([1]), queue.write([2]), queue.write([3, 4]), queue.write([5])];
  await settled();
  assert.deepEqual(writes.map((w) => w.items), [[1], [2]]);
  writes[0]!.finish();
  await settled();
  assert.deepEqual(writes.map((w) => w.items), [[1], [2], [3, 4, 5]]);
  writes[1]!.finish();
  writes[2]!.finish();
  await Promise.all(results);
});

test('a failed write fails every batch it took, and the next batches are still written', async () => {
  const { writes, write } = heldWriter();
  const queue = new CoalescedWrites(write, 1, 500);
  const first = queue.write([1]);
  const second = queue.write([2]);
  const third = queue.write([3]);
  await settled();
  writes[0]!.finish();
  await first;
  await settled();
  assert.deepEqual(writes[1]!.items, [2, 3]);
  writes[1]!.finish(new Error('the server went away'));
  await assert.rejects(second, /went away/);
  await assert.rejects(third, /went away/);
  const fourth = queue.write([4]);
  await settled();
  assert.deepEqual(writes[2]!.items, [4]);
  writes[2]!.finish();
  await fourth;
});

test('a waiting write takes no more than its maximum; the rest wait for the next', async () => {
  const { writes, write } = heldWriter();
  const queue = new CoalescedWrites(write, 1, 3);
  const results = [queue.write([1]), queue.write([2, 3]), queue.write([4]), queue.write([5])];
  await settled();
  writes[0]!.finish();
  await settled();
  assert.deepEqual(writes[1]!.items, [2, 3, 4]);
  writes[1]!.finish();
  await settled();
  assert.deepEqual(writes[2]!.items, [5]);
  writes[2]!.finish();
  await Promise.all(results);
});
