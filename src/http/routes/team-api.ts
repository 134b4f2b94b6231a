// The team API: users and their roles (owners only), ending a user's sessions, and each user's
// own personal API tokens. Mounted behind requireSignIn. Every change is in the audit log, which
// names users by id and tokens by id, never a password or a token.

import { randomUUID } from 'node:crypto';
import express, { Router, type Request } from 'express';
import { z } from 'zod';
import { ROLES, type Credential, type User } from '../../domain/team.js';
import { principalOf, requirePermission } from '../../security/admin-auth.js';
import { issueCredential } from '../../security/credentials.js';
import { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../security/passwords.js';
import type { CallStore } from '../../store/call-store.js';
import type { TeamStore, UserChangeOutcome } from '../../store/team-store.js';
import { recordAdminChange } from '../audit.js';
import { badRequest, HttpError } from '../http-error.js';
import { describeIssue, printable } from './route-body.js';

const BODY_LIMIT = '4kb';

const username = z.string().trim().toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._@-]{1,63}$/, 'must be 2 to 64 letters, digits or . _ @ -, starting with a letter or digit');
const password = z.string()
  .min(MIN_PASSWORD_LENGTH, `must have at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(MAX_PASSWORD_LENGTH, `must have at most ${MAX_PASSWORD_LENGTH} characters`);
const role = z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` });

const newUserSchema = z.strictObject({ username, password, role });
const userChangesSchema = z.strictObject({ role: role.optional(), disabled: z.boolean().optional(), password: password.optional() });
const newTokenSchema = z.strictObject({ label: printable(100) });

function parseBody<T>(req: Request, schema: z.ZodType<T>): T {
  if (!req.is('application/json')) throw new HttpError('unsupported_media_type', 'send application/json');
  const parsed = schema.safeParse(req.body);
  if (!parsed.success) throw badRequest(describeIssue(parsed.error));
  return parsed.data;
}

const userJson = (user: User) => ({
  id: user.id, username: user.username, role: user.role, disabled: user.disabled, createdAt: user.createdAt.toISOString(),
});

const tokenJson = (token: Credential) => ({ id: token.id, label: token.label, createdAt: token.createdAt.toISOString() });

async function assertUserExists(team: TeamStore, id: string): Promise<User> {
  const user = (await team.listUsers()).find((u) => u.id === id);
  if (!user) throw new HttpError('not_found', 'no such user');
  return user;
}

/** Turns a change the store did not make into the API's answer. */
function assertChanged(outcome: UserChangeOutcome): void {
  if (outcome === 'not_found') throw new HttpError('not_found', 'no such user');
  if (outcome === 'last_owner') {
    throw new HttpError('conflict', 'this is the last active owner: make another user an owner first (the ADMIN_TOKEN always signs in as owner)');
  }
}

export function teamApiRoutes(store: CallStore): Router {
  const { team } = store;
  const router = Router();
  const json = express.json({ limit: BODY_LIMIT });
  const owner = requirePermission('team');

  router.get('/api/me', (_req, res) => {
    const { user, role } = principalOf(res);
    res.json({ username: user?.username ?? null, role });
  });

  router.get('/api/me/tokens', async (_req, res) => {
    const { user } = principalOf(res);
    res.json({ tokens: user ? (await team.listTokens(user.id)).map(tokenJson) : [] });
  });

  router.post('/api/me/tokens', json, async (req, res) => {
    const { user } = principalOf(res);
    if (!user) throw badRequest('the ADMIN_TOKEN is already a token: personal tokens belong to users, sign in as one');
    const { label } = parseBody(req, newTokenSchema);
    const { secret, credential } = issueCredential(user, 'token', label, new Date());
    await team.saveCredential(credential);
    await recordAdminChange(store, res, 'token.created', credential.id, { label });
    // The only time the token is shown: the store keeps its hash.
    res.status(201).json({ ...tokenJson(credential), token: secret });
  });

  router.delete('/api/me/tokens/:id', async (req, res) => {
    const { user } = principalOf(res);
    const id = String(req.params.id);
    if (!user || !(await team.deleteCredential(user.id, id))) throw new HttpError('not_found', 'no such token');
    await recordAdminChange(store, res, 'token.revoked', id);
    res.status(204).end();
  });

  router.get('/api/users', owner, async (_req, res) => {
    res.json({ users: (await team.listUsers()).map(userJson) });
  });

  router.post('/api/users', owner, json, async (req, res) => {
    const body = parseBody(req, newUserSchema);
    const user = { id: randomUUID(), username: body.username, role: body.role, disabled: false, createdAt: new Date() };
    if (!(await team.createUser({ ...user, passwordHash: await hashPassword(body.password) }))) {
      throw badRequest(`"username" ${body.username} is taken`);
    }
    await recordAdminChange(store, res, 'user.created', user.id, { username: user.username, role: user.role });
    res.status(201).json(userJson(user));
  });

  router.patch('/api/users/:id', owner, json, async (req, res) => {
    const id = String(req.params.id);
    const body = parseBody(req, userChangesSchema);
    await assertUserExists(team, id);
    assertChanged(await team.updateUser(id, {
      role: body.role, disabled: body.disabled, passwordHash: body.password === undefined ? undefined : await hashPassword(body.password),
    }));
    // A user shut out, or given a new password, is signed out everywhere at once.
    if (body.disabled === true || body.password !== undefined) await team.deleteSessions(id);
    await recordAdminChange(store, res, 'user.updated', id, { role: body.role, disabled: body.disabled, passwordChanged: body.password !== undefined });
    res.json(userJson(await assertUserExists(team, id)));
  });

  router.delete('/api/users/:id', owner, async (req, res) => {
    const { id, username } = await assertUserExists(team, String(req.params.id));
    assertChanged(await team.deleteUser(id));
    await recordAdminChange(store, res, 'user.deleted', id, { username });
    res.status(204).end();
  });

  router.delete('/api/users/:id/sessions', owner, async (req, res) => {
    const id = String(req.params.id);
    await assertUserExists(team, id);
    const ended = await team.deleteSessions(id);
    await recordAdminChange(store, res, 'user.sessions-ended', id, { ended });
    res.json({ ended });
  });

  return router;
}
