// The part of the store that holds the team's side: users, their sessions and API tokens, and the
// missed calls they have called back. Every backend has one (`CallStore.team`), so a session
// made on one instance works on every instance sharing the database.

import type { CallRecord } from '../domain/calls.js';
import type { CallBack, Credential, User, UserRecord } from '../domain/team.js';
import type { TimeRange } from './call-store.js';

export type UserChanges = Partial<Pick<UserRecord, 'role' | 'disabled' | 'passwordHash'>>;

/**
 * What became of a change to a user: made; no such user; or refused because it would take away
 * the team's last active owner (`isActiveOwner`). The store decides in one statement, so two
 * instances demoting the last two owners at once cannot both succeed.
 */
export type UserChangeOutcome = 'changed' | 'not_found' | 'last_owner';

/** A missed call nobody has answered since, with its call-back mark if someone made one. */
export interface CallToReturn {
  call: CallRecord;
  calledBack: CallBack | null;
}

export interface TeamStore {
  /** False when the username is taken. */
  createUser(user: UserRecord): Promise<boolean>;
  findUserByUsername(username: string): Promise<UserRecord | null>;
  listUsers(): Promise<User[]>;
  updateUser(id: string, changes: UserChanges): Promise<UserChangeOutcome>;
  /** Deletes the user with their credentials. */
  deleteUser(id: string): Promise<UserChangeOutcome>;

  saveCredential(credential: Credential): Promise<void>;
  /** The credential with this hash and its user, if it has not expired at `now`. */
  findCredential(tokenHash: string, now: Date): Promise<{ credential: Credential; user: User } | null>;
  /** A user's API tokens (never their hashes' sources: those are shown once, at creation). */
  listTokens(userId: string): Promise<Credential[]>;
  /** Deletes one credential of the user; false when it has none with this id. */
  deleteCredential(userId: string, credentialId: string): Promise<boolean>;
  /** Ends every session of the user (tokens stay); returns how many ended. */
  deleteSessions(userId: string): Promise<number>;

  /**
   * Missed calls started in the range whose caller is known (not withheld, not erased) and has no
   * answered call started after it, newest first, at most `limit`.
   */
  listCallsToReturn(range: TimeRange, limit: number): Promise<CallToReturn[]>;
  /** Marks a call as called back (again: the mark is replaced); false when the call is unknown. */
  markCalledBack(mark: CallBack): Promise<boolean>;
  unmarkCalledBack(callUuid: string): Promise<void>;
}
