// Pages of stored calls, newest first, for the API, the dashboard and the CSV export.
//
// calls_by_time answers every listing. A listing of one tracking number or campaign does not
// get an index of its own on calls: with one insertion point per campaign and per number, two
// such indexes dirtied ~40 more pages per batch of answer webhooks (migration 4). Instead
// report_buckets, which has a row for every 15-minute slot a number or campaign received calls
// in, says which slots to read, and only those are read, newest first, until the page is full.

import type Database from 'better-sqlite3';
import type { CallPage, CallQuery } from '../call-store.js';
import { SLOT_MS, slotOf } from '../../domain/report-figures.js';
import { campaignKey, numberKey } from '../bucket-sql.js';
import { callRowToCall, type CallRow } from '../sql-rows.js';

/** Slots fetched from the buckets at a time; a page seldom needs more. */
const SLOTS_PER_FETCH = 256;

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
    if (query.outcome !== undefined) {
      where.push('outcome = @outcome');
      params.outcome = query.outcome;
    }
    if (query.caller !== undefined) {
      where.push('caller = @caller');
      params.caller = query.caller;
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
      : this.#newestBySlot(query, where, params, wanted);
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

  /** Reads the slots the buckets hold calls of the number or campaign in, newest first. */
  #newestBySlot(query: CallQuery, where: string[], params: Record<string, unknown>, wanted: number): CallRow[] {
    const bucketWhere = ['width = 1', 'calls > 0', 'slot <= @toSlot'];
    const bucketParams: Record<string, unknown> = { limit: SLOTS_PER_FETCH };
    if (query.trackingNumber !== undefined) {
      bucketWhere.push('number_key = @numberKey');
      bucketParams.numberKey = numberKey(query.trackingNumber);
    }
    if (query.campaign !== undefined) {
      bucketWhere.push('campaign_key = @campaignKey');
      bucketParams.campaignKey = campaignKey(query.campaign);
    }
    if (query.since) {
      bucketWhere.push('slot >= @fromSlot');
      bucketParams.fromSlot = slotOf(query.since.getTime());
    }
    const ends = [query.until?.getTime(), query.cursor?.startedAt.getTime()].filter((ms) => ms !== undefined);
    let toSlot = ends.length ? slotOf(Math.min(...ends)) : Number.MAX_SAFE_INTEGER;

    const slots = this.db.prepare<Record<string, unknown>, number>(`
      SELECT DISTINCT slot FROM report_buckets WHERE ${bucketWhere.join(' AND ')}
      ORDER BY slot DESC LIMIT @limit`).pluck();
    const inSlot = this.db.prepare<Record<string, unknown>, CallRow>(`
      SELECT * FROM calls WHERE started_at >= @lowest AND started_at < @end AND ${where.join(' AND ')}
      ORDER BY started_at DESC, uuid DESC LIMIT @limit`);
    const rows: CallRow[] = [];
    for (;;) {
      const batch = slots.all({ ...bucketParams, toSlot });
      for (const slot of batch) {
        rows.push(...inSlot.all({ ...params, lowest: slot * SLOT_MS, end: (slot + 1) * SLOT_MS, limit: wanted - rows.length }));
        if (rows.length >= wanted) return rows;
      }
      if (batch.length < SLOTS_PER_FETCH) return rows;
      toSlot = batch[batch.length - 1]! - 1;
    }
  }
}
