// The PostgreSQL store's team: users, credentials and call-back marks, shared by every instance
// on the database (a session made on one is known to all, and revoked for all).

import type pg from 'pg';
import type { CallBack, Credential, Role, User, UserRecord } from '../../domain/team.js';
import type { TimeRange } from '../call-store.js';
import { callRowToCall, type CallRow } from '../sql-rows.js';
import { ERASED_CALLER_PREFIX } from '../../privacy/erasure.js';
import type { CallToReturn, TeamStore, UserChangeOutcome, UserChanges } from '../team-store.js';

interface UserRow {
  id: string;
  username: string;
  role: Role;
  password_hash: string;
  disabled: boolean;
  created_at: Date;
}

interface CredentialRow {
  token_hash: string;
  id: string;
  user_id: string;
  kind: Credential['kind'];
  label: string | null;
  created_at: Date;
  expires_at: Date | null;
}

const userRowToUser = (row: UserRow): User => ({
  id: row.id, username: row.username, role: row.role, disabled: row.disabled, createdAt: row.created_at,
});

const credentialRowToCredential = (row: CredentialRow): Credential => ({
  id: row.id, tokenHash: row.token_hash, userId: row.user_id, kind: row.kind, label: row.label,
  createdAt: row.created_at, expiresAt: row.expires_at,
});

/**
 * Runs `change` (an UPDATE or DELETE of the user $1, named `changed`, RETURNING id) only if it keeps
 * an active owner (domain/team.ts isActiveOwner) on the team: the row was none, is one after the
 * change (`afterIsActiveOwner`; a deleted row is not), or another row is. The active owners are
 * locked first (FOR UPDATE, all of them, by count), so of two instances taking away the last two
 * owners at once the second waits, then sees the first's change and is refused.
 */
const guardedUserChange = (change: (keepsAnOwner: string) => string, afterIsActiveOwner?: string) => `
  WITH active_owners AS MATERIALIZED (SELECT id FROM users WHERE role = 'owner' AND NOT disabled FOR UPDATE),
  changed AS (${change(`(${[
    "NOT (role = 'owner' AND NOT disabled)",
    afterIsActiveOwner,
    '(SELECT count(*) FROM active_owners WHERE id <> $1) > 0',
  ].filter(Boolean).join(' OR ')})`)} RETURNING id)
  SELECT EXISTS (SELECT 1 FROM changed) AS changed, EXISTS (SELECT 1 FROM users WHERE id = $1) AS found`;

const UPDATE_USER = guardedUserChange((keepsAnOwner) => `
  UPDATE users SET role = coalesce($2, role), disabled = coalesce($3, disabled), password_hash = coalesce($4, password_hash)
  WHERE id = $1 AND ${keepsAnOwner}`, "(coalesce($2, role) = 'owner' AND NOT coalesce($3, disabled))");

const DELETE_USER = guardedUserChange((keepsAnOwner) => `DELETE FROM users WHERE id = $1 AND ${keepsAnOwner}`);

export class PostgresTeam implements TeamStore {
  constructor(private readonly pool: pg.Pool) {}

  async createUser(user: UserRecord): Promise<boolean> {
    const { rowCount } = await this.pool.query(`
      INSERT INTO users (id, username, role, password_hash, disabled, created_at) VALUES ($1, $2, $3, $4, $5, $6)
      ON CONFLICT (username) DO NOTHING`, [user.id, user.username, user.role, user.passwordHash, user.disabled, user.createdAt]);
    return rowCount === 1;
  }

  async findUserByUsername(username: string): Promise<UserRecord | null> {
    const { rows } = await this.pool.query<UserRow>('SELECT * FROM users WHERE username = $1', [username]);
    const row = rows[0];
    return row ? { ...userRowToUser(row), passwordHash: row.password_hash } : null;
  }

  async listUsers(): Promise<User[]> {
    const { rows } = await this.pool.query<UserRow>('SELECT * FROM users ORDER BY username');
    return rows.map(userRowToUser);
  }

  async updateUser(id: string, changes: UserChanges): Promise<UserChangeOutcome> {
    return this.#changeUser(UPDATE_USER, [id, changes.role ?? null, changes.disabled ?? null, changes.passwordHash ?? null]);
  }

  async deleteUser(id: string): Promise<UserChangeOutcome> {
    return this.#changeUser(DELETE_USER, [id]);
  }

  async #changeUser(statement: string, parameters: unknown[]): Promise<UserChangeOutcome> {
    const { rows } = await this.pool.query<{ changed: boolean; found: boolean }>(statement, parameters);
    const { changed, found } = rows[0]!;
    return changed ? 'changed' : found ? 'last_owner' : 'not_found';
  }

  async saveCredential(credential: Credential): Promise<void> {
    await this.pool.query(`
      INSERT INTO credentials (token_hash, id, user_id, kind, label, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [credential.tokenHash, credential.id, credential.userId, credential.kind, credential.label, credential.createdAt, credential.expiresAt]);
  }

  async findCredential(tokenHash: string, now: Date): Promise<{ credential: Credential; user: User } | null> {
    const { rows } = await this.pool.query<CredentialRow & { u_username: string; u_role: Role; u_disabled: boolean; u_created_at: Date }>(`
      SELECT c.*, u.username AS u_username, u.role AS u_role, u.disabled AS u_disabled, u.created_at AS u_created_at
      FROM credentials c JOIN users u ON u.id = c.user_id
      WHERE c.token_hash = $1 AND (c.expires_at IS NULL OR c.expires_at > $2)`, [tokenHash, now]);
    const row = rows[0];
    if (!row) return null;
    return {
      credential: credentialRowToCredential(row),
      user: { id: row.user_id, username: row.u_username, role: row.u_role, disabled: row.u_disabled, createdAt: row.u_created_at },
    };
  }

  async listTokens(userId: string): Promise<Credential[]> {
    const { rows } = await this.pool.query<CredentialRow>(`
      SELECT * FROM credentials WHERE user_id = $1 AND kind = 'token' ORDER BY created_at`, [userId]);
    return rows.map(credentialRowToCredential);
  }

  async deleteCredential(userId: string, credentialId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM credentials WHERE user_id = $1 AND id = $2', [userId, credentialId]);
    return rowCount === 1;
  }

  async deleteSessions(userId: string): Promise<number> {
    const { rowCount } = await this.pool.query(`DELETE FROM credentials WHERE user_id = $1 AND kind = 'session'`, [userId]);
    return rowCount ?? 0;
  }

  async listCallsToReturn(range: TimeRange, limit: number): Promise<CallToReturn[]> {
    const { rows } = await this.pool.query<CallRow & { uuid: string; marked_at: Date | null; marked_by: string | null }>(`
      SELECT c.*, b.marked_at, b.marked_by FROM calls c LEFT JOIN call_backs b ON b.call_uuid = c.uuid
      WHERE c.outcome = 'missed' AND c.caller IS NOT NULL AND c.caller NOT LIKE $4 AND c.started_at >= $1 AND c.started_at < $2
        AND NOT EXISTS (SELECT 1 FROM calls a WHERE a.caller = c.caller AND a.started_at > c.started_at AND a.outcome = 'answered')
      ORDER BY c.started_at DESC, c.uuid DESC LIMIT $3`, [range.since, range.until, limit, `${ERASED_CALLER_PREFIX}%`]);
    return rows.map((row) => ({
      call: callRowToCall(row),
      calledBack: row.marked_at === null ? null : { callUuid: row.uuid, markedAt: row.marked_at, markedBy: row.marked_by },
    }));
  }

  async markCalledBack(mark: CallBack): Promise<boolean> {
    const { rowCount } = await this.pool.query(`
      INSERT INTO call_backs (call_uuid, marked_at, marked_by) SELECT uuid, $1, $2 FROM calls WHERE uuid = $3
      ON CONFLICT (call_uuid) DO UPDATE SET marked_at = excluded.marked_at, marked_by = excluded.marked_by`,
    [mark.markedAt, mark.markedBy, mark.callUuid]);
    return rowCount === 1;
  }

  async unmarkCalledBack(callUuid: string): Promise<void> {
    await this.pool.query('DELETE FROM call_backs WHERE call_uuid = $1', [callUuid]);
  }
}
