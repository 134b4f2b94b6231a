// The team: who may sign in, with which role, and what each role may do. The API checks every
// request against `can`; pages only hide what it would refuse.

export const ROLES = ['owner', 'manager', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/**
 * reports: figures and calls (callers masked); callers: callers' full numbers and call-backs;
 * numbers: tracking numbers, routes and the block list; team: users, their sessions and tokens;
 * account: what leaves or removes the business's data (outgoing webhooks, a caller's export and
 * erasure) and the audit log.
 */
export type Permission = 'reports' | 'callers' | 'numbers' | 'team' | 'account';

const PERMISSIONS: Record<Role, readonly Permission[]> = {
  owner: ['reports', 'callers', 'numbers', 'team', 'account'],
  manager: ['reports', 'callers', 'numbers'],
  viewer: ['reports'],
};

export function can(role: Role, permission: Permission): boolean {
  return PERMISSIONS[role].includes(permission);
}

export interface User {
  id: string;
  /** Lower-case, unique: what the person types at the login page. */
  username: string;
  role: Role;
  /** A disabled user cannot sign in, and their sessions and tokens stop working. */
  disabled: boolean;
  createdAt: Date;
}

/**
 * An owner who can sign in. The team keeps at least one while it has one: a change that would
 * take away the last is refused (the ADMIN_TOKEN still signs in as owner, whatever the team).
 */
export const isActiveOwner = (user: Pick<User, 'role' | 'disabled'>): boolean => user.role === 'owner' && !user.disabled;

export interface UserRecord extends User {
  /** See security/passwords.ts for the format. */
  passwordHash: string;
}

/**
 * A session (a browser's cookie) or a personal API token: either way a secret presented by its
 * holder, of which the store keeps only the SHA-256.
 */
export interface Credential {
  /** Names the credential in lists and revocations; not secret. */
  id: string;
  tokenHash: string;
  userId: string;
  kind: 'session' | 'token';
  /** The token's label ("nightly export"); null for sessions. */
  label: string | null;
  createdAt: Date;
  /** Sessions end; tokens live until revoked (null). */
  expiresAt: Date | null;
}

/** A missed call someone has called back, and who. */
export interface CallBack {
  callUuid: string;
  markedAt: Date;
  /** The user who marked it; null for the ADMIN_TOKEN. */
  markedBy: string | null;
}
