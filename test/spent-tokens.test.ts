import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SpentTokens } from '../src/security/spent-tokens.js';

describe('spent webhook tokens', () => {
  test('a token serves its first request, then that identical request again, and no other', () => {
    const tokens = new SpentTokens(300, () => assert.fail('no overflow'));
    assert.equal(tokens.spend('jti-1', 'POST /track-call body-a', 1000), 'first');
    assert.equal(tokens.spend('jti-1', 'POST /track-call body-a', 1001), 'same-request');
    assert.equal(tokens.spend('jti-1', 'POST /event body-a', 1002), 'other-request');
    assert.equal(tokens.spend('jti-2', 'POST /event body-a', 1002), 'first');
  });

  test('a token is remembered for the whole window and forgotten after it', () => {
    const tokens = new SpentTokens(300, () => assert.fail('no overflow'));
    tokens.spend('old', 'a', 1000);
    tokens.spend('newer', 'b', 1100);
    assert.equal(tokens.spend('old', 'other', 1299), 'other-request', 'still inside the window');
    assert.equal(tokens.spend('probe', 'c', 1300), 'first');
    assert.equal(tokens.size, 2, '"old" is forgotten once its window has passed, "newer" is kept');
    assert.equal(tokens.spend('newer', 'other', 1300), 'other-request');
  });

  test('memory is bounded: past its capacity the oldest token is forgotten, with one warning per episode', () => {
    let warnings = 0;
    const tokens = new SpentTokens(300, () => (warnings += 1), 3);
    for (const jti of ['a', 'b', 'c', 'd', 'e']) tokens.spend(jti, 'x', 1000);
    assert.equal(tokens.size, 3);
    assert.equal(warnings, 1);
    assert.equal(tokens.spend('c', 'y', 1000), 'other-request', 'the newest are kept');
    assert.equal(tokens.spend('a', 'y', 1000), 'first', 'the oldest were forgotten');
    assert.equal(warnings, 1, 'one warning while the memory stays full');
    // Once the window has emptied the memory, a new flood warns again.
    for (const jti of ['f', 'g', 'h', 'i']) tokens.spend(jti, 'x', 2000);
    assert.equal(warnings, 2);
  });
});
