// The team's side of every store (users, sessions and tokens, missed calls to return, call-back
// marks), the outcome and caller filters of a call listing and a call's events, run unchanged
// against memory, SQLite and PostgreSQL.

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { CallEvent, InboundCall } from '../src/domain/calls.js';
import type { Credential, UserRecord } from '../src/domain/team.js';
import { newErasureMarker } from '../src/privacy/erasure.js';
import type { CallStore } from '../src/store/call-store.js';
import { BACKENDS } from './helpers/store-backends.js';
import { postgresSkipReason } from './helpers/postgres.js';
import { twoPostgresInstances } from './helpers/two-postgres-instances.js';

const BUSINESS_PHONE = '447700900000';
const HOUR_MS = 3_600_000;
const base = Date.parse('2026-11-02T09:00:00Z');

function user(username: string, role: UserRecord['role'] = 'viewer'): UserRecord {
  return { id: `id-${username}`, username, role, disabled: false, createdAt: new Date(base), passwordHash: `hash-of-${username}` };
}

function credential(id: string, userId: string, kind: Credential['kind'], expiresAt: Date | null): Credential {
  return { id, tokenHash: `hash-${id}`, userId, kind, label: kind === 'token' ? `label ${id}` : null, createdAt: new Date(base), expiresAt };
}

/** A call from `caller` `hoursAgo` hours before base+24h, answered or missed, with the events that say so. */
async function recordCall(store: CallStore, uuid: string, caller: string | null, hour: number, outcome: 'answered' | 'missed'): Promise<void> {
  const startedAt = new Date(base + hour * HOUR_MS);
  const call: InboundCall = {
    uuid, conversationUuid: `CON-${uuid}`, trackingNumber: '447700900101', caller, campaign: 'Radio', forwardTo: BUSINESS_PHONE, startedAt,
  };
  const at = (s: number) => new Date(startedAt.getTime() + s * 1000);
  const leg = (legUuid: string, status: string, s: number, direction: 'inbound' | 'outbound', durationSeconds: number | null = null): CallEvent => ({
    legUuid, conversationUuid: `CON-${uuid}`, status, occurredAt: at(s), direction, durationSeconds,
  });
  const events = outcome === 'answered'
    ? [leg(uuid, 'started', 0, 'inbound'), leg(`${uuid}-out`, 'answered', 3, 'outbound'), leg(`${uuid}-out`, 'completed', 63, 'outbound', 60), leg(uuid, 'completed', 64, 'inbound', 64)]
    : [leg(uuid, 'started', 0, 'inbound'), leg(`${uuid}-out`, 'busy', 3, 'outbound'), leg(uuid, 'completed', 4, 'inbound', 4)];
  await store.recordCalls([call]);
  await store.recordEvents(events);
}

for (const backend of BACKENDS) {
  describe(`the ${backend.name} store's team`, { skip: backend.skip }, () => {
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });
    async function freshStore(): Promise<CallStore> {
      const store = await (await backend.createLocation(cleanups)).open();
      cleanups.push(() => store.close());
      return store;
    }

    test('users are created once per username, listed without their password hash, changed and deleted', async () => {
      const { team } = await freshStore();
      assert.equal(await team.createUser(user('vera')), true);
      assert.equal(await team.createUser({ ...user('vera', 'owner'), id: 'another-id' }), false, 'a taken username is refused');
      assert.equal(await team.createUser(user('manny', 'manager')), true);
      assert.deepEqual((await team.findUserByUsername('vera'))?.passwordHash, 'hash-of-vera');
      assert.equal(await team.findUserByUsername('nobody'), null);
      const listed = await team.listUsers();
      assert.deepEqual(listed.map((u) => [u.username, u.role, u.disabled]), [['manny', 'manager', false], ['vera', 'viewer', false]]);
      assert.ok(listed.every((u) => !('passwordHash' in u)));
      assert.equal(await team.updateUser('id-vera', { role: 'manager', disabled: true }), 'changed');
      assert.equal(await team.updateUser('id-nobody', { role: 'owner' }), 'not_found');
      const vera = await team.findUserByUsername('vera');
      assert.deepEqual([vera?.role, vera?.disabled, vera?.passwordHash], ['manager', true, 'hash-of-vera']);
      assert.equal(await team.updateUser('id-vera', { passwordHash: 'new-hash' }), 'changed');
      const changed = await team.findUserByUsername('vera');
      assert.deepEqual([changed?.role, changed?.disabled, changed?.passwordHash], ['manager', true, 'new-hash'], 'what a change leaves out stays');
      assert.equal(await team.deleteUser('id-vera'), 'changed');
      assert.equal(await team.deleteUser('id-vera'), 'not_found');
      assert.deepEqual((await team.listUsers()).map((u) => u.username), ['manny']);
    });

    test('the last active owner cannot be demoted, disabled or deleted; one of two can', async () => {
      const { team } = await freshStore();
      await team.createUser(user('olivia', 'owner'));
      await team.createUser(user('manny', 'manager'));
      for (const change of [{ role: 'manager' as const }, { role: 'viewer' as const }, { disabled: true }, { role: 'viewer' as const, passwordHash: 'new' }]) {
        assert.equal(await team.updateUser('id-olivia', change), 'last_owner', JSON.stringify(change));
      }
      assert.equal(await team.deleteUser('id-olivia'), 'last_owner');
      const olivia = await team.findUserByUsername('olivia');
      assert.deepEqual([olivia?.role, olivia?.disabled, olivia?.passwordHash], ['owner', false, 'hash-of-olivia'], 'a refused change changes nothing');
      assert.equal(await team.updateUser('id-olivia', { passwordHash: 'new-hash', role: 'owner', disabled: false }), 'changed', 'an owner who stays one');
      assert.equal(await team.updateUser('id-manny', { role: 'viewer' }), 'changed', 'other users are not held back');

      await team.createUser({ ...user('otto', 'owner'), disabled: true });
      assert.equal(await team.updateUser('id-olivia', { role: 'manager' }), 'last_owner', 'a disabled owner cannot sign in: it does not count');
      assert.equal(await team.deleteUser('id-otto'), 'changed', 'a disabled owner can go');
      await team.createUser(user('oscar', 'owner'));
      assert.equal(await team.updateUser('id-olivia', { disabled: true }), 'changed', 'another owner is left');
      assert.equal(await team.deleteUser('id-oscar'), 'last_owner');
      assert.equal(await team.updateUser('id-olivia', { disabled: false }), 'changed');
      assert.equal(await team.deleteUser('id-oscar'), 'changed');
      assert.deepEqual((await team.listUsers()).filter((u) => u.role === 'owner').map((u) => u.username), ['olivia']);
    });

    test('a session is found until it expires; ending sessions leaves tokens; deleting the user ends both', async () => {
      const { team } = await freshStore();
      await team.createUser(user('olivia', 'owner'));
      await team.createUser(user('manny', 'manager'));
      await team.saveCredential(credential('s1', 'id-olivia', 'session', new Date(base + HOUR_MS)));
      await team.saveCredential(credential('s2', 'id-olivia', 'session', new Date(base + HOUR_MS)));
      await team.saveCredential(credential('t1', 'id-olivia', 'token', null));
      await team.saveCredential(credential('m1', 'id-manny', 'session', new Date(base + HOUR_MS)));

      const found = await team.findCredential('hash-s1', new Date(base));
      assert.equal(found?.user.username, 'olivia');
      assert.equal(found?.user.role, 'owner');
      assert.equal(found?.credential.kind, 'session');
      assert.equal(await team.findCredential('hash-s1', new Date(base + HOUR_MS)), null, 'expired at its end');
      assert.equal((await team.findCredential('hash-t1', new Date(base + 1000 * HOUR_MS)))?.credential.label, 'label t1', 'tokens do not expire');
      assert.deepEqual((await team.listTokens('id-olivia')).map((t) => t.id), ['t1']);

      assert.equal(await team.deleteSessions('id-olivia'), 2);
      assert.equal(await team.findCredential('hash-s2', new Date(base)), null);
      assert.notEqual(await team.findCredential('hash-t1', new Date(base)), null);
      assert.notEqual(await team.findCredential('hash-m1', new Date(base)), null, "another user's session stays");

      assert.equal(await team.deleteCredential('id-manny', 't1'), false, "one user cannot delete another's token");
      assert.equal(await team.deleteCredential('id-olivia', 't1'), true);
      assert.equal(await team.findCredential('hash-t1', new Date(base)), null);

      await team.deleteUser('id-manny');
      assert.equal(await team.findCredential('hash-m1', new Date(base)), null);
    });

    test('missed calls to return: those with no later answered call from the caller, with their call-back marks', async () => {
      const store = await freshStore();
      const [alice, bob, carol] = ['447700900201', '447700900202', '447700900203'];
      await recordCall(store, 'a-answered-before', alice, 0, 'answered');
      await recordCall(store, 'a-missed', alice, 1, 'missed');
      await recordCall(store, 'b-missed', bob, 2, 'missed');
      await recordCall(store, 'b-answered-after', bob, 3, 'answered');
      await recordCall(store, 'c-missed-1', carol, 4, 'missed');
      await recordCall(store, 'c-missed-2', carol, 5, 'missed');
      await recordCall(store, 'withheld-missed', null, 6, 'missed');
      const range = { since: new Date(base), until: new Date(base + 24 * HOUR_MS) };

      const toReturn = await store.team.listCallsToReturn(range, 100);
      assert.deepEqual(toReturn.map((c) => c.call.uuid), ['c-missed-2', 'c-missed-1', 'a-missed']);
      assert.ok(toReturn.every((c) => c.calledBack === null));
      assert.deepEqual((await store.team.listCallsToReturn(range, 1)).map((c) => c.call.uuid), ['c-missed-2']);
      assert.deepEqual((await store.team.listCallsToReturn({ since: new Date(base + 4.5 * HOUR_MS), until: range.until }, 100)).map((c) => c.call.uuid), ['c-missed-2']);

      const markedAt = new Date(base + 30 * HOUR_MS);
      assert.equal(await store.team.markCalledBack({ callUuid: 'a-missed', markedAt, markedBy: 'manny' }), true);
      assert.equal(await store.team.markCalledBack({ callUuid: 'no-such-call', markedAt, markedBy: 'manny' }), false);
      const marked = (await store.team.listCallsToReturn(range, 100)).find((c) => c.call.uuid === 'a-missed');
      assert.deepEqual(marked?.calledBack, { callUuid: 'a-missed', markedAt, markedBy: 'manny' });
      assert.equal(marked?.call.caller, alice);
      await store.team.unmarkCalledBack('a-missed');
      assert.equal((await store.team.listCallsToReturn(range, 100)).find((c) => c.call.uuid === 'a-missed')?.calledBack, null);

      await recordCall(store, 'd-missed', '447700900204', 7, 'missed');
      await store.eraseCaller('447700900204', newErasureMarker());
      assert.deepEqual((await store.team.listCallsToReturn(range, 100)).map((c) => c.call.uuid), ['c-missed-2', 'c-missed-1', 'a-missed'], 'an erased caller cannot be rung back');

      await store.team.markCalledBack({ callUuid: 'a-missed', markedAt, markedBy: 'manny' });
      assert.equal(await store.deleteCallsBefore(new Date(base + 1.5 * HOUR_MS), 100), 2, 'retention removes a called-back call with its mark');
      assert.deepEqual((await store.team.listCallsToReturn(range, 100)).map((c) => c.call.uuid), ['c-missed-2', 'c-missed-1']);
    });

    test('calls are listed by outcome and by caller', async () => {
      const store = await freshStore();
      await recordCall(store, 'x1', '447700900301', 0, 'answered');
      await recordCall(store, 'x2', '447700900301', 1, 'missed');
      await recordCall(store, 'y1', '447700900302', 2, 'missed');
      const list = async (query: Partial<Parameters<CallStore['listCalls']>[0]>) => (await store.listCalls({ limit: 10, ...query })).calls.map((c) => c.uuid);
      assert.deepEqual(await list({ outcome: 'missed' }), ['y1', 'x2']);
      assert.deepEqual(await list({ caller: '447700900301' }), ['x2', 'x1']);
      assert.deepEqual(await list({ caller: '447700900301', outcome: 'answered' }), ['x1']);
      assert.deepEqual(await list({ trackingNumber: '447700900101', outcome: 'missed', limit: 1 }), ['y1']);
    });

    test("a call's events are those of its leg and its conversation, and no other call's", async () => {
      const store = await freshStore();
      await recordCall(store, 'e1', '447700900401', 0, 'answered');
      await recordCall(store, 'e2', '447700900401', 1, 'missed');
      const events = await store.findCallEvents((await store.findCall('e1'))!);
      assert.deepEqual(events.map((e) => `${e.legUuid} ${e.status}`).sort(), ['e1 completed', 'e1 started', 'e1-out answered', 'e1-out completed']);
      assert.equal(events.find((e) => e.legUuid === 'e1-out' && e.status === 'completed')?.durationSeconds, 60);
      assert.deepEqual(await store.findCallEvents({ uuid: 'nothing', conversationUuid: null }), []);
    });
  });
}

describe('two PostgreSQL instances taking away the last two owners at once', { skip: postgresSkipReason }, () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  test('one succeeds and the other is refused: the team keeps an active owner', async () => {
    const { first, second, holdRows } = await twoPostgresInstances('last-owner', cleanups);
    await first.team.createUser(user('olivia', 'owner'));
    await first.team.createUser(user('oscar', 'owner'));
    // Both changes start while both owners are there, and wait for the owners' rows together.
    const held = await holdRows("SELECT 1 FROM users WHERE role = 'owner'");
    const demoted = first.team.updateUser('id-olivia', { role: 'manager' });
    const deleted = second.team.deleteUser('id-oscar');
    await held.waitForWaiting('%active_owners%', 2);
    await held.release();
    assert.deepEqual([await demoted, await deleted].sort(), ['changed', 'last_owner']);
    const owners = (await second.team.listUsers()).filter((u) => u.role === 'owner' && !u.disabled);
    assert.equal(owners.length, 1);
  });
});
