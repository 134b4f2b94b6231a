// Loading many calls into a store that holds none yet: `npm run import` into a new database (the
// move from SQLite to PostgreSQL), and the benchmark's fills. Batch by batch (importCalls) each
// call costs searches for its caller's calls and writes to pages all over every index; at
// millions of calls that takes hours. The bulk load stages the calls in a table without indexes,
// moves them into `calls` in one statement that also links each to its caller's calls before and
// after it, builds the calls' other indexes once at the end, and then the report buckets, all in
// one transaction.

import type { CallRecord } from '../domain/calls.js';
import type { CallStore } from './call-store.js';

/** Batches of calls, as the import reads them from a file or a fill generates them. */
export type CallBatches = AsyncIterable<readonly CallRecord[]> | Iterable<readonly CallRecord[]>;

/** The columns an import gives, in this order; the others start at their defaults. */
export const STAGED_COLUMNS = [
  'uuid', 'conversation_uuid', 'tracking_number', 'caller', 'campaign', 'forward_to', 'started_at', 'outcome', 'answered_at',
  'ended_at', 'duration_seconds', 'inbound_status', 'forwarded_status', 'attempts', 'answered_by', 'attribution',
] as const;

/** The staging table; each store creates it empty, with the types of its `calls`. */
export const STAGING_TABLE = 'import_staging';

/**
 * Moves the staged calls (one row per uuid) into `calls` in (started_at, uuid) order, the order
 * every store tells which of a caller's calls came first. A call's previous call times are those
 * of its caller's call just before it (to any number, in its campaign, on its number in that
 * campaign), and it is followed when its caller has a call after it in the same sense, as the
 * batch-by-batch path sets them. Withheld callers have no previous or next calls.
 */
export const LOAD_STAGED_CALLS = `
  INSERT INTO calls (${STAGED_COLUMNS.join(', ')},
    prev_any_at, prev_campaign_at, prev_number_at, has_next_any, has_next_campaign, has_next_number)
  SELECT ${STAGED_COLUMNS.join(', ')},
    CASE WHEN caller IS NOT NULL THEN lag(started_at) OVER by_caller END,
    CASE WHEN caller IS NOT NULL THEN lag(started_at) OVER by_campaign END,
    CASE WHEN caller IS NOT NULL THEN lag(started_at) OVER by_number END,
    caller IS NOT NULL AND lead(uuid) OVER by_caller IS NOT NULL,
    caller IS NOT NULL AND lead(uuid) OVER by_campaign IS NOT NULL,
    caller IS NOT NULL AND lead(uuid) OVER by_number IS NOT NULL
  FROM ${STAGING_TABLE}
  WINDOW by_caller AS (PARTITION BY caller ORDER BY started_at, uuid),
    by_campaign AS (PARTITION BY caller, campaign ORDER BY started_at, uuid),
    by_number AS (PARTITION BY caller, campaign, tracking_number ORDER BY started_at, uuid)
  ORDER BY started_at, uuid`;

/** Imports batch by batch, as into a store that holds calls already. Resolves to the calls stored. */
export async function importEachBatch(store: Pick<CallStore, 'importCalls'>, batches: CallBatches): Promise<number> {
  let stored = 0;
  for await (const batch of batches) stored += await store.importCalls(batch);
  return stored;
}
