// The PostgreSQL store counts calls into the report buckets after storing them, not while: the
// answer webhook's write is one INSERT of the calls and of their "not yet counted" marks
// (report_pending), and a rollup, one instance at a time, links a chunk of pending calls to their
// callers' calls before and after them and adds what they contribute, each bucket in one upsert
// however many of the chunk's calls it holds. Reports read the buckets plus what the pending
// calls would add, worked out by the same linkPending, in one snapshot (postgres-reports.ts), so
// they are exact whether the rollup has run or not.
//
// Who changes what: only a rollup links calls and clears marks, and an advisory lock lets one run
// at a time; it takes the bucket settings row FOR SHARE, so a threshold rebuild (which counts the
// calls not pending) waits, and it reads the calls it changes under FOR UPDATE, in uuid order as
// the lifecycle updates lock theirs. A lifecycle or recording change of a pending call adds no
// delta (the rollup counts the state it finds under the row lock); of a counted call it adds
// (new − old). Which of the two a call is, a writer reads once it holds the row (pendingAmong):
// in a statement of its own, because a statement's snapshot predates its wait for the lock.

import type pg from 'pg';
import {
  BucketDeltas, HISTORY_FIELDS, type CallHistory, type HistoriedCall,
} from '../../domain/report-figures.js';
import type { Logger } from '../../logger.js';
import { HISTORIED_CALL_COLUMNS, historiedCallRowToCall, type HistoriedCallRow } from '../sql-rows.js';
import { applyDeltas, BUCKET_THRESHOLD_SQL, deltasAtThreshold, REPORT_TIMEOUT_MS, withTimeout } from './postgres-reports.js';

/** Any fixed 64-bit number, the same in every instance: held by the rollup's transaction. */
export const ROLLUP_LOCK_KEY = '4315829067712011';
/** Pending calls one rollup transaction counts. */
const ROLLUP_CHUNK = 5000;
/** How long after a write the rollup runs: the writes of that while are counted together. */
const ROLLUP_DELAY_MS = 250;
/** Calls another instance stored, or one that stopped left pending, are counted this often. */
const ROLLUP_INTERVAL_MS = 5000;

/** A transaction begun by `opening` (BEGIN and statements without parameters, their results in `opened`), as PostgresStore runs it. */
export type Transaction = <T>(work: (client: pg.PoolClient, opened: pg.QueryResult[]) => Promise<T>, opening?: string) => Promise<T>;

interface NeighbourRow {
  uuid: string;
  /** The call is no longer stored (retention or an erasure took it). */
  gone: boolean;
  prev_any: string | null;
  prev_campaign: string | null;
  prev_number: string | null;
  next_any: string | null;
  next_campaign: string | null;
  next_number: string | null;
}

// For each pending call (the first $1 in uuid order; all when $1 is NULL): its caller's previous
// call (to any number, in its campaign, on its number in that campaign) and the call right after
// it in each sense. calls_by_caller answers each; a withheld caller has none.
const PENDING_NEIGHBOURS = `
  SELECT k.uuid, c.uuid IS NULL AS gone,
    (SELECT p.uuid FROM calls p WHERE p.caller = c.caller AND (p.started_at, p.uuid) < (c.started_at, c.uuid)
      ORDER BY p.started_at DESC, p.uuid DESC LIMIT 1) AS prev_any,
    (SELECT p.uuid FROM calls p WHERE p.caller = c.caller AND (p.started_at, p.uuid) < (c.started_at, c.uuid)
      AND p.campaign IS NOT DISTINCT FROM c.campaign ORDER BY p.started_at DESC, p.uuid DESC LIMIT 1) AS prev_campaign,
    (SELECT p.uuid FROM calls p WHERE p.caller = c.caller AND (p.started_at, p.uuid) < (c.started_at, c.uuid)
      AND p.campaign IS NOT DISTINCT FROM c.campaign AND p.tracking_number IS NOT DISTINCT FROM c.tracking_number
      ORDER BY p.started_at DESC, p.uuid DESC LIMIT 1) AS prev_number,
    (SELECT f.uuid FROM calls f WHERE f.caller = c.caller AND (f.started_at, f.uuid) > (c.started_at, c.uuid)
      ORDER BY f.started_at, f.uuid LIMIT 1) AS next_any,
    (SELECT f.uuid FROM calls f WHERE f.caller = c.caller AND (f.started_at, f.uuid) > (c.started_at, c.uuid)
      AND f.campaign IS NOT DISTINCT FROM c.campaign ORDER BY f.started_at, f.uuid LIMIT 1) AS next_campaign,
    (SELECT f.uuid FROM calls f WHERE f.caller = c.caller AND (f.started_at, f.uuid) > (c.started_at, c.uuid)
      AND f.campaign IS NOT DISTINCT FROM c.campaign AND f.tracking_number IS NOT DISTINCT FROM c.tracking_number
      ORDER BY f.started_at, f.uuid LIMIT 1) AS next_number
  FROM (SELECT uuid FROM report_pending ORDER BY uuid LIMIT $1) AS k LEFT JOIN calls c ON c.uuid = k.uuid`;

// Only rollups clear marks, one at a time, so a call's mark read here holds for the transaction.
const callsToLinkSql = (lock: boolean) => `
  SELECT uuid, ${HISTORIED_CALL_COLUMNS}, EXISTS (SELECT 1 FROM report_pending p WHERE p.uuid = calls.uuid) AS pending
  FROM calls WHERE uuid = ANY($1::text[]) ORDER BY uuid ${lock ? 'FOR UPDATE' : ''}`;

// The links that changed, and the marks of the calls now counted, in one statement.
const SET_HISTORY_AND_UNMARK = `
  WITH unmarked AS (DELETE FROM report_pending WHERE uuid = ANY($8::text[]))
  UPDATE calls SET prev_any_at = v.prev_any_at, prev_campaign_at = v.prev_campaign_at, prev_number_at = v.prev_number_at,
    has_next_any = v.has_next_any, has_next_campaign = v.has_next_campaign, has_next_number = v.has_next_number
  FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[], $4::timestamptz[], $5::boolean[], $6::boolean[], $7::boolean[])
    AS v (uuid, prev_any_at, prev_campaign_at, prev_number_at, has_next_any, has_next_campaign, has_next_number)
  WHERE calls.uuid = v.uuid`;

const PENDING_AMONG = 'SELECT uuid FROM report_pending WHERE uuid = ANY($1::text[])';

/** What counting pending calls changes: their buckets' deltas, and every call it read, before and after. */
export interface LinkedCalls {
  deltas: BucketDeltas;
  /** The pending calls looked at, stored or gone: their marks go once they are counted. */
  marked: string[];
  /** Every call read (the pending ones and the calls they link to), as stored. */
  stored: Map<string, HistoriedCall>;
  /** The same calls once linked. */
  linked: Map<string, HistoriedCall>;
}

/**
 * Links pending calls (the first `limit` in uuid order, or all) to their callers' calls and puts
 * what counting them changes into `deltas`: each pending call's contribution, and for each
 * counted call whose links change, (new − old). A pending call it links to but does not count
 * gets its links only. `lock`: the calls are read FOR UPDATE, as the rollup changes them.
 */
export async function linkPending(
  client: pg.PoolClient, deltas: BucketDeltas, options: { limit: number | null; lock: boolean },
): Promise<LinkedCalls> {
  const { rows: neighbours } = await client.query<NeighbourRow>(withTimeout({
    name: 'pending-neighbours', text: PENDING_NEIGHBOURS, values: [options.limit],
  }, REPORT_TIMEOUT_MS));
  const result: LinkedCalls = { deltas, marked: neighbours.map((row) => row.uuid), stored: new Map(), linked: new Map() };
  const present = neighbours.filter((row) => !row.gone);
  if (present.length === 0) return result;
  const related = present.flatMap((row) => [row.uuid, row.prev_any, row.prev_campaign, row.prev_number, row.next_any, row.next_campaign, row.next_number]);
  const { rows } = await client.query<HistoriedCallRow & { uuid: string; pending: boolean }>(withTimeout({
    name: options.lock ? 'lock-calls-to-link' : 'calls-to-link', text: callsToLinkSql(options.lock),
    values: [[...new Set(related.filter((uuid) => uuid !== null))]],
  }, REPORT_TIMEOUT_MS));
  const pending = new Set(rows.flatMap((row) => (row.pending ? [row.uuid] : [])));
  for (const row of rows) result.stored.set(row.uuid, historiedCallRowToCall(row));
  // A call erased or deleted between the two statements is left for the next rollup.
  const counting = new Set(present.flatMap((row) => (result.stored.has(row.uuid) ? [row.uuid] : [])));
  result.marked = neighbours.flatMap((row) => (row.gone || counting.has(row.uuid) ? [row.uuid] : []));
  const startOf = (uuid: string | null) => (uuid === null ? null : result.stored.get(uuid)?.startedAt ?? null);
  const changes = new Map<string, Partial<CallHistory>>();
  // A counted call's neighbours are read with every pending call in: only calls not counted here change.
  const change = (uuid: string | null, history: Partial<CallHistory>) => {
    if (uuid !== null && !counting.has(uuid) && result.stored.has(uuid)) changes.set(uuid, { ...changes.get(uuid), ...history });
  };
  for (const row of present) {
    if (!counting.has(row.uuid)) continue;
    const startedAt = startOf(row.uuid);
    changes.set(row.uuid, {
      prevAnyAt: startOf(row.prev_any), prevCampaignAt: startOf(row.prev_campaign), prevNumberAt: startOf(row.prev_number),
      hasNextAny: row.next_any !== null, hasNextCampaign: row.next_campaign !== null, hasNextNumber: row.next_number !== null,
    });
    change(row.prev_any, { hasNextAny: true });
    change(row.prev_campaign, { hasNextCampaign: true });
    change(row.prev_number, { hasNextNumber: true });
    change(row.next_any, { prevAnyAt: startedAt });
    change(row.next_campaign, { prevCampaignAt: startedAt });
    change(row.next_number, { prevNumberAt: startedAt });
  }
  for (const [uuid, before] of result.stored) {
    const change = changes.get(uuid);
    // Most calls are a new caller's: nothing links, and the call stays as stored.
    const after = change && HISTORY_FIELDS.some((field) => field in change && change[field] !== before[field]) ? { ...before, ...change } : before;
    result.linked.set(uuid, after);
    if (counting.has(uuid)) deltas.add(after, 1);
    else if (!pending.has(uuid)) deltas.change(before, after);
  }
  return result;
}

/** The calls whose links differ from those stored. */
function changedLinks(linked: LinkedCalls): (HistoriedCall & { uuid: string })[] {
  const changed: (HistoriedCall & { uuid: string })[] = [];
  for (const [uuid, after] of linked.linked) {
    const before = linked.stored.get(uuid)!;
    if (after !== before && HISTORY_FIELDS.some((field) => after[field] !== before[field])) changed.push({ uuid, ...after });
  }
  return changed;
}

/** A call as it was and as it is now. */
export interface CallChange {
  uuid: string;
  before: HistoriedCall;
  after: HistoriedCall;
}

/**
 * Adds to `deltas` the changes of the calls already counted; a pending call's state is counted
 * when the rollup gets to it. Run it while holding the calls' rows (FOR UPDATE).
 */
export async function addCountedChanges(client: pg.PoolClient, deltas: BucketDeltas, changes: readonly CallChange[]): Promise<void> {
  // Most events (ringing, started) change no figure: then there is nothing to ask.
  const moving = changes.filter((change) => {
    const alone = new BucketDeltas(deltas.qualifiedCallSeconds);
    alone.change(change.before, change.after);
    return alone.nonZero().length > 0;
  });
  if (moving.length === 0) return;
  const { rows } = await client.query<{ uuid: string }>({
    name: 'pending-among', text: PENDING_AMONG, values: [moving.map((change) => change.uuid)],
  });
  const pending = new Set(rows.map((row) => row.uuid));
  for (const change of moving) if (!pending.has(change.uuid)) deltas.change(change.before, change.after);
}

/** Counts pending calls into the buckets, shortly after writes and on a timer. */
export class ReportRollup {
  #timer: NodeJS.Timeout | null = null;
  readonly #interval: NodeJS.Timeout;
  #running: Promise<void> | null = null;
  #again = false;
  #closed = false;
  /** Bulk loads under way on this instance (see heldBack). */
  #holds = 0;

  constructor(private readonly transaction: Transaction, private readonly logger: Logger) {
    this.#interval = setInterval(() => this.schedule(), ROLLUP_INTERVAL_MS);
    this.#interval.unref();
  }

  /**
   * Runs `work` with this instance's rollups held back: a bulk load holds the bucket settings for
   * its whole transaction, and a rollup waiting on them would only time out, again and again.
   */
  async heldBack<T>(work: () => Promise<T>): Promise<T> {
    this.#holds += 1;
    try {
      await this.#running;
      return await work();
    } finally {
      this.#holds -= 1;
    }
  }

  /** Calls were stored: count them a moment later, with whatever else is stored meanwhile. */
  schedule(): void {
    if (this.#timer !== null || this.#closed || this.#holds > 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#runInBackground();
    }, ROLLUP_DELAY_MS);
    this.#timer.unref();
  }

  #runInBackground(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        // Another instance's rollup holding the lock counts what is pending: this one stops.
        while (!this.#closed && (await this.#rollUpChunk(false)) === ROLLUP_CHUNK);
      } while (this.#again && !this.#closed);
    })().catch((error: unknown) => {
      // The marks stay: the timer's next rollup counts those calls.
      this.logger.warn('report rollup failed; the calls stay pending and are counted on the next try', { error: String(error) });
    }).finally(() => {
      this.#running = null;
    });
  }

  /**
   * Counts every call pending now and returns how many it counted. `wait`: while another
   * instance's rollup runs, wait for it; otherwise leave the calls to that one.
   */
  async rollUp(wait: boolean): Promise<number> {
    let counted = 0;
    for (;;) {
      const chunk = await this.#rollUpChunk(wait);
      counted += chunk;
      if (chunk < ROLLUP_CHUNK) return counted;
    }
  }

  /** One transaction: the next chunk of pending calls counted. Returns the marks it cleared, or 0 when another rollup runs. */
  async #rollUpChunk(wait: boolean): Promise<number> {
    // A chunk's statements are planned as costly enough for JIT compilation, which costs the server
    // more than running them; their plans are index lookups that gain nothing from it.
    const lock = wait
      ? `SELECT true AS locked FROM pg_advisory_xact_lock(${ROLLUP_LOCK_KEY})`
      : `SELECT pg_try_advisory_xact_lock(${ROLLUP_LOCK_KEY}) AS locked`;
    return this.transaction(async (client, [, , threshold, locked]) => {
      if (!locked!.rows[0]!.locked) return 0;
      const linked = await linkPending(client, deltasAtThreshold(threshold!.rows), { limit: ROLLUP_CHUNK, lock: true });
      if (linked.marked.length === 0) return 0;
      const changed = changedLinks(linked);
      const time = (ms: number | null) => (ms === null ? null : new Date(ms));
      await client.query(withTimeout({
        name: 'set-history-and-unmark',
        text: SET_HISTORY_AND_UNMARK,
        values: [changed.map((c) => c.uuid), changed.map((c) => time(c.prevAnyAt)), changed.map((c) => time(c.prevCampaignAt)),
          changed.map((c) => time(c.prevNumberAt)), changed.map((c) => c.hasNextAny), changed.map((c) => c.hasNextCampaign),
          changed.map((c) => c.hasNextNumber), linked.marked],
      }, REPORT_TIMEOUT_MS));
      await applyDeltas(client, linked.deltas);
      return linked.marked.length;
    }, `BEGIN; SET LOCAL jit = off; ${BUCKET_THRESHOLD_SQL}; ${lock}`);
  }

  /** Stops the timers and waits for a rollup under way. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#interval);
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }
}
