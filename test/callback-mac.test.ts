// The MAC that proves a URL's parameters ours (src/security/callback-mac.ts), on its own.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { callbackMac } from '../src/security/callback-mac.js';

const VALUES = ['442079460001', '3', '1'];

test('a MAC proves exactly the values and purpose it was made for, under the same secret', () => {
  const mac = callbackMac('one-secret');
  const proof = mac.sign('route-progress', VALUES);
  assert.match(proof!, /^[\w-]{43}$/);
  assert.equal(mac.verifies('route-progress', VALUES, proof), true);
  assert.equal(callbackMac('one-secret').verifies('route-progress', VALUES, proof), true, 'another instance with the secret agrees');
  assert.equal(callbackMac('another-secret').verifies('route-progress', VALUES, proof), false);
  assert.equal(mac.verifies('whisper', VALUES, proof), false, 'not for another purpose');
  assert.equal(mac.verifies('route-progress', ['442079460001', '3', '2'], proof), false);
  assert.equal(mac.verifies('route-progress', ['44207946000', '13', '1'], proof), false, 'values are not run together');
});

test('anything but the MAC itself, spelled as written, is refused', () => {
  const mac = callbackMac('one-secret');
  const proof = mac.sign('whisper', VALUES)!;
  for (const presented of [undefined, null, '', ['x'], proof.slice(1), `${proof}=`, proof.toUpperCase(), `${proof.slice(0, -1)}${proof.endsWith('A') ? 'B' : 'A'}`]) {
    assert.equal(mac.verifies('whisper', VALUES, presented), false, String(presented));
  }
});

test('without a secret nothing is signed, and any MAC is taken as it comes', () => {
  const mac = callbackMac(null);
  assert.equal(mac.sign('whisper', VALUES), null);
  assert.equal(mac.verifies('whisper', VALUES, undefined), true);
});
