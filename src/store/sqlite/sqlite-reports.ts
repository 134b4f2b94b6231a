// The SQLite store's reports, answered from the hourly rollup that triggers keep (migration 2)
// instead of a scan of every call: whole hours come from call_rollup, the partial hours at either
// end of a range from the calls themselves. Figures stay exact.

import type Database from 'better-sqlite3';
import type { CampaignTotals, DailyCounts, ReportOptions, TimeRange } from '../call-store.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** 1970-01-01, day 0 of the epoch, was a Thursday. */
const EPOCH_DAY_OF_WEEK = 4;

/**
 * The previous call of the caller being inserted (@caller, @campaign, @startedAt, @uuid), to any
 * number and to its campaign, in the (started_at, uuid) order every store uses for "first".
 */
export const PREVIOUS_CALL_TIMES = `
  (SELECT started_at FROM calls WHERE caller = @caller AND (started_at, uuid) < (@startedAt, @uuid)
    ORDER BY started_at DESC, uuid DESC LIMIT 1),
  (SELECT started_at FROM calls WHERE caller = @caller AND campaign IS @campaign AND (started_at, uuid) < (@startedAt, @uuid)
    ORDER BY started_at DESC, uuid DESC LIMIT 1)`;

/** One row per hour, campaign and number: the rollup's whole hours, and the edges' calls one by one. */
const BUCKETS = `
  WITH buckets AS (
    SELECT campaign_key, tracking_number, hour, call_count, answered_count, missed_count, talk_seconds,
      qualified_count, first_time_count, new_to_campaign_count
    FROM call_rollup WHERE hour >= @fullFrom AND hour < @fullTo
    UNION ALL
    SELECT coalesce('c:' || campaign, ''), coalesce(tracking_number, ''), started_at / ${HOUR_MS}, 1,
      outcome = 'answered', outcome = 'missed', iif(outcome = 'answered', coalesce(duration_seconds, 0), 0),
      outcome = 'answered' AND coalesce(duration_seconds, 0) >= @qualified,
      caller IS NOT NULL AND prev_any_at IS NULL, caller IS NOT NULL AND prev_campaign_at IS NULL
    FROM calls WHERE (started_at >= @headFrom AND started_at < @headTo) OR (started_at >= @tailFrom AND started_at < @tailTo)
  )`;

interface BucketParams {
  fullFrom: number;
  fullTo: number;
  headFrom: number;
  headTo: number;
  tailFrom: number;
  tailTo: number;
  qualified: number;
}

/** Splits [since, until) into whole hours and the partial hours before and after them. */
function bucketParams(range: TimeRange, qualified: number): BucketParams {
  const since = range.since.getTime();
  const until = range.until.getTime();
  const fullFrom = Math.ceil(since / HOUR_MS);
  const fullTo = Math.floor(until / HOUR_MS);
  if (fullFrom >= fullTo) return { fullFrom: 0, fullTo: 0, headFrom: since, headTo: until, tailFrom: 0, tailTo: 0, qualified };
  return { fullFrom, fullTo, headFrom: since, headTo: fullFrom * HOUR_MS, tailFrom: fullTo * HOUR_MS, tailTo: until, qualified };
}

const campaignOfKey = (key: string): string | null => (key === '' ? null : key.slice(2));

interface CampaignRow {
  campaignKey: string;
  trackingNumbers: string | null;
  calls: number;
  answered: number;
  missed: number;
  totalDurationSeconds: number;
  qualifiedCalls: number;
  firstTimeCallers: number;
  newToCampaign: number;
}

export class SqliteReports {
  readonly #statements;
  readonly #rebuildQualified: (seconds: number) => void;

  constructor(db: Database.Database) {
    this.#statements = {
      campaigns: db.prepare<BucketParams, CampaignRow>(`${BUCKETS}
        SELECT campaign_key AS campaignKey, group_concat(DISTINCT nullif(tracking_number, '')) AS trackingNumbers,
          sum(call_count) AS calls, sum(answered_count) AS answered, sum(missed_count) AS missed,
          sum(talk_seconds) AS totalDurationSeconds, sum(qualified_count) AS qualifiedCalls,
          sum(first_time_count) AS firstTimeCallers, sum(new_to_campaign_count) AS newToCampaign
        FROM buckets GROUP BY campaign_key HAVING sum(call_count) > 0`),
      firstTimeCallers: db.prepare<BucketParams, number>(`${BUCKETS} SELECT coalesce(sum(first_time_count), 0) FROM buckets`).pluck(),
      // Calls in the range whose caller called before the range too: each is a distinct caller
      // that the "new" counts of the rollup leave out (calls_returning covers this query).
      returningToCampaign: db.prepare<{ since: number; until: number }, { campaignKey: string; callers: number }>(`
        SELECT coalesce('c:' || campaign, '') AS campaignKey, count(*) AS callers FROM calls
        WHERE prev_any_at IS NOT NULL AND started_at >= @since AND started_at < @until AND prev_campaign_at < @since
        GROUP BY 1`),
      returning: db.prepare<{ since: number; until: number }, number>(`
        SELECT count(*) FROM calls
        WHERE prev_any_at IS NOT NULL AND started_at >= @since AND started_at < @until AND prev_any_at < @since`).pluck(),
      earliestCall: db.prepare<[], number | null>('SELECT min(started_at) FROM calls').pluck(),
      daily: db.prepare<BucketParams, { dayNumber: number; campaignKey: string; calls: number; answered: number; missed: number }>(`${BUCKETS}
        SELECT hour / 24 AS dayNumber, campaign_key AS campaignKey,
          sum(call_count) AS calls, sum(answered_count) AS answered, sum(missed_count) AS missed
        FROM buckets GROUP BY 1, 2 HAVING sum(call_count) > 0`),
      hourOfWeek: db.prepare<BucketParams, { hourOfWeek: number; calls: number }>(`${BUCKETS}
        SELECT hour % 168 AS hourOfWeek, sum(call_count) AS calls FROM buckets GROUP BY 1`),
      qualifiedThreshold: db.prepare<[], number>('SELECT qualified_call_seconds FROM report_settings').pluck(),
    };
    this.#rebuildQualified = db.transaction((seconds: number) => {
      db.prepare('UPDATE report_settings SET qualified_call_seconds = ?').run(seconds);
      db.prepare('UPDATE call_rollup SET qualified_count = 0').run();
      db.prepare(`
        INSERT INTO call_rollup
        SELECT coalesce('c:' || campaign, ''), coalesce(tracking_number, ''), started_at / ${HOUR_MS}, 0, 0, 0, 0, count(*), 0, 0
        FROM calls WHERE outcome = 'answered' AND coalesce(duration_seconds, 0) >= ? GROUP BY 1, 2, 3
        ON CONFLICT DO UPDATE SET qualified_count = excluded.qualified_count`).run(seconds);
    });
  }

  /** True when no call started before the range: no caller in it can have called before. */
  #startsAfterEveryCall(range: TimeRange): boolean {
    const earliest = this.#statements.earliestCall.get();
    return earliest === null || earliest === undefined || range.since.getTime() <= earliest;
  }

  campaignTotals(options: ReportOptions): CampaignTotals[] {
    // The rollup counts qualified calls at one threshold; a report asking another recounts once.
    if (this.#statements.qualifiedThreshold.get() !== options.qualifiedCallSeconds) {
      this.#rebuildQualified(options.qualifiedCallSeconds);
    }
    const rows = this.#statements.campaigns.all(bucketParams(options, options.qualifiedCallSeconds));
    const returning = new Map<string, number>();
    if (!this.#startsAfterEveryCall(options)) {
      const range = { since: options.since.getTime(), until: options.until.getTime() };
      for (const row of this.#statements.returningToCampaign.all(range)) returning.set(row.campaignKey, row.callers);
    }
    return rows.map((row) => ({
      campaign: campaignOfKey(row.campaignKey),
      trackingNumbers: row.trackingNumbers ? row.trackingNumbers.split(',').sort() : [],
      calls: row.calls,
      uniqueCallers: row.newToCampaign + (returning.get(row.campaignKey) ?? 0),
      firstTimeCallers: row.firstTimeCallers,
      answered: row.answered,
      missed: row.missed,
      totalDurationSeconds: row.totalDurationSeconds,
      qualifiedCalls: row.qualifiedCalls,
    }));
  }

  countDistinctCallers(range: TimeRange): number {
    const firstTime = this.#statements.firstTimeCallers.get(bucketParams(range, 0)) ?? 0;
    if (this.#startsAfterEveryCall(range)) return firstTime;
    return firstTime + (this.#statements.returning.get({ since: range.since.getTime(), until: range.until.getTime() }) ?? 0);
  }

  dailyCounts(range: TimeRange): DailyCounts[] {
    return this.#statements.daily.all(bucketParams(range, 0)).map((row) => ({
      day: new Date(row.dayNumber * DAY_MS).toISOString().slice(0, 10),
      campaign: campaignOfKey(row.campaignKey),
      calls: row.calls,
      answered: row.answered,
      missed: row.missed,
    }));
  }

  hourOfWeekCounts(range: TimeRange): number[][] {
    const grid = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
    for (const row of this.#statements.hourOfWeek.all(bucketParams(range, 0))) {
      const dayOfWeek = (Math.floor(row.hourOfWeek / 24) + EPOCH_DAY_OF_WEEK) % 7;
      grid[dayOfWeek]![row.hourOfWeek % 24] = row.calls;
    }
    return grid;
  }
}
