// Slows down guessing of ADMIN_TOKEN: an address that fails to log in too often is refused for a
// while, with 429 and Retry-After. Only credentials that fail count, so an admin at work (and a
// browser's first request, which presents none and is answered with the login prompt) is never limited.

import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { HttpError } from '../http/http-error.js';
import type { Logger } from '../logger.js';
import { clientAddress } from './address-limiter.js';

/** Failed logins allowed per address in each window; a browser's parallel requests stay far below it. */
export const FAILED_LOGINS_PER_WINDOW = 20;
export const FAILED_LOGIN_WINDOW_MS = 15 * 60_000;

export function limitFailedLogins(logger: Logger): RequestHandler {
  return rateLimit({
    windowMs: FAILED_LOGIN_WINDOW_MS,
    limit: FAILED_LOGINS_PER_WINDOW,
    // Every request counts until it is answered; those that got past the login are taken back.
    // Per client, as a proxy on this machine forwards it (clientAddress), IPv6 by its /56.
    keyGenerator: (req) => ipKeyGenerator(clientAddress(req)),
    validate: { xForwardedForHeader: false },
    // A request with no credentials is a browser asking for the login prompt, not a guess.
    skip: (req) => req.get('authorization') === undefined,
    skipSuccessfulRequests: true,
    requestWasSuccessful: (_req, res) => res.statusCode !== 401,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (req, res, next) => {
      // Retry-After is already set; the log names the address, never what was presented.
      logger.warn('too many failed admin logins: refusing this address for a while', { address: clientAddress(req), retryAfterSeconds: res.get('retry-after') });
      next(new HttpError('too_many_requests', 'too many failed logins from this address: wait before trying again'));
    },
  });
}
