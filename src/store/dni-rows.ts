// What SQLite and PostgreSQL share for dynamic number insertion: the visit columns a hold is
// read with and their mapper, and the sweep that finds a pool's peak of live holds.

import type { VisitSource } from '../domain/attribution/visit-source.js';

export interface VisitSourceRow {
  source: string;
  medium: string;
  campaign: string | null;
  term: string | null;
  content: string | null;
  gclid: string | null;
  referrer: string | null;
  landing_page: string | null;
}

export const VISIT_SOURCE_COLUMNS = 'v.source, v.medium, v.campaign, v.term, v.content, v.gclid, v.referrer, v.landing_page';

export function visitSourceRowToSource(row: VisitSourceRow): VisitSource {
  return {
    source: row.source, medium: row.medium, campaign: row.campaign, term: row.term, content: row.content,
    gclid: row.gclid, referrer: row.referrer, landingPage: row.landing_page,
  };
}

/**
 * CTE `peaks (pool_id, peak_live_holds)` for the range [since, until) given as placeholders: per
 * pool, the most holds live at once when a hold of the range began. A running sum over starts
 * (+1) and ends (−1), an end first at the same instant since held_until is exclusive;
 * memory-dni-store.ts sweeps the same.
 */
export const peakLiveHoldsCte = (since: string, until: string) => `
  events AS (
    SELECT pool_id, held_from AS at, 1 AS delta FROM dni_holds WHERE held_from < ${until} AND held_until > ${since}
    UNION ALL
    SELECT pool_id, held_until AS at, -1 AS delta FROM dni_holds WHERE held_from < ${until} AND held_until > ${since}
  ), running AS (
    SELECT pool_id, at, delta, sum(delta) OVER (PARTITION BY pool_id ORDER BY at, delta ROWS UNBOUNDED PRECEDING) AS live
    FROM events
  ), peaks AS (
    SELECT pool_id, max(live) AS peak_live_holds FROM running WHERE delta = 1 AND at >= ${since} GROUP BY pool_id
  )`;
