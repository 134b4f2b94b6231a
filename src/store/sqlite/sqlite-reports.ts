// The SQLite store's reports, answered from an hourly rollup (migration 2) instead of a scan of
// every call: whole hours come from call_rollup, the partial hours at either end of a range from
// the calls themselves. Figures stay exact. Also the upkeep of that rollup as calls are inserted.

import type Database from 'better-sqlite3';
import type { CampaignTotals, DailyCounts, ReportOptions, TimeRange } from '../call-store.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** 1970-01-01, day 0 of the epoch, was a Thursday. */
const EPOCH_DAY_OF_WEEK = 4;

/**
 * A call just inserted, with its report columns as they were stored: when its caller last called
 * before it, to any number and to its campaign.
 */
export interface InsertedCall {
  uuid: string;
  caller: string | null;
  campaign: string | null;
  trackingNumber: string | null;
  startedAt: number;
  outcome: string;
  durationSeconds: number | null;
  prevAnyAt: number | null;
  prevCampaignAt: number | null;
}

interface RollupDelta {
  campaignKey: string;
  trackingNumber: string;
  hour: number;
  calls: number;
  answered: number;
  missed: number;
  talkSeconds: number;
  qualified: number;
  firstTime: number;
  newToCampaign: number;
}

/**
 * Keeps call_rollup and the previous call times right as the store inserts calls, inside its
 * write transaction. Updates of calls (lifecycle, previous call times) are rolled up by the
 * calls_update_reports trigger. Inserts have no trigger (nor RETURNING, which SQLite runs as
 * one): either makes SQLite keep a statement journal per insert, which doubled its cost.
 */
export class CallRollupWriter {
  readonly #statements;

  constructor(db: Database.Database) {
    this.#statements = {
      qualifiedThreshold: db.prepare<[], number>('SELECT qualified_call_seconds FROM report_settings').pluck(),
      // "Previous" and "next" in the (started_at, uuid) order every store uses to tell which
      // call came first; calls_by_caller answers each with one index search. The campaign's
      // previous call is most often the caller's previous call, so it is looked for second.
      previousCall: db.prepare<[caller: string, startedAt: number, uuid: string], { startedAt: number; campaign: string | null }>(`
        SELECT started_at AS startedAt, campaign FROM calls WHERE caller = ? AND (started_at, uuid) < (?, ?)
        ORDER BY started_at DESC, uuid DESC LIMIT 1`),
      previousInCampaign: db.prepare<[caller: string, startedAt: number, uuid: string, campaign: string | null], number>(`
        SELECT started_at FROM calls WHERE caller = ? AND (started_at, uuid) < (?, ?) AND campaign IS ?
        ORDER BY started_at DESC, uuid DESC LIMIT 1`).pluck(),
      // calls_by_time answers this from the end of the index.
      latestStart: db.prepare<[], number | null>('SELECT max(started_at) FROM calls').pluck(),
      hasLaterCall: db.prepare<{ caller: string; startedAt: number; uuid: string }, number>(`
        SELECT 1 FROM calls WHERE caller = @caller AND (started_at, uuid) > (@startedAt, @uuid) LIMIT 1`).pluck(),
      add: db.prepare<RollupDelta>(`
        INSERT INTO call_rollup VALUES (@campaignKey, @trackingNumber, @hour, @calls, @answered, @missed, @talkSeconds,
          @qualified, @firstTime, @newToCampaign)
        ON CONFLICT DO UPDATE SET
          call_count = call_count + excluded.call_count,
          answered_count = answered_count + excluded.answered_count,
          missed_count = missed_count + excluded.missed_count,
          talk_seconds = talk_seconds + excluded.talk_seconds,
          qualified_count = qualified_count + excluded.qualified_count,
          first_time_count = first_time_count + excluded.first_time_count,
          new_to_campaign_count = new_to_campaign_count + excluded.new_to_campaign_count`),
      // A new call that is not its caller's latest (an import, a late webhook) comes between
      // the next call and that call's previous one: the next call's previous time moves to it,
      // and the update trigger moves the next call's counts.
      followAny: db.prepare<{ caller: string; startedAt: number; uuid: string }>(`
        UPDATE calls SET prev_any_at = @startedAt WHERE uuid = (
          SELECT uuid FROM calls WHERE caller = @caller AND (started_at, uuid) > (@startedAt, @uuid)
          ORDER BY started_at, uuid LIMIT 1)`),
      followInCampaign: db.prepare<{ caller: string; campaign: string | null; startedAt: number; uuid: string }>(`
        UPDATE calls SET prev_campaign_at = @startedAt WHERE uuid = (
          SELECT uuid FROM calls WHERE caller = @caller AND (started_at, uuid) > (@startedAt, @uuid) AND campaign IS @campaign
          ORDER BY started_at, uuid LIMIT 1)`),
    };
  }

  /**
   * Inserts a batch of calls, inside the caller's transaction: sets each call's prevAnyAt and
   * prevCampaignAt, hands it to `insert` (true when its row was new, false when its uuid was
   * stored already), then rolls up the new ones. Returns the new calls, whose rollup rows now
   * exist: only then may the update trigger adjust them.
   */
  insertBatch<T extends InsertedCall>(calls: readonly T[], insert: (call: T) => boolean): T[] {
    const latestBefore = this.#statements.latestStart.get() ?? null;
    const inserted: T[] = [];
    for (const call of calls) {
      this.#findPreviousCalls(call);
      if (insert(call)) inserted.push(call);
    }
    this.#addInserted(inserted, latestBefore);
    return inserted;
  }

  /** Sets a new call's prevAnyAt and prevCampaignAt, the values of its report columns. */
  #findPreviousCalls(call: InsertedCall): void {
    if (call.caller === null) return;
    const previous = this.#statements.previousCall.get(call.caller, call.startedAt, call.uuid);
    if (!previous) return;
    call.prevAnyAt = previous.startedAt;
    call.prevCampaignAt = previous.campaign === call.campaign
      ? previous.startedAt
      : this.#statements.previousInCampaign.get(call.caller, call.startedAt, call.uuid, call.campaign) ?? null;
  }

  /** Rolls up a batch's new calls; `latestBefore` is when the latest call before the batch started. */
  #addInserted(calls: readonly InsertedCall[], latestBefore: number | null): void {
    if (calls.length === 0) return;
    const qualifiedSeconds = this.#statements.qualifiedThreshold.get() ?? 0;
    const deltas = new Map<string, RollupDelta>();
    for (const call of calls) {
      const campaignKey = call.campaign === null ? '' : `c:${call.campaign}`;
      const trackingNumber = call.trackingNumber ?? '';
      // Truncated like SQLite's integer division, which the edges and the update trigger use.
      const hour = Math.trunc(call.startedAt / HOUR_MS);
      // Campaigns and numbers hold no NUL: the three parts joined by it key one rollup row.
      const key = `${campaignKey}\0${trackingNumber}\0${hour}`;
      let delta = deltas.get(key);
      if (!delta) {
        delta = { campaignKey, trackingNumber, hour, calls: 0, answered: 0, missed: 0, talkSeconds: 0, qualified: 0, firstTime: 0, newToCampaign: 0 };
        deltas.set(key, delta);
      }
      const answered = call.outcome === 'answered';
      delta.calls += 1;
      if (answered) delta.answered += 1;
      if (call.outcome === 'missed') delta.missed += 1;
      if (answered) delta.talkSeconds += call.durationSeconds ?? 0;
      if (answered && (call.durationSeconds ?? 0) >= qualifiedSeconds) delta.qualified += 1;
      if (call.caller !== null && call.prevAnyAt === null) delta.firstTime += 1;
      if (call.caller !== null && call.prevCampaignAt === null) delta.newToCampaign += 1;
    }
    for (const delta of deltas.values()) this.#statements.add.run(delta);
    // Each new call is the immediate predecessor of at most one later call; fixing them after
    // the whole batch is in place gives every call its true predecessor, whatever the order.
    // Live calls start after everything stored before them, and only the latest of a caller's
    // calls in the batch can be followed by none: such calls need no search for a later call.
    const latestOfCaller = new Map<string, InsertedCall>();
    for (const call of calls) {
      if (call.caller === null) continue;
      const latest = latestOfCaller.get(call.caller);
      if (!latest || compareCallOrder(call, latest) > 0) latestOfCaller.set(call.caller, call);
    }
    for (const call of calls) {
      if (call.caller === null) continue;
      const newest = latestOfCaller.get(call.caller) === call && (latestBefore === null || call.startedAt > latestBefore);
      if (newest) continue;
      const key = { caller: call.caller, startedAt: call.startedAt, uuid: call.uuid };
      if (this.#statements.hasLaterCall.get(key) === undefined) continue;
      this.#statements.followAny.run(key);
      this.#statements.followInCampaign.run({ ...key, campaign: call.campaign });
    }
  }
}

/** The (started_at, uuid) order every store uses to tell which call came first. */
function compareCallOrder(a: InsertedCall, b: InsertedCall): number {
  if (a.startedAt !== b.startedAt) return a.startedAt - b.startedAt;
  return a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0;
}

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
  #noCallBefore(range: TimeRange): boolean {
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
    if (!this.#noCallBefore(options)) {
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
    if (this.#noCallBefore(range)) return firstTime;
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
