// Guards the admin routes (calls, numbers, reports, dashboard): a Bearer token, or HTTP Basic
// with the token as password so that a browser can open the dashboard.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from '../http/http-error.js';
import { ADMIN_TOKEN_ACTOR, setActor } from './actor.js';

/** Hashing both sides first gives equal lengths, so the comparison leaks neither length nor content. */
function digest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

function presentedToken(authorization: string | undefined): string | null {
  if (!authorization) return null;
  const [scheme, value] = authorization.split(' ', 2);
  if (!scheme || !value) return null;
  if (scheme.toLowerCase() === 'bearer') return value.trim();
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value.trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon === -1 ? null : decoded.slice(colon + 1);
  }
  return null;
}

export function requireAdmin(adminToken: string | null): RequestHandler {
  const expected = adminToken === null ? null : digest(adminToken);
  return (req, res, next) => {
    if (expected === null) {
      next(new HttpError('admin_closed', 'admin routes are closed: set ADMIN_TOKEN to open them'));
      return;
    }
    const token = presentedToken(req.get('authorization'));
    if (token === null || !timingSafeEqual(digest(token), expected)) {
      res.set('WWW-Authenticate', 'Basic realm="call-tracker", charset="UTF-8"');
      next(new HttpError('unauthorized', 'admin credentials required: Authorization: Bearer <ADMIN_TOKEN>'));
      return;
    }
    // Pages and answers with callers' numbers must not linger in shared caches.
    res.set('Cache-Control', 'no-store');
    setActor(res, ADMIN_TOKEN_ACTOR);
    next();
  };
}
