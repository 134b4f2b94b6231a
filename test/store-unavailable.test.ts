import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isStoreUnavailable } from '../src/store/store-unavailable.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

// The outages themselves (PostgreSQL stopped or frozen, SQLite write-locked) are in outage.test.ts.
test('an unreachable, restarting, saturated or locked database is unavailable, also when wrapped', () => {
  for (const error of [
    withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
    withCode('terminating connection due to administrator command', '57P01'),
    withCode('the database system is starting up', '57P03'),
    withCode('sorry, too many clients already', '53300'),
    withCode('connection failure', '08006'),
    withCode('database is locked', 'SQLITE_BUSY'),
    new Error('Connection terminated unexpectedly'),
    new Error('timeout exceeded when trying to connect'),
    new Error('the store failed', { cause: withCode('read ECONNRESET', 'ECONNRESET') }),
    new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')]),
  ]) {
    assert.equal(isStoreUnavailable(error), true, error.message);
  }
});

test('a rejected statement or a bug in our code is not an outage: it stays a 500', () => {
  for (const error of [
    withCode('duplicate key value violates unique constraint', '23505'),
    withCode('invalid byte sequence for encoding "UTF8"', '22021'),
    withCode('UNIQUE constraint failed: calls.uuid', 'SQLITE_CONSTRAINT_PRIMARYKEY'),
    new TypeError("Cannot read properties of undefined (reading 'uuid')"),
  ]) {
    assert.equal(isStoreUnavailable(error), false, error.message);
  }
  assert.equal(isStoreUnavailable('ECONNREFUSED'), false);
  assert.equal(isStoreUnavailable(undefined), false);
});
