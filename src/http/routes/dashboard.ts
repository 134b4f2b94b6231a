// The dashboard: the page, its own static assets and Chart.js from node_modules (no CDN: it works
// offline and tells no third party who looks at what), and the latest calls with callers masked.
// Mounted behind requireSignIn and the admin security headers (a CSP that allows nothing but this origin).

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router, type Response } from 'express';
import type { Config } from '../../config.js';
import { escapeHtml } from '../../dashboard/html.js';
import { renderLayout } from '../../dashboard/layout.js';
import { renderDashboardPage } from '../../dashboard/page.js';
import { DEFAULT_PRESET, parseDashboardRange, type DashboardRange } from '../../dashboard/range.js';
import { localDay } from '../../domain/time-zone.js';
import { principalOf, type Principal } from '../../security/admin-auth.js';
import { HttpError } from '../http-error.js';
import { maskPhoneNumber } from '../../domain/phone.js';
import type { CallStore } from '../../store/call-store.js';
import { parseCallQuery } from './admin-query.js';
import { mediaOfCallsFor } from './media-json.js';

/**
 * This module runs as src/http/routes/*.ts (tsx, tests) and as dist/http/routes/*.js (npm start);
 * `npm run build` copies the assets to dist/dashboard/public, so a production install needs no src/.
 */
export const publicDir = fileURLToPath(new URL('../../dashboard/public/', import.meta.url));
const chartJsDir = dirname(createRequire(import.meta.url).resolve('chart.js'));
const CHART_JS_FILES = ['chart.umd.min.js', 'chart.umd.min.js.map'];
/** libphonenumber-js's browser bundle: phone numbers written as people of their country write them. */
const phoneBundleDir = join(dirname(createRequire(import.meta.url).resolve('libphonenumber-js')), 'bundle');
const PHONE_FILES = ['libphonenumber-min.js', 'libphonenumber-min.js.map'];

const LATEST_CALLS_LIMIT = 20;

/** The assets hold no personal data: let the browser keep them, revalidating by ETag. */
function revalidateAssets(res: Response): void {
  res.set('Cache-Control', 'no-cache');
}

/** The page's range; a bookmarked or hand-edited address it cannot show gets its 400 as a page that leads back. */
function rangeOfPage(query: Record<string, unknown>, today: string, principal: Principal): DashboardRange {
  try {
    return parseDashboardRange(query, today);
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    const main = `<section class="panel"><h2>Not a range this page can show</h2>
      <p>The address asks for a range this page cannot show: ${escapeHtml(error.message)}.</p>
      <p><a href="/dashboard">Open the last ${DEFAULT_PRESET} days</a></p></section>`;
    throw new HttpError(error.code, error.message, renderLayout({ title: 'Calls dashboard', path: '/dashboard', script: null, main, principal }));
  }
}

export function dashboardRoutes(store: CallStore, config: Readonly<Config>): Router {
  const router = Router();
  router.get('/dashboard', (req, res) => {
    const today = localDay(config.timeZone, Date.now());
    const principal = principalOf(res);
    const range = rangeOfPage(req.query, today, principal);
    res.type('html').send(renderDashboardPage({
      range, today, qualifiedCallSeconds: config.qualifiedCallSeconds, timeZone: config.timeZone, principal,
    }));
  });

  // The page shows callers to people: mask them here, so full numbers never reach the browser.
  router.get('/dashboard/latest-calls', async (req, res) => {
    const query = parseCallQuery({ ...req.query, limit: req.query.limit ?? String(LATEST_CALLS_LIMIT) }, config.timeZone);
    const page = await store.listCalls(query);
    const media = await mediaOfCallsFor(principalOf(res).role, store.media, page.calls);
    res.json({
      calls: page.calls.map((call) => ({
        ...media.get(call),
        startedAt: call.startedAt.toISOString(),
        caller: maskPhoneNumber(call.caller),
        trackingNumber: call.trackingNumber,
        campaign: call.campaign,
        outcome: call.outcome,
        durationSeconds: call.durationSeconds,
      })),
    });
  });

  for (const file of CHART_JS_FILES) {
    router.get(`/dashboard/assets/${file}`, (_req, res) => {
      revalidateAssets(res);
      // Relative to a root, so that an install under a dot-folder (~/.local/…) can still send it.
      res.sendFile(file, { root: chartJsDir });
    });
  }
  for (const file of PHONE_FILES) {
    router.get(`/dashboard/assets/${file}`, (_req, res) => {
      revalidateAssets(res);
      res.sendFile(file, { root: phoneBundleDir });
    });
  }
  router.use('/dashboard/assets', express.static(publicDir, { index: false, fallthrough: true, setHeaders: revalidateAssets }));

  return router;
}
