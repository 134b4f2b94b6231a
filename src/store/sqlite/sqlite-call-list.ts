// Pages of stored calls, newest first, for the API, the dashboard and the CSV export.
//
// calls_by_time answers every listing. A listing of one tracking number or campaign does not
// get an index of its own on calls: with one insertion point per campaign and per number, two
// such indexes dirtied ~40 more pages per batch of answer webhooks and cost ~10 µs of the
// ~29 µs an insert took (migration 4). Instead call_rollup, which has a row for every hour a
// number or campaign received calls, says which hours to read, and only those hours are read,
// newest first, until the page is full.

import type Database from 'better-sqlite3';
import type { CallPage, CallQuery } from '../call-store.js';
import { callRowToCall, type CallRow } from './call-rows.js';

const HOUR_MS = 3_600_000;
/** Hours fetched from the rollup at a time; a page seldom needs more. */
const HOURS_PER_FETCH = 256;

/**
 * The start times a rollup hour holds: those whose started_at / 3600000, truncated towards zero
 * as SQLite's integer division does, equals `hour` ([lowest, end) in milliseconds).
 */
function hourSpan(hour: number): { lowest: number; end: number } {
  if (hour > 0) return { lowest: hour * HOUR_MS, end: (hour + 1) * HOUR_MS };
  if (hour === 0) return { lowest: -HOUR_MS + 1, end: HOUR_MS };
  return { lowest: (hour - 1) * HOUR_MS + 1, end: hour * HOUR_MS + 1 };
}

const hourOf = (ms: number) => Math.trunc(ms / HOUR_MS);

export class SqliteCallList {
  constructor(private readonly db: Database.Database) {}

  page(query: CallQuery): CallPage {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    if (query.trackingNumber !== undefined) {
      where.push('tracking_number = @trackingNumber');
      params.trackingNumber = query.trackingNumber;
    }
    if (query.campaign === null) where.push('campaign IS NULL');
    else if (query.campaign !== undefined) {
      where.push('campaign = @campaign');
      params.campaign = query.campaign;
    }
    if (query.since) {
      where.push('started_at >= @since');
      params.since = query.since.getTime();
    }
    if (query.until) {
      where.push('started_at < @until');
      params.until = query.until.getTime();
    }
    if (query.cursor) {
      where.push('(started_at, uuid) < (@cursorTime, @cursorUuid)');
      params.cursorTime = query.cursor.startedAt.getTime();
      params.cursorUuid = query.cursor.uuid;
    }
    const wanted = query.limit + 1;
    const rows = query.trackingNumber === undefined && query.campaign === undefined
      ? this.#newest(where, params, wanted)
      : this.#newestByHour(query, where, params, wanted);
    const calls = rows.slice(0, query.limit).map(callRowToCall);
    const last = calls[calls.length - 1];
    const nextCursor = rows.length > query.limit && last ? { startedAt: last.startedAt, uuid: last.uuid } : null;
    return { calls, nextCursor };
  }

  #newest(where: string[], params: Record<string, unknown>, wanted: number): CallRow[] {
    const sql = `SELECT * FROM calls ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY started_at DESC, uuid DESC LIMIT @limit`;
    return this.db.prepare<Record<string, unknown>, CallRow>(sql).all({ ...params, limit: wanted });
  }

  /** Reads the hours the rollup holds calls of the number or campaign in, newest first. */
  #newestByHour(query: CallQuery, where: string[], params: Record<string, unknown>, wanted: number): CallRow[] {
    const rollupWhere = ['call_count > 0', 'hour <= @toHour'];
    const rollupParams: Record<string, unknown> = { limit: HOURS_PER_FETCH };
    if (query.trackingNumber !== undefined) {
      rollupWhere.push('tracking_number = @trackingNumber');
      rollupParams.trackingNumber = query.trackingNumber;
    }
    if (query.campaign !== undefined) {
      rollupWhere.push('campaign_key = @campaignKey');
      rollupParams.campaignKey = query.campaign === null ? '' : `c:${query.campaign}`;
    }
    // The bounds are one hour wide of the mark on purpose: the reads below apply the exact ones.
    if (query.since) {
      rollupWhere.push('hour >= @fromHour');
      rollupParams.fromHour = hourOf(query.since.getTime()) - 1;
    }
    const ends = [query.until?.getTime(), query.cursor?.startedAt.getTime()].filter((ms) => ms !== undefined);
    let toHour = ends.length ? hourOf(Math.min(...ends)) + 1 : Number.MAX_SAFE_INTEGER;

    const hours = this.db.prepare<Record<string, unknown>, number>(`
      SELECT DISTINCT hour FROM call_rollup WHERE ${rollupWhere.join(' AND ')}
      ORDER BY hour DESC LIMIT @limit`).pluck();
    const inHour = this.db.prepare<Record<string, unknown>, CallRow>(`
      SELECT * FROM calls WHERE started_at >= @lowest AND started_at < @end AND ${where.join(' AND ')}
      ORDER BY started_at DESC, uuid DESC LIMIT @limit`);
    const rows: CallRow[] = [];
    for (;;) {
      const batch = hours.all({ ...rollupParams, toHour });
      for (const hour of batch) {
        rows.push(...inHour.all({ ...params, ...hourSpan(hour), limit: wanted - rows.length }));
        if (rows.length >= wanted) return rows;
      }
      if (batch.length < HOURS_PER_FETCH) return rows;
      toHour = batch[batch.length - 1]! - 1;
    }
  }
}
