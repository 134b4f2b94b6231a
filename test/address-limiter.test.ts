import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AddressLimiter } from '../src/security/address-limiter.js';

describe('the per-address limiter', () => {
  test('allows up to the limit in a window, then again once the window has passed', () => {
    const clock = { ms: 0 };
    const limiter = new AddressLimiter(2, 1000, () => clock.ms);
    limiter.count('198.51.100.1');
    limiter.count('198.51.100.1');
    assert.equal(limiter.allows('198.51.100.1'), false);
    assert.equal(limiter.allows('198.51.100.2'), true);
    clock.ms = 1000;
    assert.equal(limiter.allows('198.51.100.1'), true);
  });

  test('keeps at most its number of addresses, however many come', () => {
    const clock = { ms: 0 };
    const limiter = new AddressLimiter(1, 60_000, () => clock.ms, 1000);
    for (let i = 0; i < 50_000; i++) {
      clock.ms = i;
      limiter.count(`10.0.${i >> 8}.${i & 255}`);
    }
    assert.ok(limiter.size <= 1000, `${limiter.size} addresses kept`);
    // The latest addresses are the ones kept: a client at its limit stays limited.
    assert.equal(limiter.allows('10.0.195.79'), false);
  });
});
