// Phone numbers at the edges of each rule in src/domain/phone.ts (config.test.ts has the
// everyday forms).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { maskPhoneNumber, normalisePhoneNumber, parseCallerId, parseTrackingNumber } from '../src/domain/phone.js';

describe('phone numbers', () => {
  test('a dialable number has 10 to 15 digits, after any surrounding spaces', () => {
    assert.equal(normalisePhoneNumber('  4420794600  '), '4420794600');
    assert.equal(normalisePhoneNumber('442079460'), null, '9 digits');
    assert.equal(normalisePhoneNumber('442079460012345'), '442079460012345');
    assert.equal(normalisePhoneNumber('4420794600123456'), null, '16 digits');
    assert.equal(normalisePhoneNumber('0207946000'), null, 'a national number: no country code');
  });

  test('00 is an international prefix only without a +', () => {
    assert.equal(normalisePhoneNumber('00 44 20 7946 0000'), '442079460000');
    assert.equal(normalisePhoneNumber('+00 44 20 7946 0000'), null);
    assert.equal(normalisePhoneNumber(' +00 44 20 7946 0000'), null, 'a + after spaces is still a +');
    assert.equal(normalisePhoneNumber('44 20 7946 0000+'), null, 'a + only at the start');
  });

  test('a caller ID is 3 to 15 digits, a leading + and spaces around it dropped', () => {
    assert.equal(parseCallerId(' 123 '), '123');
    assert.equal(parseCallerId('+123'), '123');
    assert.equal(parseCallerId('12'), null);
    assert.equal(parseCallerId('123456789012345'), '123456789012345');
    assert.equal(parseCallerId('1234567890123456'), null);
    for (const malformed of ['1+23', '123+', 'a123', '123a', '++123', '12 34']) assert.equal(parseCallerId(malformed), null, malformed);
  });

  test('a tracking number is 1 to 15 digits without its +, nothing else', () => {
    assert.equal(parseTrackingNumber(undefined), null);
    assert.equal(parseTrackingNumber(' +442079460001 '), '442079460001');
    assert.equal(parseTrackingNumber('1'), '1');
    assert.equal(parseTrackingNumber('123456789012345'), '123456789012345');
    for (const malformed of ['', '+', '1234567890123456', '44+2079460001', '442079460001+', 'a442079460001', '442079460001a', '++442079460001']) {
      assert.equal(parseTrackingNumber(malformed), null, malformed);
    }
  });

  test('a masked number shows its last three digits only', () => {
    assert.equal(maskPhoneNumber('447700900100'), '•••••••••100');
    assert.equal(maskPhoneNumber('12'), '12');
    assert.equal(maskPhoneNumber('123'), '123');
    assert.equal(maskPhoneNumber(null), null);
  });
});
