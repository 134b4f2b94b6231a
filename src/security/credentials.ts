// The secrets the team holds (session cookies, personal API tokens) and what the store keeps of
// them: only a SHA-256, which is enough for tokens of 256 random bits (nobody can search that space).

import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Credential, User } from '../domain/team.js';

/** Personal API tokens start so, which tells them from ADMIN_TOKEN and from sessions at a glance. */
export const API_TOKEN_PREFIX = 'ctk_';
/** A session ends this long after its login, whatever happens meanwhile. */
export const SESSION_HOURS = 12;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

const newSecret = () => randomBytes(32).toString('base64url');

/** A new credential for the user and the secret to hand over once; only its hash is kept. */
export function issueCredential(user: User, kind: Credential['kind'], label: string | null, now: Date): { secret: string; credential: Credential } {
  const secret = kind === 'token' ? API_TOKEN_PREFIX + newSecret() : newSecret();
  const expiresAt = kind === 'session' ? new Date(now.getTime() + SESSION_HOURS * 3_600_000) : null;
  return {
    secret,
    credential: { id: randomUUID(), tokenHash: hashToken(secret), userId: user.id, kind, label, createdAt: now, expiresAt },
  };
}

/**
 * The session's CSRF token: derived from the session's secret, which only its browser holds (the
 * cookie is HttpOnly), so a page of another site can neither read nor guess it.
 */
export function csrfTokenOf(sessionSecret: string): string {
  return createHash('sha256').update(`csrf\0${sessionSecret}`, 'utf8').digest('base64url');
}

/** Compares two secrets in time independent of where they differ (hashing first equalises lengths). */
export function secretsEqual(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}
