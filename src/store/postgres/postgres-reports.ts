// The PostgreSQL store's report buckets: the delta writes its transactions make, the rebuild
// when the qualified-call threshold changes, and the reads of the reports, which add to the
// buckets what the calls not yet counted would (report-rollup.ts). What a call adds to its
// bucket is report-figures.ts's contributionOf; nothing here says what a figure counts.
//
// Several instances write at once. Bucket deltas are added in SQL (x = x + excluded.x), so
// concurrent ones add up; every transaction that adds deltas first takes the settings row FOR
// SHARE, and a rebuild takes it FOR UPDATE, so no delta is counted at a threshold the buckets no
// longer count at, and none is lost to a rebuild.

import type pg from 'pg';
import { BucketDeltas, FIGURES, SLOT_MS, type BucketDelta, type HistoriedCall } from '../../domain/report-figures.js';
import {
  ADD_ON_CONFLICT, BUCKET_KEY_COLUMNS, bucketSumRowToSum, bucketSumSql, campaignKey, destinationKey, FIGURE_COLUMNS, numberKey,
  returningCallersSql, returningRowsToCallers, sourceKey, type ReturningRow,
} from '../bucket-sql.js';
import {
  addCallers, returningCallersAmong, timeGroupOf, type BucketSum, type BucketSumQuery, type ReportReader, type ReportStore,
  type ReturningCallers, type TimeRange,
} from '../report-store.js';
import { HISTORIED_CALL_COLUMNS, historiedCallRowToCall, type HistoriedCallRow } from '../sql-rows.js';
import { linkPending, type LinkedCalls, type Transaction } from './report-rollup.js';

/** The threshold buckets are built at when a database is first opened; reports asking another rebuild. */
export const INITIAL_QUALIFIED_SECONDS = 60;
/** Calls read per statement while rebuilding. */
const REBUILD_PAGE = 50_000;
/** Buckets written per statement. */
const WRITE_PAGE = 10_000;
/** Reports and rebuilds read many rows; they get longer than webhook writes before they are given up. */
export const REPORT_TIMEOUT_MS = 30_000;

type Queryable = pg.Pool | pg.PoolClient;

/** node-postgres honours a per-query `query_timeout`; its type declarations lack the field. */
export function withTimeout(config: pg.QueryConfig, timeoutMs: number): pg.QueryConfig {
  return Object.assign(config, { query_timeout: timeoutMs });
}

/** Positional parameters ($1, $2, …) for the shared SQL of bucket-sql.ts. */
function positionalParams(): { param: (value: unknown) => string; values: unknown[] } {
  const values: unknown[] = [];
  return { values, param: (value) => `$${values.push(value)}` };
}

const ADD_BUCKETS = `
  INSERT INTO report_buckets (${[...BUCKET_KEY_COLUMNS, ...FIGURE_COLUMNS].join(', ')})
  SELECT * FROM unnest($1::int[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
    ${FIGURE_COLUMNS.map((_, i) => `$${i + 7}::bigint[]`).join(', ')})
  ${ADD_ON_CONFLICT}`;

const BUCKET_THRESHOLD_READ_SQL = 'SELECT qualified_call_seconds AS seconds FROM report_bucket_settings';
/** Takes the settings row FOR SHARE (a rebuild at another threshold waits) and reads the threshold. */
export const BUCKET_THRESHOLD_SQL = `${BUCKET_THRESHOLD_READ_SQL} FOR SHARE`;

/** The threshold the buckets count qualified calls at; null before they are first built. `FOR UPDATE`: for a rebuild. */
export async function readThreshold(db: Queryable, lock: '' | 'FOR UPDATE' = ''): Promise<number | null> {
  const { rows } = await db.query<{ seconds: number | null }>(`${BUCKET_THRESHOLD_READ_SQL} ${lock}`);
  return rows[0]?.seconds ?? null;
}

/** An empty set of deltas at the threshold BUCKET_THRESHOLD_SQL read. */
export function deltasAtThreshold(rows: readonly { seconds: number | null }[]): BucketDeltas {
  return new BucketDeltas(rows[0]?.seconds ?? INITIAL_QUALIFIED_SECONDS);
}

/**
 * Starts the buckets' part of a transaction already begun: takes the settings row FOR SHARE and
 * returns an empty set of deltas at the threshold the buckets count at.
 */
export async function startDeltas(client: pg.PoolClient): Promise<BucketDeltas> {
  const { rows } = await client.query<{ seconds: number | null }>({ name: 'bucket-threshold', text: BUCKET_THRESHOLD_SQL });
  return deltasAtThreshold(rows);
}

/**
 * Adds the deltas to their buckets. Rows are written in key order, so two transactions adding
 * to the same buckets take their row locks in the same order and cannot deadlock.
 */
export async function applyDeltas(client: pg.PoolClient, deltas: BucketDeltas): Promise<void> {
  const rows = deltas.nonZero()
    .map(({ key, figures }) => ({
      key, figures, campaignKey: campaignKey(key.campaign), numberKey: numberKey(key.trackingNumber),
      destinationKey: destinationKey(key.destination), sourceKey: sourceKey(key.source, key.medium),
    }))
    .sort((a, b) => a.key.width - b.key.width || a.key.slot - b.key.slot || compareText(a.campaignKey, b.campaignKey)
      || compareText(a.numberKey, b.numberKey) || compareText(a.destinationKey, b.destinationKey) || compareText(a.sourceKey, b.sourceKey));
  for (let start = 0; start < rows.length; start += WRITE_PAGE) {
    const page = rows.slice(start, start + WRITE_PAGE);
    await client.query(withTimeout({
      name: 'add-buckets',
      text: ADD_BUCKETS,
      values: [
        page.map((r) => r.key.width), page.map((r) => r.key.slot), page.map((r) => r.campaignKey), page.map((r) => r.numberKey),
        page.map((r) => r.destinationKey), page.map((r) => r.sourceKey),
        ...FIGURES.map((figure) => page.map((r) => r.figures[figure])),
      ],
    }, REPORT_TIMEOUT_MS));
  }
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Every bucket again from the calls counted so far, through the same contributions as the
 * rollup, counting qualified calls at `seconds`; the pending ones it leaves to the rollup. In
 * `client`'s transaction, which holds the settings row FOR UPDATE: no rollup, lifecycle or
 * recording change runs meanwhile, so the counted calls stand still.
 */
export async function rebuildBuckets(client: pg.PoolClient, seconds: number): Promise<void> {
  await client.query('DELETE FROM report_buckets');
  const deltas = new BucketDeltas(seconds);
  let after: { startedAt: Date; uuid: string } | null = null;
  for (;;) {
    const page: pg.QueryResult<HistoriedCallRow & { uuid: string; started_at: Date }> = await client.query(withTimeout({
      text: `SELECT uuid, ${HISTORIED_CALL_COLUMNS} FROM calls
        WHERE ${after ? '(started_at, uuid) > ($2, $3) AND' : ''} NOT EXISTS (SELECT 1 FROM report_pending p WHERE p.uuid = calls.uuid)
        ORDER BY started_at, uuid LIMIT $1`,
      values: after ? [REBUILD_PAGE, after.startedAt, after.uuid] : [REBUILD_PAGE],
    }, REPORT_TIMEOUT_MS));
    for (const row of page.rows) deltas.add(historiedCallRowToCall(row), 1);
    const last: (HistoriedCallRow & { uuid: string; started_at: Date }) | undefined = page.rows[page.rows.length - 1];
    if (!last || page.rows.length < REBUILD_PAGE) break;
    after = { startedAt: last.started_at, uuid: last.uuid };
  }
  await applyDeltas(client, deltas);
  await client.query('UPDATE report_bucket_settings SET qualified_call_seconds = $1', [seconds]);
}

export class PostgresReports implements ReportStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly transaction: Transaction,
  ) {}

  /** Builds the buckets of a database that has none yet (just created, or upgraded). */
  async buildIfMissing(): Promise<void> {
    if ((await readThreshold(this.pool)) === null) await this.#rebuild(INITIAL_QUALIFIED_SECONDS, true);
  }

  async useQualifiedThreshold(seconds: number): Promise<void> {
    if ((await readThreshold(this.pool)) !== seconds) await this.#rebuild(seconds, false);
  }

  async #rebuild(seconds: number, onlyIfMissing: boolean): Promise<void> {
    await this.transaction(async (client) => {
      // Another instance may have rebuilt while this one waited for the row.
      const current = await readThreshold(client, 'FOR UPDATE');
      if (onlyIfMissing ? current !== null : current === seconds) return;
      await rebuildBuckets(client, seconds);
    });
  }

  /**
   * One snapshot (REPEATABLE READ) on one connection: the buckets, and what the calls still
   * pending would add to them, worked out as the rollup does, so a rollup committing meanwhile
   * neither loses a call nor counts it twice.
   */
  async read<T>(work: (reader: ReportReader) => Promise<T>): Promise<T> {
    return this.transaction(async (client, [, threshold]) => {
      const pending = await linkPending(client, deltasAtThreshold(threshold!.rows), { limit: null, lock: false });
      return work(new PostgresReportReader(client, pending));
    }, `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; ${BUCKET_THRESHOLD_READ_SQL}`);
  }
}

/** The reads of one report, in its snapshot: what is stored, with the pending calls counted in. */
class PostgresReportReader implements ReportReader {
  readonly #pendingDeltas: BucketDelta[];
  /** The last read sent: the report asks for several at once, and one connection takes one at a time. */
  #lastRead: Promise<unknown> = Promise.resolve();
  /** Every read of the report ends by then, however long it waited for the ones before it. */
  readonly #deadlineMs = Date.now() + REPORT_TIMEOUT_MS;

  constructor(private readonly client: pg.PoolClient, private readonly pending: LinkedCalls) {
    this.#pendingDeltas = pending.deltas.nonZero();
  }

  /** Sends `query` once the reads before it are done (pg queues them itself, but not from pg@9). */
  #query<R extends pg.QueryResultRow>(query: pg.QueryConfig): Promise<pg.QueryResult<R>> {
    const result = this.#lastRead.then(() => this.client.query<R>(withTimeout(query, Math.max(1, this.#deadlineMs - Date.now()))));
    this.#lastRead = result.catch(() => {});
    return result;
  }

  async sumBuckets(query: BucketSumQuery): Promise<BucketSum[]> {
    const { rows } = await this.#query({ text: bucketSumSql(query) });
    // Sums of the same key are added up by the report (reports.ts sumRange).
    return [...rows.map(bucketSumRowToSum), ...sumsOfDeltas(this.#pendingDeltas, query)];
  }

  async callsWithHistory(range: TimeRange): Promise<HistoriedCall[]> {
    const { rows } = await this.#query<HistoriedCallRow & { uuid: string }>({
      name: 'calls-with-history',
      text: `SELECT uuid, ${HISTORIED_CALL_COLUMNS} FROM calls WHERE started_at >= $1 AND started_at < $2`,
      values: [range.since, range.until],
    });
    return rows.map((row) => this.pending.linked.get(row.uuid) ?? historiedCallRowToCall(row));
  }

  async returningCallers(range: TimeRange, previousBefore: Date): Promise<ReturningCallers> {
    const { param, values } = positionalParams();
    const text = returningCallersSql({ ...range, before: previousBefore }, param);
    const { rows } = await this.#query<ReturningRow>({ text, values });
    // The calls the pending ones link to are counted with their links as the rollup will set them.
    const inRange = (call: HistoriedCall) => call.startedAt >= range.since.getTime() && call.startedAt < range.until.getTime();
    const stored = [...this.pending.stored.values()].filter(inRange);
    const linked = [...this.pending.linked.values()].filter(inRange);
    return addCallers(
      addCallers(returningRowsToCallers(rows), returningCallersAmong(stored, previousBefore), -1),
      returningCallersAmong(linked, previousBefore), 1,
    );
  }

  async callSpan(): Promise<TimeRange | null> {
    const { rows } = await this.#query<{ earliest: Date | null; latest: Date | null }>({
      // The buckets count too: retention deletes old calls but keeps their buckets (the narrowest,
      // width 1, span every slot that had calls). least() and greatest() skip NULLs.
      name: 'call-span',
      text: `
        SELECT least(c.earliest, b.earliest) AS earliest, greatest(c.latest, b.latest) AS latest
        FROM (SELECT min(started_at) AS earliest, max(started_at) AS latest FROM calls) AS c,
          (SELECT to_timestamp(min(slot) * $1::bigint / 1000.0) AS earliest,
            to_timestamp(((max(slot) + 1) * $1::bigint - 1) / 1000.0) AS latest FROM report_buckets WHERE width = 1) AS b`,
      values: [SLOT_MS],
    });
    const span = rows[0];
    if (!span?.earliest || !span.latest) return null;
    return { since: span.earliest, until: new Date(span.latest.getTime() + 1) };
  }
}

/** The deltas of the buckets a query reads, keyed as its sums are. */
function sumsOfDeltas(deltas: readonly BucketDelta[], query: BucketSumQuery): BucketSum[] {
  return deltas
    .filter(({ key }) => key.width === query.width && key.slot >= query.fromSlot && key.slot < query.toSlot)
    .map(({ key, figures }) => ({
      campaign: query.dimensions.includes('campaign') ? key.campaign : null,
      trackingNumber: query.dimensions.includes('trackingNumber') ? key.trackingNumber : null,
      destination: query.dimensions.includes('destination') ? key.destination : null,
      ...(query.dimensions.includes('source') ? { source: key.source, medium: key.medium } : { source: null, medium: null }),
      time: query.time ? timeGroupOf(key.slot, query.time) : null,
      figures,
    }));
}
