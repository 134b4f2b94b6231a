// The memory store's team: users, credentials and call-back marks in maps; the calls it answers
// about come from the memory store itself.

import type { CallRecord } from '../domain/calls.js';
import { isActiveOwner, type CallBack, type Credential, type User, type UserRecord } from '../domain/team.js';
import type { TimeRange } from './call-store.js';
import { compareNewestFirst } from './call-order.js';
import type { CallToReturn, TeamStore, UserChangeOutcome, UserChanges } from './team-store.js';
import { ERASED_CALLER_PREFIX } from '../privacy/erasure.js';

const withoutHash = ({ passwordHash: _, ...user }: UserRecord): User => structuredClone(user);

export class MemoryTeam implements TeamStore {
  readonly #users = new Map<string, UserRecord>();
  readonly #credentials = new Map<string, Credential>();
  readonly #callBacks = new Map<string, CallBack>();
  readonly #calls: () => Iterable<CallRecord>;

  /** `calls` lists every call the memory store holds. */
  constructor(calls: () => Iterable<CallRecord>) {
    this.#calls = calls;
  }

  async createUser(user: UserRecord): Promise<boolean> {
    if ([...this.#users.values()].some((u) => u.username === user.username)) return false;
    this.#users.set(user.id, structuredClone(user));
    return true;
  }

  async findUserByUsername(username: string): Promise<UserRecord | null> {
    const user = [...this.#users.values()].find((u) => u.username === username);
    return user ? structuredClone(user) : null;
  }

  async listUsers(): Promise<User[]> {
    return [...this.#users.values()].sort((a, b) => a.username.localeCompare(b.username)).map(withoutHash);
  }

  async updateUser(id: string, changes: UserChanges): Promise<UserChangeOutcome> {
    const user = this.#users.get(id);
    if (!user) return 'not_found';
    // Only the changes given: an absent one is undefined, and would otherwise overwrite.
    const changed = { ...user, ...Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) };
    if (this.#takesLastOwner(user, changed)) return 'last_owner';
    this.#users.set(id, changed);
    return 'changed';
  }

  async deleteUser(id: string): Promise<UserChangeOutcome> {
    const user = this.#users.get(id);
    if (!user) return 'not_found';
    if (this.#takesLastOwner(user, null)) return 'last_owner';
    for (const [hash, credential] of this.#credentials) if (credential.userId === id) this.#credentials.delete(hash);
    this.#users.delete(id);
    return 'changed';
  }

  /** Whether turning `before` into `after` (null: deleting it) leaves the team without an active owner it had. */
  #takesLastOwner(before: UserRecord, after: UserRecord | null): boolean {
    if (!isActiveOwner(before) || (after !== null && isActiveOwner(after))) return false;
    return ![...this.#users.values()].some((u) => u.id !== before.id && isActiveOwner(u));
  }

  async saveCredential(credential: Credential): Promise<void> {
    this.#credentials.set(credential.tokenHash, structuredClone(credential));
  }

  async findCredential(tokenHash: string, now: Date): Promise<{ credential: Credential; user: User } | null> {
    const credential = this.#credentials.get(tokenHash);
    if (!credential || (credential.expiresAt !== null && credential.expiresAt <= now)) return null;
    const user = this.#users.get(credential.userId);
    return user ? { credential: structuredClone(credential), user: withoutHash(user) } : null;
  }

  async listTokens(userId: string): Promise<Credential[]> {
    return [...this.#credentials.values()]
      .filter((c) => c.userId === userId && c.kind === 'token')
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .map((c) => structuredClone(c));
  }

  async deleteCredential(userId: string, credentialId: string): Promise<boolean> {
    for (const [hash, credential] of this.#credentials) {
      if (credential.userId === userId && credential.id === credentialId) return this.#credentials.delete(hash);
    }
    return false;
  }

  async deleteSessions(userId: string): Promise<number> {
    let ended = 0;
    for (const [hash, credential] of this.#credentials) {
      if (credential.userId === userId && credential.kind === 'session') ended += Number(this.#credentials.delete(hash));
    }
    return ended;
  }

  async listCallsToReturn(range: TimeRange, limit: number): Promise<CallToReturn[]> {
    const calls = [...this.#calls()];
    const lastAnswered = new Map<string, number>();
    for (const call of calls) {
      if (call.outcome !== 'answered' || call.caller === null) continue;
      lastAnswered.set(call.caller, Math.max(lastAnswered.get(call.caller) ?? -Infinity, call.startedAt.getTime()));
    }
    return calls
      .filter((c) => c.outcome === 'missed' && c.caller !== null && !c.caller.startsWith(ERASED_CALLER_PREFIX) && c.startedAt >= range.since && c.startedAt < range.until)
      .filter((c) => (lastAnswered.get(c.caller!) ?? -Infinity) <= c.startedAt.getTime())
      .sort(compareNewestFirst)
      .slice(0, limit)
      .map((call) => ({ call: structuredClone(call), calledBack: structuredClone(this.#callBacks.get(call.uuid) ?? null) }));
  }

  async markCalledBack(mark: CallBack): Promise<boolean> {
    if (![...this.#calls()].some((c) => c.uuid === mark.callUuid)) return false;
    this.#callBacks.set(mark.callUuid, structuredClone(mark));
    return true;
  }

  async unmarkCalledBack(callUuid: string): Promise<void> {
    this.#callBacks.delete(callUuid);
  }
}
