// The SQLite store's team: users, credentials and call-back marks, in the database file.

import type Database from 'better-sqlite3';
import type { CallBack, Credential, Role, User, UserRecord } from '../../domain/team.js';
import type { TimeRange } from '../call-store.js';
import type { CallToReturn, TeamStore, UserChangeOutcome, UserChanges } from '../team-store.js';
import { callRowToCall, type CallRow } from '../sql-rows.js';
import { ERASED_CALLER_PREFIX } from '../../privacy/erasure.js';

interface UserRow {
  id: string;
  username: string;
  role: Role;
  password_hash: string;
  disabled: number;
  created_at: number;
}

interface CredentialRow {
  token_hash: string;
  id: string;
  user_id: string;
  kind: Credential['kind'];
  label: string | null;
  created_at: number;
  expires_at: number | null;
}

const userRowToUser = (row: UserRow): User => ({
  id: row.id, username: row.username, role: row.role, disabled: row.disabled === 1, createdAt: new Date(row.created_at),
});

const credentialRowToCredential = (row: CredentialRow): Credential => ({
  id: row.id, tokenHash: row.token_hash, userId: row.user_id, kind: row.kind, label: row.label,
  createdAt: new Date(row.created_at), expiresAt: row.expires_at === null ? null : new Date(row.expires_at),
});

type ToReturnRow = CallRow & { marked_at: number | null; marked_by: string | null };

/**
 * SQL true when changing the row @id keeps an active owner (domain/team.ts isActiveOwner) on the
 * team: the row was none, is one after the change (`afterIsActiveOwner`; a deleted row is not), or
 * another row is.
 */
const keepsAnOwner = (afterIsActiveOwner?: string) => `(${[
  "NOT (role = 'owner' AND disabled = 0)",
  afterIsActiveOwner,
  "EXISTS (SELECT 1 FROM users other WHERE other.role = 'owner' AND other.disabled = 0 AND other.id <> @id)",
].filter(Boolean).join(' OR ')})`;

export class SqliteTeam implements TeamStore {
  constructor(private readonly db: Database.Database) {}

  async createUser(user: UserRecord): Promise<boolean> {
    const { changes } = this.db.prepare(`
      INSERT INTO users (id, username, role, password_hash, disabled, created_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (username) DO NOTHING`)
      .run(user.id, user.username, user.role, user.passwordHash, Number(user.disabled), user.createdAt.getTime());
    return changes === 1;
  }

  async findUserByUsername(username: string): Promise<UserRecord | null> {
    const row = this.db.prepare<[string], UserRow>('SELECT * FROM users WHERE username = ?').get(username);
    return row ? { ...userRowToUser(row), passwordHash: row.password_hash } : null;
  }

  async listUsers(): Promise<User[]> {
    return this.db.prepare<[], UserRow>('SELECT * FROM users ORDER BY username').all().map(userRowToUser);
  }

  async updateUser(id: string, changes: UserChanges): Promise<UserChangeOutcome> {
    return this.#changeUser(id, this.db.prepare(`
      UPDATE users SET role = coalesce(@role, role), disabled = coalesce(@disabled, disabled),
        password_hash = coalesce(@passwordHash, password_hash)
      WHERE id = @id AND ${keepsAnOwner("(coalesce(@role, role) = 'owner' AND coalesce(@disabled, disabled) = 0)")}`), {
      id, role: changes.role ?? null, passwordHash: changes.passwordHash ?? null,
      disabled: changes.disabled === undefined ? null : Number(changes.disabled),
    });
  }

  async deleteUser(id: string): Promise<UserChangeOutcome> {
    return this.#changeUser(id, this.db.prepare(`DELETE FROM users WHERE id = @id AND ${keepsAnOwner()}`), { id });
  }

  /** Runs the guarded change; when it changed nothing, tells a missing user from a refused change. */
  #changeUser(id: string, change: Database.Statement, parameters: Record<string, unknown>): UserChangeOutcome {
    // IMMEDIATE: another process's write cannot come between the change and the look that explains it.
    return this.db.transaction((): UserChangeOutcome => {
      if (change.run(parameters).changes === 1) return 'changed';
      return this.db.prepare('SELECT 1 FROM users WHERE id = ?').get(id) === undefined ? 'not_found' : 'last_owner';
    }).immediate();
  }

  async saveCredential(credential: Credential): Promise<void> {
    this.db.prepare(`
      INSERT INTO credentials (token_hash, id, user_id, kind, label, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
      .run(credential.tokenHash, credential.id, credential.userId, credential.kind, credential.label,
        credential.createdAt.getTime(), credential.expiresAt?.getTime() ?? null);
  }

  async findCredential(tokenHash: string, now: Date): Promise<{ credential: Credential; user: User } | null> {
    const row = this.db.prepare<[string, number], CredentialRow & { u_username: string; u_role: Role; u_disabled: number; u_created_at: number }>(`
      SELECT c.*, u.username AS u_username, u.role AS u_role, u.disabled AS u_disabled, u.created_at AS u_created_at
      FROM credentials c JOIN users u ON u.id = c.user_id
      WHERE c.token_hash = ? AND (c.expires_at IS NULL OR c.expires_at > ?)`).get(tokenHash, now.getTime());
    if (!row) return null;
    return {
      credential: credentialRowToCredential(row),
      user: { id: row.user_id, username: row.u_username, role: row.u_role, disabled: row.u_disabled === 1, createdAt: new Date(row.u_created_at) },
    };
  }

  async listTokens(userId: string): Promise<Credential[]> {
    return this.db.prepare<[string], CredentialRow>(`
      SELECT * FROM credentials WHERE user_id = ? AND kind = 'token' ORDER BY created_at`).all(userId).map(credentialRowToCredential);
  }

  async deleteCredential(userId: string, credentialId: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM credentials WHERE user_id = ? AND id = ?').run(userId, credentialId).changes === 1;
  }

  async deleteSessions(userId: string): Promise<number> {
    return this.db.prepare(`DELETE FROM credentials WHERE user_id = ? AND kind = 'session'`).run(userId).changes;
  }

  async listCallsToReturn(range: TimeRange, limit: number): Promise<CallToReturn[]> {
    const rows = this.db.prepare<[string, number, number, number], ToReturnRow>(`
      SELECT c.*, b.marked_at, b.marked_by FROM calls c LEFT JOIN call_backs b ON b.call_uuid = c.uuid
      WHERE c.outcome = 'missed' AND c.caller IS NOT NULL AND c.caller NOT LIKE ? AND c.started_at >= ? AND c.started_at < ?
        AND NOT EXISTS (SELECT 1 FROM calls a WHERE a.caller = c.caller AND a.started_at > c.started_at AND a.outcome = 'answered')
      ORDER BY c.started_at DESC, c.uuid DESC LIMIT ?`).all(`${ERASED_CALLER_PREFIX}%`, range.since.getTime(), range.until.getTime(), limit);
    return rows.map((row) => ({
      call: callRowToCall(row),
      calledBack: row.marked_at === null ? null : { callUuid: row.uuid, markedAt: new Date(row.marked_at), markedBy: row.marked_by },
    }));
  }

  async markCalledBack(mark: CallBack): Promise<boolean> {
    const { changes } = this.db.prepare(`
      INSERT INTO call_backs (call_uuid, marked_at, marked_by) SELECT uuid, ?, ? FROM calls WHERE uuid = ?
      ON CONFLICT (call_uuid) DO UPDATE SET marked_at = excluded.marked_at, marked_by = excluded.marked_by`)
      .run(mark.markedAt.getTime(), mark.markedBy, mark.callUuid);
    return changes === 1;
  }

  async unmarkCalledBack(callUuid: string): Promise<void> {
    this.db.prepare('DELETE FROM call_backs WHERE call_uuid = ?').run(callUuid);
  }
}
