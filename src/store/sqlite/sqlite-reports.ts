// The SQLite store's report buckets: kept up to date inside the store's write transactions
// (SqliteBucketWriter) and read by the reports (SqliteReports). What a call adds to its bucket
// is report-figures.ts's contributionOf; nothing here says what a figure counts.

import type Database from 'better-sqlite3';
import {
  BucketDeltas, FIGURES, HISTORY_FIELDS, SLOT_MS, type CallHistory, type HistoriedCall,
} from '../../domain/report-figures.js';
import {
  ADD_ON_CONFLICT, BUCKET_KEY_COLUMNS, bucketSumRowToSum, bucketSumSql, campaignKey, destinationKey, FIGURE_COLUMNS, numberKey,
  returningCallersSql, returningRowsToCallers, sourceKey, type ReturningRow,
} from '../bucket-sql.js';
import type { BucketSum, BucketSumQuery, ReportReader, ReportStore, ReturningCallers, TimeRange } from '../report-store.js';
import { HISTORIED_CALL_COLUMNS, historiedCallRowToCall, type HistoriedCallRow } from '../sql-rows.js';

/** The threshold buckets are built at when a database is first opened; reports asking another rebuild. */
const INITIAL_QUALIFIED_SECONDS = 60;

/** A call being inserted: its report columns, and its uuid for the (started_at, uuid) order. */
export type InsertedCall = HistoriedCall & { uuid: string };
type HistoryChange = Partial<CallHistory>;

type Named = Record<string, unknown>;
type Neighbour = { uuid: string; startedAt: number };

/** Named parameters (@p0, @p1, …) for the shared SQL of bucket-sql.ts. */
function namedParams(): { param: (value: unknown) => string; values: Named } {
  const values: Named = {};
  let count = 0;
  return {
    values,
    param: (value) => {
      const name = `p${count++}`;
      values[name] = value;
      return `@${name}`;
    },
  };
}

export class SqliteBucketWriter {
  readonly #statements;

  constructor(db: Database.Database) {
    const previousWhere = 'caller = @caller AND (started_at, uuid) < (@startedAt, @uuid)';
    const nextWhere = 'caller = @caller AND (started_at, uuid) > (@startedAt, @uuid)';
    this.#statements = {
      qualifiedThreshold: db.prepare<[], number | null>('SELECT qualified_call_seconds FROM report_bucket_settings').pluck(),
      // calls_by_caller answers each with one index search; the caller's previous call is most
      // often in the same campaign and on the same number, so the narrower ones are seldom run.
      previousCall: db.prepare<Named, { uuid: string; startedAt: number; campaign: string | null; trackingNumber: string | null }>(`
        SELECT uuid, started_at AS startedAt, campaign, tracking_number AS trackingNumber FROM calls WHERE ${previousWhere}
        ORDER BY started_at DESC, uuid DESC LIMIT 1`),
      previousInCampaign: db.prepare<Named, Neighbour>(`
        SELECT uuid, started_at AS startedAt FROM calls WHERE ${previousWhere} AND campaign IS @campaign
        ORDER BY started_at DESC, uuid DESC LIMIT 1`),
      previousOnNumber: db.prepare<Named, Neighbour>(`
        SELECT uuid, started_at AS startedAt FROM calls WHERE ${previousWhere} AND campaign IS @campaign AND tracking_number IS @trackingNumber
        ORDER BY started_at DESC, uuid DESC LIMIT 1`),
      // calls_by_time answers this from the end of the index.
      latestStart: db.prepare<[], number | null>('SELECT max(started_at) FROM calls').pluck(),
      // The call right after a call among its caller's calls: to any number, in its campaign,
      // on its number in that campaign.
      nextCall: db.prepare<Named, { uuid: string; campaign: string | null; trackingNumber: string | null }>(`
        SELECT uuid, campaign, tracking_number AS trackingNumber FROM calls WHERE ${nextWhere} ORDER BY started_at, uuid LIMIT 1`),
      nextInCampaign: db.prepare<Named, string>(`
        SELECT uuid FROM calls WHERE ${nextWhere} AND campaign IS @campaign ORDER BY started_at, uuid LIMIT 1`).pluck(),
      nextOnNumber: db.prepare<Named, string>(`
        SELECT uuid FROM calls WHERE ${nextWhere} AND campaign IS @campaign AND tracking_number IS @trackingNumber
        ORDER BY started_at, uuid LIMIT 1`).pluck(),
      historiedCall: db.prepare<[uuid: string], HistoriedCallRow>(`SELECT ${HISTORIED_CALL_COLUMNS} FROM calls WHERE uuid = ?`),
      setHistory: db.prepare<Named>(`
        UPDATE calls SET prev_any_at = @prevAnyAt, prev_campaign_at = @prevCampaignAt, prev_number_at = @prevNumberAt,
          has_next_any = @hasNextAny, has_next_campaign = @hasNextCampaign, has_next_number = @hasNextNumber
        WHERE uuid = @uuid`),
      add: db.prepare<unknown[]>(`
        INSERT INTO report_buckets (${[...BUCKET_KEY_COLUMNS, ...FIGURE_COLUMNS].join(', ')})
        VALUES (${[...BUCKET_KEY_COLUMNS, ...FIGURE_COLUMNS].map(() => '?').join(', ')}) ${ADD_ON_CONFLICT}`),
    };
  }

  /** Collects bucket changes at the threshold the buckets count at; `apply` them in the same transaction. */
  deltas(): BucketDeltas {
    return new BucketDeltas(this.#statements.qualifiedThreshold.get() ?? INITIAL_QUALIFIED_SECONDS);
  }

  apply(deltas: BucketDeltas): void {
    for (const { key, figures } of deltas.nonZero()) {
      this.#statements.add.run(
        key.width, key.slot, campaignKey(key.campaign), numberKey(key.trackingNumber), destinationKey(key.destination),
        sourceKey(key.source, key.medium), ...FIGURES.map((figure) => figures[figure]),
      );
    }
  }

  /**
   * Inserts a batch of calls, inside the caller's transaction: sets each call's previous call
   * times, hands it to `insert` (true when its row was new, false when its uuid was stored
   * already), adds the new ones to their buckets, marks their previous calls as followed, and
   * links the calls that now follow one of them. Returns the new calls.
   */
  insertBatch<T extends InsertedCall>(calls: readonly T[], insert: (call: T) => boolean): T[] {
    const latestBefore = this.#statements.latestStart.get() ?? null;
    const deltas = this.deltas();
    const inserted: T[] = [];
    for (const call of calls) {
      const previous = this.#findPreviousCalls(call);
      if (!insert(call)) continue;
      inserted.push(call);
      deltas.add(call, 1);
      for (const [uuid, change] of previous) this.#amend(uuid, change, deltas);
    }
    this.#followInserted(inserted, latestBefore, deltas);
    this.apply(deltas);
    return inserted;
  }

  /** Sets the call's previous call times; returns what its previous calls learn: that it follows them. */
  #findPreviousCalls(call: InsertedCall): Map<string, HistoryChange> {
    const followed = new Map<string, HistoryChange>();
    if (call.caller === null) return followed;
    const key = { caller: call.caller, startedAt: call.startedAt, uuid: call.uuid, campaign: call.campaign, trackingNumber: call.trackingNumber };
    const previous = this.#statements.previousCall.get(key);
    if (!previous) return followed;
    const sameCampaign = previous.campaign === call.campaign;
    const inCampaign = sameCampaign ? previous : this.#statements.previousInCampaign.get(key);
    const onNumber = sameCampaign && previous.trackingNumber === call.trackingNumber
      ? previous
      : inCampaign === undefined ? undefined : this.#statements.previousOnNumber.get(key);
    call.prevAnyAt = previous.startedAt;
    call.prevCampaignAt = inCampaign?.startedAt ?? null;
    call.prevNumberAt = onNumber?.startedAt ?? null;
    const follow = (neighbour: Neighbour | undefined, change: HistoryChange) => {
      if (neighbour) followed.set(neighbour.uuid, { ...followed.get(neighbour.uuid), ...change });
    };
    follow(previous, { hasNextAny: true });
    follow(inCampaign, { hasNextCampaign: true });
    follow(onNumber, { hasNextNumber: true });
    return followed;
  }

  /**
   * A new call that is not its caller's latest (an import, a late webhook) comes between a later
   * call and that call's previous one, in each of the three senses: the later call gets new
   * previous times, and the new call is followed. Fixing them after the whole batch is in gives
   * every call its true neighbours, whatever the order within the batch. Live calls start after
   * everything stored before them, and only the latest of a caller's calls in the batch can be
   * followed by none: such calls need no search.
   */
  #followInserted(calls: readonly InsertedCall[], latestBefore: number | null, deltas: BucketDeltas): void {
    const latestOfCaller = new Map<string, InsertedCall>();
    for (const call of calls) {
      if (call.caller === null) continue;
      const latest = latestOfCaller.get(call.caller);
      if (!latest || compareCallOrder(call, latest) > 0) latestOfCaller.set(call.caller, call);
    }
    for (const call of calls) {
      if (call.caller === null) continue;
      if (latestOfCaller.get(call.caller) === call && (latestBefore === null || call.startedAt > latestBefore)) continue;
      const key = { caller: call.caller, startedAt: call.startedAt, uuid: call.uuid, campaign: call.campaign, trackingNumber: call.trackingNumber };
      // As with previous calls, the next call is most often next in the narrower senses too.
      const next = this.#statements.nextCall.get(key);
      if (!next) continue;
      const sameCampaign = next.campaign === call.campaign;
      const nextInCampaign = sameCampaign ? next.uuid : this.#statements.nextInCampaign.get(key);
      const nextOnNumber = sameCampaign && next.trackingNumber === call.trackingNumber
        ? next.uuid
        : nextInCampaign === undefined ? undefined : this.#statements.nextOnNumber.get(key);
      const changes = new Map<string, HistoryChange>([[call.uuid, {
        hasNextAny: true, hasNextCampaign: nextInCampaign !== undefined, hasNextNumber: nextOnNumber !== undefined,
      }]]);
      const follow = (uuid: string | undefined, change: HistoryChange) => {
        if (uuid !== undefined) changes.set(uuid, { ...changes.get(uuid), ...change });
      };
      follow(next.uuid, { prevAnyAt: call.startedAt });
      follow(nextInCampaign, { prevCampaignAt: call.startedAt });
      follow(nextOnNumber, { prevNumberAt: call.startedAt });
      for (const [uuid, change] of changes) this.#amend(uuid, change, deltas);
    }
  }

  /** Changes a stored call's links to its neighbours, and its buckets by the difference. */
  #amend(uuid: string, change: HistoryChange, deltas: BucketDeltas): void {
    const before = historiedCallRowToCall(this.#statements.historiedCall.get(uuid)!);
    const after = { ...before, ...change };
    if (HISTORY_FIELDS.every((field) => after[field] === before[field])) return;
    this.#statements.setHistory.run({
      uuid, prevAnyAt: after.prevAnyAt, prevCampaignAt: after.prevCampaignAt, prevNumberAt: after.prevNumberAt,
      hasNextAny: Number(after.hasNextAny), hasNextCampaign: Number(after.hasNextCampaign), hasNextNumber: Number(after.hasNextNumber),
    });
    deltas.change(before, after);
  }
}

/** The (started_at, uuid) order every store uses to tell which call came first. */
function compareCallOrder(a: InsertedCall, b: InsertedCall): number {
  if (a.startedAt !== b.startedAt) return a.startedAt - b.startedAt;
  return a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0;
}

export class SqliteReports implements ReportStore, ReportReader {
  readonly #db: Database.Database;
  readonly #statements;
  readonly #rebuild: (seconds: number) => void;

  constructor(db: Database.Database, writer: SqliteBucketWriter) {
    this.#db = db;
    this.#statements = {
      qualifiedThreshold: db.prepare<[], number | null>('SELECT qualified_call_seconds FROM report_bucket_settings').pluck(),
      callsInRange: db.prepare<{ since: number; until: number }, HistoriedCallRow>(`
        SELECT ${HISTORIED_CALL_COLUMNS} FROM calls WHERE started_at >= @since AND started_at < @until`),
      allCalls: db.prepare<[], HistoriedCallRow>(`SELECT ${HISTORIED_CALL_COLUMNS} FROM calls`),
      // One subquery per bound: SQLite answers a lone min() or max() from the end of an index
      // (calls_by_time, the buckets' primary key) but scans the whole table for both in one SELECT.
      // The buckets count too: retention deletes old calls but keeps their buckets (the narrowest,
      // width 1, span every slot that had calls). SQLite's min() and max() of NULL are NULL.
      span: db.prepare<{ slotMs: number }, { earliest: number | null; latest: number | null }>(`
        SELECT min(coalesce(c.earliest, b.earliest), coalesce(b.earliest, c.earliest)) AS earliest,
          max(coalesce(c.latest, b.latest), coalesce(b.latest, c.latest)) AS latest
        FROM (SELECT (SELECT min(started_at) FROM calls) AS earliest, (SELECT max(started_at) FROM calls) AS latest) AS c,
          (SELECT (SELECT min(slot) FROM report_buckets WHERE width = 1) * @slotMs AS earliest,
            ((SELECT max(slot) FROM report_buckets WHERE width = 1) + 1) * @slotMs - 1 AS latest) AS b`),
    };
    // Every bucket again from the calls, through the same contributions as the writes.
    this.#rebuild = db.transaction((seconds: number) => {
      db.prepare('UPDATE report_bucket_settings SET qualified_call_seconds = ?').run(seconds);
      db.prepare('DELETE FROM report_buckets').run();
      const deltas = writer.deltas();
      for (const row of this.#statements.allCalls.iterate()) deltas.add(historiedCallRowToCall(row), 1);
      writer.apply(deltas);
    });
    if (this.#statements.qualifiedThreshold.get() === null) this.#rebuild(INITIAL_QUALIFIED_SECONDS);
  }

  async useQualifiedThreshold(seconds: number): Promise<void> {
    if (this.#statements.qualifiedThreshold.get() !== seconds) this.#rebuild(seconds);
  }

  /** Every bucket again from the calls, at the threshold they count at (after a bulk load); in the caller's transaction, if any. */
  rebuildBuckets(): void {
    this.#rebuild(this.#statements.qualifiedThreshold.get() ?? INITIAL_QUALIFIED_SECONDS);
  }

  // Each read is one statement on the process's one connection, answered at once; they are not
  // held in one transaction across the report's awaits.
  async read<T>(work: (reader: ReportReader) => Promise<T>): Promise<T> {
    return work(this);
  }

  async sumBuckets(query: BucketSumQuery): Promise<BucketSum[]> {
    return this.#db.prepare<[], Parameters<typeof bucketSumRowToSum>[0]>(bucketSumSql(query)).all().map(bucketSumRowToSum);
  }

  async callsWithHistory(range: TimeRange): Promise<HistoriedCall[]> {
    return this.#statements.callsInRange.all({ since: range.since.getTime(), until: range.until.getTime() }).map(historiedCallRowToCall);
  }

  async returningCallers(range: TimeRange, previousBefore: Date): Promise<ReturningCallers> {
    const { param, values } = namedParams();
    const sql = returningCallersSql({ since: range.since.getTime(), until: range.until.getTime(), before: previousBefore.getTime() }, param);
    return returningRowsToCallers(this.#db.prepare<Named, ReturningRow>(sql).all(values));
  }

  async callSpan(): Promise<TimeRange | null> {
    const span = this.#statements.span.get({ slotMs: SLOT_MS });
    if (!span || span.earliest === null || span.latest === null) return null;
    return { since: new Date(span.earliest), until: new Date(span.latest + 1) };
  }
}
