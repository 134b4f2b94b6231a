// The public side of dynamic number insertion: the snippet websites load (/dni.js), and the visit
// endpoints it calls from the site's pages. No admin token: they take only small, validated
// input, answer only a number of the pool, and only to the origins DNI_ALLOWED_ORIGINS lists.

import { fileURLToPath } from 'node:url';
import cors from 'cors';
import express, { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Config } from '../../config.js';
import type { NumberAssigner } from '../../domain/attribution/number-assigner.js';
import { visitSourceFrom } from '../../domain/attribution/visit-source.js';
import { AddressLimiter, clientAddress } from '../../security/address-limiter.js';
import { HttpError, badRequest } from '../http-error.js';
import { NO_CONTROL_CHARACTERS } from './admin-query.js';
import { describeIssue } from './route-body.js';

/** Beside the code: tsc copies no .js, so `npm run build` copies it into dist/ as it does the dashboard's assets. */
const SNIPPET_DIR = fileURLToPath(new URL('../../dni/', import.meta.url));

const HOUR_MS = 3_600_000;
/** Sites cache the snippet this long; a new version reaches visitors within it. */
const SNIPPET_MAX_AGE_SECONDS = 300;
/** Browsers keep a preflight answer this long. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;
/** The snippet's heartbeat: often enough that a visit on the page never loses its number. */
const MAX_HEARTBEAT_SECONDS = 60;
const MIN_HEARTBEAT_SECONDS = 10;

export const POOL_ID = /^[a-z0-9][a-z0-9_-]{0,39}$/;
/** newDniId(): 16 random bytes, base64url. */
const VISIT_ID = /^[A-Za-z0-9_-]{22}$/;
/** Click ids are URL-safe base64; starting alphanumeric, no CSV cell mistakes one for a formula. */
const GCLID = /^[A-Za-z0-9][\w-]{0,255}$/;

const tag = (max: number) => z.string().trim().max(max).regex(NO_CONTROL_CHARACTERS, 'must not contain control characters')
  .transform((value) => (value === '' ? null : value)).nullable().optional().transform((value) => value ?? null);

const visitRequestSchema = z.strictObject({
  pool: z.string().regex(POOL_ID, 'must be a pool id such as "website"'),
  visitId: z.string().regex(VISIT_ID, 'must be a visit id this server gave out').nullable().optional(),
  utmSource: tag(200),
  utmMedium: tag(200),
  utmCampaign: tag(200),
  utmTerm: tag(200),
  utmContent: tag(200),
  gclid: z.string().regex(GCLID, 'must be a Google click id').nullable().optional().transform((value) => value ?? null),
  referrer: tag(2000),
  landingPage: tag(2000),
});

function parseVisitRequest(body: unknown) {
  let json: unknown;
  try {
    json = JSON.parse(typeof body === 'string' ? body : '');
  } catch {
    throw badRequest('the body is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw badRequest('"body" must be a JSON object such as {"pool": "website"}');
  const parsed = visitRequestSchema.safeParse(json);
  if (!parsed.success) throw badRequest(describeIssue(parsed.error));
  return parsed.data;
}

/** The browser says which page calls; only the listed sites' pages may. */
function requireAllowedOrigin(allowed: readonly string[]): RequestHandler {
  const origins = new Set(allowed);
  return (req, _res, next) => {
    const origin = req.headers.origin;
    if (origin !== undefined && origins.has(origin)) return next();
    next(new HttpError('origin_not_allowed', origins.size === 0
      ? 'no website may ask for numbers: set DNI_ALLOWED_ORIGINS'
      : `origin ${origin?.slice(0, 200) ?? '(none)'} is not in DNI_ALLOWED_ORIGINS`));
  };
}

export function dniRoutes(assigner: NumberAssigner, config: Readonly<Config>): Router {
  const router = Router();
  const limiter = new AddressLimiter(config.dniHoldsPerAddressPerHour, HOUR_MS);

  router.get('/dni.js', (_req, res) => {
    res.set({
      'Cache-Control': `public, max-age=${SNIPPET_MAX_AGE_SECONDS}`,
      'Cross-Origin-Resource-Policy': 'cross-origin',
      'X-Content-Type-Options': 'nosniff',
    });
    // Relative to a root, so that only the file's own name is checked for dot-folders, not the install's path.
    res.type('application/javascript').sendFile('dni.js', { root: SNIPPET_DIR });
  });

  router.use(
    '/dni/visits',
    cors({ origin: config.dniAllowedOrigins, methods: ['POST'], maxAge: PREFLIGHT_MAX_AGE_SECONDS }),
    requireAllowedOrigin(config.dniAllowedOrigins),
    // text/plain is what the snippet sends: a "simple" request, with no preflight round trip.
    express.text({ type: ['text/plain', 'application/json'], limit: '4kb' }),
  );

  router.post('/dni/visits', async (req, res) => {
    const visit = parseVisitRequest(req.body);
    const address = clientAddress(req);
    const source = visitSourceFrom(visit);
    const outcome = await assigner.numberFor(visit.pool, visit.visitId ?? null, source, limiter.allows(address));
    if (outcome.kind === 'refused') throw new HttpError('too_many_requests', 'too many new visits from this address; try later');
    if (outcome.kind === 'no_pool') throw new HttpError('not_found', `there is no pool "${visit.pool}" with numbers`);
    if (outcome.newHold) limiter.count(address);
    res.json({
      visitId: outcome.visitId,
      number: outcome.number,
      replaces: outcome.replacesNumber,
      heldUntil: outcome.heldUntil.toISOString(),
      holdSeconds: Math.round(outcome.holdSeconds),
      heartbeatSeconds: Math.round(Math.min(MAX_HEARTBEAT_SECONDS, Math.max(MIN_HEARTBEAT_SECONDS, outcome.holdSeconds / 3))),
    });
  });

  router.post('/dni/visits/:visitId/heartbeat', async (req, res) => {
    const visitId = String(req.params.visitId);
    if (!VISIT_ID.test(visitId)) throw badRequest('"visitId" must be a visit id this server gave out');
    const hold = await assigner.renew(visitId);
    res.json(hold
      ? { held: true, number: hold.number, heldUntil: hold.heldUntil.toISOString(), holdSeconds: Math.round(hold.holdSeconds) }
      : { held: false });
  });

  return router;
}
