// The login page, signing in (a session cookie) and signing out. Sessions live in the store, so
// every instance knows them and an owner can end them.

import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { renderLoginPage } from '../../dashboard/login-page.js';
import type { Logger } from '../../logger.js';
import { sessionSecretOf, SESSION_COOKIE } from '../../security/admin-auth.js';
import { clientAddress } from '../../security/address-limiter.js';
import { hashToken, issueCredential, SESSION_HOURS } from '../../security/credentials.js';
import { unusablePasswordHash, verifyPassword } from '../../security/passwords.js';
import { adminSecurityHeaders } from '../../security/security-headers.js';
import type { TeamStore } from '../../store/team-store.js';
import { HttpError } from '../http-error.js';
import { publicDir } from './dashboard.js';

const LOGIN_ASSETS = ['dashboard.css', 'pages.css', 'icon.svg'];

const loginSchema = z.object({
  username: z.string().max(100),
  password: z.string().max(1000),
  next: z.string().max(2000).optional(),
});

/** Only pages of this app, so the login cannot be used to send people elsewhere. */
function safeNext(next: string | undefined): string {
  return next !== undefined && /^\/dashboard(?:[/?#]|$)/.test(next) ? next : '/dashboard';
}

function wantsJson(req: Request): boolean {
  return req.is('application/json') === 'application/json';
}

function setSessionCookie(req: Request, res: Response, secret: string, maxAgeMs: number): void {
  res.cookie(SESSION_COOKIE, secret, {
    httpOnly: true,
    sameSite: 'lax',
    // req.secure is true behind a TLS proxy on this machine (trust proxy) as for TLS itself.
    secure: req.secure,
    path: '/',
    maxAge: maxAgeMs,
  });
}

/** `failedLogins` counts each 401 this answers against the client's address (security/login-limiter.ts). */
export function loginRoutes(team: TeamStore, failedLogins: RequestHandler, logger: Logger): Router {
  const router = Router();
  router.use(['/login', '/logout'], adminSecurityHeaders);

  // The login page's look, before anyone has signed in: stylesheets and the icon, nothing personal.
  // Relative to a root, as the dashboard's assets are sent (an install under a dot-folder).
  for (const file of LOGIN_ASSETS) router.get(`/login/assets/${file}`, (_req, res) => res.sendFile(file, { root: publicDir }));

  router.get('/login', (req, res) => {
    res.set('Cache-Control', 'no-store');
    res.type('html').send(renderLoginPage({ next: safeNext(typeof req.query.next === 'string' ? req.query.next : undefined), refused: null }));
  });

  router.post('/login', failedLogins, express.urlencoded({ extended: false, limit: '4kb' }), express.json({ limit: '4kb' }), async (req, res) => {
    const parsed = loginSchema.safeParse(req.body ?? {});
    if (!parsed.success) throw new HttpError('bad_request', 'send "username" and "password"');
    const { username, password } = parsed.data;
    const next = safeNext(parsed.data.next);
    const user = await team.findUserByUsername(username.trim().toLowerCase());
    // An unknown user costs a password check too, so the answer's timing does not tell who exists.
    const valid = await verifyPassword(password, user?.passwordHash ?? (await unusablePasswordHash()));
    if (!user || !valid || user.disabled) {
      logger.info('login refused', { address: clientAddress(req) });
      res.status(401);
      if (wantsJson(req)) res.json({ error: 'unauthorized', message: 'wrong username or password' });
      else res.type('html').send(renderLoginPage({ next, refused: 'wrong' }));
      return;
    }
    const { secret, credential } = issueCredential(user, 'session', null, new Date());
    await team.saveCredential(credential);
    setSessionCookie(req, res, secret, SESSION_HOURS * 3_600_000);
    logger.info('login', { user: user.username });
    if (wantsJson(req)) res.json({ username: user.username, role: user.role });
    else res.redirect(303, next);
  });

  // The failed-login limit's refusal, on the login page for a person; a script gets the JSON error.
  // The limit answers before the form is read, so the page goes to the overview once signed in.
  const showLimit: ErrorRequestHandler = (error, req, res, next) => {
    if (!(error instanceof HttpError) || error.code !== 'too_many_requests' || wantsJson(req)) {
      next(error);
      return;
    }
    res.status(error.status).type('html').send(renderLoginPage({ next: safeNext(undefined), refused: 'limited' }));
  };
  router.use('/login', showLimit);

  // Signing out ends the session in the store, not only in this browser. It needs no CSRF
  // token: the worst another site can do is sign someone out.
  router.post('/logout', async (req, res) => {
    const secret = sessionSecretOf(req);
    if (secret !== null) {
      const found = await team.findCredential(hashToken(secret), new Date());
      if (found?.credential.kind === 'session') await team.deleteCredential(found.user.id, found.credential.id);
    }
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.redirect(303, '/login');
  });

  return router;
}
