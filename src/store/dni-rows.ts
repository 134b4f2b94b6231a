// The visit columns a hold is read with, the same in SQLite and PostgreSQL, and their mapper.

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
