// Who is asking, on the admin routes (calls, numbers, reports, team, dashboard): the owner's
// ADMIN_TOKEN (Bearer, or HTTP Basic with the token as password), a user's personal API token
// (Bearer), or a user's session cookie from the login page. A change made with the cookie must
// carry the session's CSRF token in a header; Bearer and Basic requests need none (a browser
// never adds those by itself to another site's request). Each request's principal lands in
// res.locals for requirePermission and the routes. A browser opening a page without credentials
// gets the login page once the team has users, the Basic prompt before (and with ?auth=basic).

import type { Request, RequestHandler, Response } from 'express';
import { can, type Credential, type Permission, type Role, type User } from '../domain/team.js';
import { HttpError } from '../http/http-error.js';
import type { TeamStore } from '../store/team-store.js';
import { ADMIN_TOKEN_ACTOR, setActor } from './actor.js';
import { API_TOKEN_PREFIX, csrfTokenOf, hashToken, secretsEqual } from './credentials.js';

export const SESSION_COOKIE = 'call_tracker_session';
export const CSRF_HEADER = 'x-csrf-token';
/** `?auth=basic` asks for the browser's own password prompt (the ADMIN_TOKEN) instead of the login page. */
const BASIC_PROMPT_QUERY = 'basic';

export interface Principal {
  role: Role;
  /** Null for the ADMIN_TOKEN, which belongs to no user. */
  user: User | null;
  /** The session's CSRF token, for pages to send back; null unless signed in with the cookie. */
  csrfToken: string | null;
  /**
   * Whether the credential still lets this principal in with this role (not revoked, expired or
   * disabled, role unchanged), for answers that outlive the request that opened them (live calls).
   */
  stillValid: () => Promise<boolean>;
}

export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) throw new Error('principalOf called on a route that is not behind requireSignIn');
  return principal;
}

function presentedAuthorization(authorization: string | undefined): { scheme: 'bearer' | 'basic'; token: string } | null {
  if (!authorization) return null;
  const [scheme, value] = authorization.split(' ', 2);
  if (!scheme || !value) return null;
  if (scheme.toLowerCase() === 'bearer') return { scheme: 'bearer', token: value.trim() };
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value.trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon === -1 ? null : { scheme: 'basic', token: decoded.slice(colon + 1) };
  }
  return null;
}

export function sessionSecretOf(req: Request): string | null {
  for (const pair of (req.get('cookie') ?? '').split(';')) {
    const eq = pair.indexOf('=');
    if (eq !== -1 && pair.slice(0, eq).trim() === SESSION_COOKIE) return decodeURIComponent(pair.slice(eq + 1).trim());
  }
  return null;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A person's browser opening a page, rather than a script calling the API. */
function isPageVisit(req: Request): boolean {
  return req.method === 'GET' && req.accepts(['json', 'html']) === 'html' && req.query.auth !== BASIC_PROMPT_QUERY;
}

export interface SignInOptions {
  adminToken: string | null;
  team: TeamStore;
  now?: () => Date;
}

export function requireSignIn({ adminToken, team, now = () => new Date() }: SignInOptions): RequestHandler {
  const refuse = (res: Response, reason: string) => {
    res.set('WWW-Authenticate', 'Basic realm="call-tracker", charset="UTF-8"');
    return new HttpError('unauthorized', reason);
  };

  /** The user holding the credential with this hash, if it still lets them in. */
  async function holderOf(tokenHash: string, kind: Credential['kind']): Promise<User | null> {
    const found = await team.findCredential(tokenHash, now());
    return found && found.credential.kind === kind && !found.user.disabled ? found.user : null;
  }

  const stillHeldBy = (tokenHash: string, kind: Credential['kind'], user: User) => async () =>
    (await holderOf(tokenHash, kind))?.role === user.role;

  async function identify(req: Request, res: Response): Promise<Principal | HttpError | 'sign-in'> {
    const authorization = presentedAuthorization(req.get('authorization'));
    if (authorization) {
      // ADMIN_TOKEN is set at start-up and lasts as long as the process.
      if (adminToken !== null && secretsEqual(authorization.token, adminToken)) return { role: 'owner', user: null, csrfToken: null, stillValid: async () => true };
      if (authorization.scheme === 'bearer' && authorization.token.startsWith(API_TOKEN_PREFIX)) {
        const tokenHash = hashToken(authorization.token);
        const user = await holderOf(tokenHash, 'token');
        if (user) return { role: user.role, user, csrfToken: null, stillValid: stillHeldBy(tokenHash, 'token', user) };
      }
      if (adminToken === null) return new HttpError('admin_closed', 'admin routes are closed: set ADMIN_TOKEN or sign in as a user');
      return refuse(res, 'these credentials are not valid: Authorization: Bearer <ADMIN_TOKEN or personal API token>');
    }
    const sessionSecret = sessionSecretOf(req);
    if (sessionSecret !== null) {
      const tokenHash = hashToken(sessionSecret);
      const user = await holderOf(tokenHash, 'session');
      if (user) {
        const csrfToken = csrfTokenOf(sessionSecret);
        if (!SAFE_METHODS.has(req.method) && !secretsEqual(req.get(CSRF_HEADER) ?? '', csrfToken)) {
          return new HttpError('forbidden', `a change made with the session cookie needs the ${CSRF_HEADER} header the page holds`);
        }
        return { role: user.role, user, csrfToken, stillValid: stillHeldBy(tokenHash, 'session', user) };
      }
    }
    // Until the team has a user, the owner signs in as before: the browser's prompt for the
    // ADMIN_TOKEN (and an address with the token in it keeps working); a login page would lead nowhere.
    if (isPageVisit(req) && (await team.listUsers()).length > 0) return 'sign-in';
    if (sessionSecret !== null) {
      // No Basic challenge: the browser would pop its password prompt over a page whose session ended.
      return new HttpError('unauthorized', 'the session has ended: sign in again at /login');
    }
    if (adminToken === null) return new HttpError('admin_closed', 'admin routes are closed: set ADMIN_TOKEN or sign in as a user');
    return refuse(res, 'sign in first: Authorization: Bearer <ADMIN_TOKEN or personal API token>, or the session cookie from /login');
  }

  return async (req, res, next) => {
    const identified = await identify(req, res);
    if (identified === 'sign-in') {
      res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
      return;
    }
    if (identified instanceof HttpError) {
      next(identified);
      return;
    }
    res.locals.principal = identified;
    // Pages and answers with callers' numbers must not linger in shared caches.
    res.set('Cache-Control', 'no-store');
    setActor(res, identified.user === null ? ADMIN_TOKEN_ACTOR : `user:${identified.user.id}`);
    next();
  };
}

export function requirePermission(permission: Permission): RequestHandler {
  return (_req, res, next) => {
    const { role } = principalOf(res);
    next(can(role, permission) ? undefined : new HttpError('forbidden', `the ${role} role may not do this`));
  };
}
