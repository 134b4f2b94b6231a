// The admin side of dynamic number insertion: number pools, whether they are big enough, and
// qualified ad-click calls as a Google Ads import file. Mounted behind requireSignIn. Calls by
// source are a report (/api/report?groupBy=source).

import { requirePermission } from '../../security/admin-auth.js';
import express, { Router } from 'express';
import { z } from 'zod';
import type { Config } from '../../config.js';
import { GOOGLE_ADS_COLUMNS, googleAdsParametersLine, googleAdsTime } from '../../domain/attribution/google-ads.js';
import { isQualifiedCall } from '../../domain/report-figures.js';
import { isTimeZone } from '../../domain/time-zone.js';
import { sizePools } from '../../domain/attribution/pool-sizing.js';
import { DEFAULT_HOLD_SECONDS, type NumberPool } from '../../domain/attribution/pools.js';
import type { NumberDirectory } from '../../domain/number-directory.js';
import type { CallRecord } from '../../domain/calls.js';
import type { CallQuery, CallStore, TimeRange } from '../../store/call-store.js';
import { recordAdminChange } from '../audit.js';
import { csvLine } from '../csv.js';
import { HttpError, badRequest } from '../http-error.js';
import { MAX_PAGE_SIZE, parseNumberParam } from './admin-query.js';
import { POOL_ID } from './dni.js';
import { parseReportRange } from './reports.js';
import { describeIssue, printable } from './route-body.js';

/** Pools are sized from at most this many of the range's latest calls, so the view stays quick. */
const MAX_CALLS_EXAMINED = 10_000;
const MAX_POOL_NUMBERS = 1000;
const MAX_HOLD_MINUTES = 24 * 60;

const poolBodySchema = z.strictObject({
  campaign: printable(100).nullable().optional(),
  replaces: z.string().max(40),
  numbers: z.array(z.string().max(40)).min(1).max(MAX_POOL_NUMBERS),
  holdMinutes: z.number().int().min(1).max(MAX_HOLD_MINUTES).optional(),
});

function parsePoolBody(id: string, body: unknown): NumberPool {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('send a JSON object such as {"campaign": "Website", "replaces": "+44 20 7946 0000", "numbers": ["+44 20 7946 0001"], "holdMinutes": 30}');
  }
  const parsed = poolBodySchema.safeParse(body);
  if (!parsed.success) throw badRequest(describeIssue(parsed.error));
  const fields = parsed.data;
  const replacesNumber = parseNumberParam('replaces', fields.replaces);
  const numbers = fields.numbers.map((raw, index) => parseNumberParam(`numbers.${index}`, raw));
  if (new Set(numbers).size !== numbers.length) throw badRequest('"numbers" lists a number twice');
  if (numbers.includes(replacesNumber)) throw badRequest('"numbers" must not include the number they replace');
  return {
    id, campaign: fields.campaign ?? null, replacesNumber, numbers: numbers.sort(),
    holdSeconds: fields.holdMinutes === undefined ? DEFAULT_HOLD_SECONDS : fields.holdMinutes * 60,
  };
}

function parsePoolId(raw: string): string {
  if (!POOL_ID.test(raw)) throw badRequest('"id" must be lower-case letters, digits, "-" or "_", up to 40, such as "website"');
  return raw;
}

/** The calls of a range, newest first, a page at a time. */
async function* callPages(store: CallStore, range: TimeRange, maxCalls = Infinity): AsyncGenerator<CallRecord[]> {
  const query: CallQuery = { since: range.since, until: range.until, limit: MAX_PAGE_SIZE };
  let seen = 0;
  while (seen < maxCalls) {
    const page = await store.listCalls(query);
    seen += page.calls.length;
    yield page.calls;
    if (!page.nextCursor) return;
    query.cursor = page.nextCursor;
  }
}

const googleAdsQuerySchema = z.object({
  conversionName: printable(100),
  tz: z.string().max(64).refine(isTimeZone, 'must be an IANA time zone such as Europe/London').optional(),
  value: z.string().regex(/^\d{1,12}(\.\d{1,2})?$/, 'must be a number such as 50 or 49.99').optional(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as GBP').optional(),
  includeExported: z.enum(['true', 'false']).optional(),
});

export function dniAdminRoutes(store: CallStore, directory: NumberDirectory, config: Readonly<Config>): Router {
  const router = Router();

  router.get('/api/pools', async (_req, res) => {
    res.json({ pools: await store.dni.listPools() });
  });

  router.put('/api/pools/:id', requirePermission('numbers'), express.json({ limit: '64kb' }), async (req, res) => {
    if (!req.is('application/json')) throw new HttpError('unsupported_media_type', 'send the pool as application/json');
    const pool = parsePoolBody(parsePoolId(String(req.params.id)), req.body);
    const existed = (await store.dni.listPools()).some((p) => p.id === pool.id);
    if (!(await store.dni.savePool(pool))) throw badRequest('"numbers" includes a number of another pool');
    await directory.reloadPools();
    // The pool's numbers are tracking numbers of its campaign; their other settings stay.
    for (const number of pool.numbers) {
      const entry = directory.lookup(number);
      await directory.save({ number, forwardTo: null, whisper: null, route: null, ...entry, campaign: pool.campaign });
    }
    await recordAdminChange(store, res, 'pool.saved', pool.id, { campaign: pool.campaign, numbers: pool.numbers });
    res.status(existed ? 200 : 201).json(pool);
  });

  router.delete('/api/pools/:id', requirePermission('numbers'), async (req, res) => {
    const id = parsePoolId(String(req.params.id));
    if (!(await store.dni.deletePool(id))) throw new HttpError('not_found', 'no such pool');
    await directory.reloadPools();
    await recordAdminChange(store, res, 'pool.deleted', id);
    res.status(204).end();
  });

  router.get('/api/attribution', async (req, res) => {
    const range = parseReportRange(req.query, config);
    const [pools, stats] = await Promise.all([store.dni.listPools(), store.dni.holdStats(range)]);
    const attributions = [];
    let examined = 0;
    for await (const calls of callPages(store, range, MAX_CALLS_EXAMINED)) {
      examined += calls.length;
      attributions.push(...calls.map((call) => call.attribution ?? null));
    }
    res.json({
      since: range.since.toISOString(),
      until: range.until.toISOString(),
      callsExamined: examined,
      truncated: examined >= MAX_CALLS_EXAMINED,
      pools: sizePools(pools, stats, attributions),
    });
  });

  router.get('/api/conversions/google-ads.csv', async (req, res) => {
    const parsed = googleAdsQuerySchema.safeParse(req.query);
    if (!parsed.success) throw badRequest(describeIssue(parsed.error));
    const q = parsed.data;
    const range = parseReportRange(req.query, config);
    const timeZone = q.tz ?? config.timeZone;
    const exportedAt = new Date();
    res.status(200).set({
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': 'attachment; filename="google-ads-conversions.csv"',
      'cache-control': 'no-store',
    });
    res.write(googleAdsParametersLine(timeZone) + csvLine(GOOGLE_ADS_COLUMNS));
    for await (const calls of callPages(store, range)) {
      if (res.destroyed) break;
      const clicked = calls.flatMap((call) => {
        const gclid = call.attribution?.gclid;
        return gclid && isQualifiedCall(call, config.qualifiedCallSeconds) ? [{ call, gclid }] : [];
      });
      const exported = q.includeExported === 'true' ? new Set<string>() : await store.dni.exportedConversions(clicked.map((c) => c.call.uuid));
      const fresh = clicked.filter((c) => !exported.has(c.call.uuid));
      res.write(fresh.map(({ call, gclid }) => csvLine([
        gclid, q.conversionName, googleAdsTime(call.startedAt, timeZone), q.value ?? null, q.value === undefined ? null : q.currency ?? null,
      ])).join(''));
      await store.dni.markConversionsExported(fresh.map((c) => c.call.uuid), exportedAt);
    }
    res.end();
  });

  return router;
}
