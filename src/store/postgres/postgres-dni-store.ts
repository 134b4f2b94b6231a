// Dynamic number insertion on PostgreSQL, for several instances on one database. A visit's
// number is chosen from the pool's numbers as read, best first (rankHoldPlans), and then taken
// by locking the first of them that is still as it was read (SELECT … FOR UPDATE SKIP LOCKED,
// compared on its latest hold): a number another transaction holds locked is skipped, one it
// changed no longer matches, so no two live visits get one free number, and visits to one pool
// are given numbers side by side rather than in turn. Renewals update one number row each,
// conditionally.

import type pg from 'pg';
import type { Hold, HoldPlan, HoldWithSource, NumberPool, PoolNumberState, PoolState } from '../../domain/attribution/pools.js';
import { holdEnd } from '../../domain/attribution/pools.js';
import type { TimeRange } from '../call-store.js';
import { VISIT_SOURCE_COLUMNS, peakLiveHoldsCte, visitSourceRowToSource, type VisitSourceRow } from '../dni-rows.js';
import type { DniStore, HoldRequest, HoldResult, NumberAtTime, PoolHoldStats } from '../dni-store.js';

interface PoolRow {
  id: string;
  campaign: string | null;
  replaces_number: string;
  hold_seconds: number;
  numbers: (string | null)[];
}

interface PoolNumberRow {
  hold_seconds: number;
  replaces_number: string;
  /** Null when the pool has no numbers. */
  number: string | null;
  hold_id: string | null;
  held_until: Date | null;
  last_seen_at: Date | null;
}

interface HoldRow {
  id: string;
  visit_id: string;
  pool_id: string;
  number: string;
  held_from: Date;
  held_until: Date;
}

/** A known visit, with its latest hold's columns (all null when it has none). */
type VisitHoldRow = { [K in keyof HoldRow]: HoldRow[K] | null };

interface HoldSourceRow extends HoldRow, VisitSourceRow {
  position: number;
}

function holdRowToHold(row: HoldRow): Hold {
  return { id: row.id, visitId: row.visit_id, poolId: row.pool_id, number: row.number, heldFrom: row.held_from, heldUntil: row.held_until };
}

const LATEST_HOLD_OF_VISIT = 'SELECT * FROM dni_holds WHERE visit_id = $1 ORDER BY held_from DESC, id DESC LIMIT 1';

// One statement: the visit's latest hold is renewed only while live and still its number's.
const RENEW_HOLD = `
  WITH latest AS (${LATEST_HOLD_OF_VISIT}),
  renewed AS (
    UPDATE dni_pool_numbers n SET held_until = $2::timestamptz + p.hold_seconds * interval '1 second', last_seen_at = $2
    FROM latest l, dni_pools p
    WHERE n.number = l.number AND n.hold_id = l.id AND n.held_until > $2 AND p.id = n.pool_id
    RETURNING n.hold_id, n.held_until)
  UPDATE dni_holds h SET held_until = r.held_until FROM renewed r WHERE h.id = r.hold_id RETURNING h.*`;

const VISIT_AND_LATEST_HOLD = `
  SELECT h.id, h.visit_id, h.pool_id, h.number, h.held_from, h.held_until FROM dni_visits v
  LEFT JOIN LATERAL (SELECT * FROM dni_holds WHERE visit_id = v.id ORDER BY held_from DESC, id DESC LIMIT 1) h ON true
  WHERE v.id = $1`;

const KEEP_HOLD = `
  WITH extended AS (UPDATE dni_holds SET held_until = $1 WHERE id = $2)
  UPDATE dni_pool_numbers SET held_until = $1, last_seen_at = $3 WHERE number = $4`;

/** The pool (no row when there is none) and its numbers as they are now, unlocked. */
const POOL_AND_NUMBERS = `
  SELECT p.hold_seconds, p.replaces_number, n.number, n.hold_id, n.held_until, n.last_seen_at
  FROM dni_pools p LEFT JOIN dni_pool_numbers n ON n.pool_id = p.id WHERE p.id = $1`;

// The first number, in the ranking's order, that no other transaction has locked and whose
// latest hold is still the one read: a row changed and committed meanwhile is re-read by
// FOR UPDATE and no longer matches.
const LOCK_FIRST_UNCHANGED = `
  SELECT c.rank FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS c (number, seen_hold, rank)
  JOIN dni_pool_numbers n ON n.number = c.number AND n.pool_id = $3 AND n.hold_id IS NOT DISTINCT FROM c.seen_hold
  ORDER BY c.rank LIMIT 1
  FOR UPDATE OF n SKIP LOCKED`;

/** Rankings tried before giving up: each is lost only to visits that took its every number meanwhile. */
const MAX_RANKINGS = 5;

// One statement: the visit (when new), its hold, and the number's latest hold. The hold's
// foreign key is checked at the end of the statement, when the visit is there.
const GIVE_HOLD = `
  WITH visit AS (
    INSERT INTO dni_visits (id, started_at, source, medium, campaign, term, content, gclid, referrer, landing_page)
    SELECT $2, $5, $8, $9, $10, $11, $12, $13, $14, $15 WHERE $16::boolean
  ), hold AS (
    INSERT INTO dni_holds (id, visit_id, pool_id, number, held_from, held_until, reused) VALUES ($1, $2, $3, $4, $5, $6, $7)
  )
  UPDATE dni_pool_numbers SET hold_id = $1, held_until = $6, last_seen_at = $5 WHERE number = $4`;

const HOLDS_AT = `
  SELECT c.position, h.*, ${VISIT_SOURCE_COLUMNS}
  FROM unnest($1::text[], $2::timestamptz[]) WITH ORDINALITY AS c (number, at, position)
  JOIN dni_holds h ON h.number = c.number AND h.held_from <= c.at AND h.held_until > c.at
  JOIN dni_visits v ON v.id = h.visit_id`;

export class PostgresDniStore implements DniStore {
  constructor(
    private readonly pool: pg.Pool,
    /** The CallStore's transaction runner: one connection, discarded on failure. */
    private readonly transaction: <T>(work: (client: pg.PoolClient) => Promise<T>) => Promise<T>,
  ) {}

  async listPools(): Promise<NumberPool[]> {
    const { rows } = await this.pool.query<PoolRow>(`
      SELECT p.*, array_agg(n.number ORDER BY n.number) AS numbers FROM dni_pools p
      LEFT JOIN dni_pool_numbers n ON n.pool_id = p.id GROUP BY p.id ORDER BY p.id`);
    return rows.map((row) => ({
      id: row.id, campaign: row.campaign, replacesNumber: row.replaces_number, holdSeconds: row.hold_seconds,
      numbers: row.numbers.filter((n): n is string => n !== null),
    }));
  }

  async savePool(pool: NumberPool): Promise<boolean> {
    return this.transaction(async (client) => {
      const { rows: owned } = await client.query(
        'SELECT 1 FROM dni_pool_numbers WHERE number = ANY($1::text[]) AND pool_id <> $2', [pool.numbers, pool.id]);
      if (owned.length > 0) return false;
      await client.query(`
        INSERT INTO dni_pools (id, campaign, replaces_number, hold_seconds) VALUES ($1, $2, $3, $4)
        ON CONFLICT (id) DO UPDATE SET campaign = excluded.campaign, replaces_number = excluded.replaces_number,
          hold_seconds = excluded.hold_seconds`,
      [pool.id, pool.campaign, pool.replacesNumber, pool.holdSeconds]);
      await client.query('DELETE FROM dni_pool_numbers WHERE pool_id = $1 AND NOT (number = ANY($2::text[]))', [pool.id, pool.numbers]);
      await client.query(`
        INSERT INTO dni_pool_numbers (number, pool_id) SELECT unnest($1::text[]), $2 ORDER BY 1 ON CONFLICT DO NOTHING`,
      [pool.numbers, pool.id]);
      return true;
    });
  }

  async deletePool(id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM dni_pools WHERE id = $1', [id]);
    return (rowCount ?? 0) > 0;
  }

  async holdNumber(request: HoldRequest, rank: (state: PoolState) => HoldPlan[]): Promise<HoldResult | null> {
    const visit = request.visitId === null ? undefined : (await this.pool.query<VisitHoldRow>({
      name: 'dni-visit-and-latest-hold', text: VISIT_AND_LATEST_HOLD, values: [request.visitId],
    })).rows[0];
    const known = visit !== undefined;
    const visitId = known ? request.visitId! : request.newVisit.id;
    const visitHold = visit?.id ? holdRowToHold(visit as HoldRow) : null;
    for (let attempt = 0; attempt < MAX_RANKINGS; attempt++) {
      const { rows } = await this.pool.query<PoolNumberRow>({ name: 'dni-pool-and-numbers', text: POOL_AND_NUMBERS, values: [request.poolId] });
      const pool = rows[0];
      if (!pool) return null;
      const states: PoolNumberState[] = rows.flatMap((row) => (row.number === null ? [] : [{
        number: row.number, holdId: row.hold_id, heldUntil: row.held_until, lastSeenAt: row.last_seen_at,
      }]));
      const plans = rank({ numbers: states, visitHold });
      if (plans.length === 0) return null;
      const seenHold = new Map(states.map((state) => [state.number, state.holdId]));
      const result = await this.transaction(async (client): Promise<HoldResult | undefined> => {
        const { rows: locked } = await client.query<{ rank: string }>({
          name: 'dni-lock-first-unchanged', text: LOCK_FIRST_UNCHANGED,
          values: [plans.map((plan) => plan.number), plans.map((plan) => seenHold.get(plan.number) ?? null), request.poolId],
        });
        const decision = locked[0] && plans[Number(locked[0].rank) - 1];
        if (!decision) return undefined;
        const { now } = request;
        const heldUntil = holdEnd(now, pool.hold_seconds);
        if (decision.kind === 'keep') {
          await client.query({ name: 'dni-keep-hold', text: KEEP_HOLD, values: [heldUntil, visitHold!.id, now, decision.number] });
          return { hold: { ...visitHold!, heldUntil }, reused: false, replacesNumber: pool.replaces_number };
        }
        const hold: Hold = { id: request.newHoldId, visitId, poolId: request.poolId, number: decision.number, heldFrom: now, heldUntil };
        const s = request.newVisit.source;
        await client.query({
          name: 'dni-give-hold',
          text: GIVE_HOLD,
          values: [
            hold.id, visitId, hold.poolId, hold.number, now, heldUntil, decision.reused,
            s.source, s.medium, s.campaign, s.term, s.content, s.gclid, s.referrer, s.landingPage, !known,
          ],
        });
        return { hold, reused: decision.reused, replacesNumber: pool.replaces_number };
      });
      if (result !== undefined) return result;
    }
    throw new Error(`pool ${request.poolId}: every number was taken by other visits ${MAX_RANKINGS} times running`);
  }

  async renewHold(visitId: string, now: Date): Promise<Hold | null> {
    const { rows } = await this.pool.query<HoldRow>({ name: 'dni-renew-hold', text: RENEW_HOLD, values: [visitId, now] });
    return rows[0] ? holdRowToHold(rows[0]) : null;
  }

  async holdsAt(calls: readonly NumberAtTime[]): Promise<HoldWithSource[][]> {
    const result: HoldWithSource[][] = calls.map(() => []);
    if (calls.length === 0) return result;
    const { rows } = await this.pool.query<HoldSourceRow>({
      name: 'dni-holds-at', text: HOLDS_AT, values: [calls.map((c) => c.number), calls.map((c) => c.at)],
    });
    for (const row of rows) {
      result[Number(row.position) - 1]!.push({
        ...holdRowToHold(row),
        source: visitSourceRowToSource(row),
      });
    }
    return result;
  }

  async holdStats(range: TimeRange): Promise<PoolHoldStats[]> {
    const { rows } = await this.pool.query<{ pool_id: string; holds: number; reused_holds: number; peak_live_holds: number }>(`
      WITH counts AS (
        SELECT pool_id, count(*)::int AS holds, count(*) FILTER (WHERE reused)::int AS reused_holds
        FROM dni_holds WHERE held_from >= $1 AND held_from < $2 GROUP BY pool_id
      ), ${peakLiveHoldsCte('$1', '$2')}
      SELECT c.pool_id, c.holds, c.reused_holds, coalesce(p.peak_live_holds, 0)::int AS peak_live_holds
      FROM counts c LEFT JOIN peaks p ON p.pool_id = c.pool_id`, [range.since, range.until]);
    return rows.map((row) => ({ poolId: row.pool_id, holds: row.holds, reusedHolds: row.reused_holds, peakLiveHolds: row.peak_live_holds }));
  }

  async deleteHoldsBefore(cutoff: Date, limit: number): Promise<number> {
    return this.transaction(async (client) => {
      const { rows } = await client.query<{ visit_id: string }>(`
        DELETE FROM dni_holds WHERE id IN (SELECT id FROM dni_holds WHERE held_from < $1 AND held_until < $1 LIMIT $2)
        RETURNING visit_id`, [cutoff, limit]);
      await client.query(`
        DELETE FROM dni_visits v WHERE v.id = ANY($1::text[]) AND NOT EXISTS (SELECT 1 FROM dni_holds h WHERE h.visit_id = v.id)`,
      [[...new Set(rows.map((row) => row.visit_id))]]);
      return rows.length;
    });
  }

  async exportedConversions(callUuids: readonly string[]): Promise<Set<string>> {
    const { rows } = await this.pool.query<{ call_uuid: string }>(
      'SELECT call_uuid FROM dni_conversion_exports WHERE call_uuid = ANY($1::text[])', [callUuids]);
    return new Set(rows.map((row) => row.call_uuid));
  }

  async markConversionsExported(callUuids: readonly string[], at: Date): Promise<void> {
    await this.pool.query(`
      INSERT INTO dni_conversion_exports (call_uuid, exported_at) SELECT unnest($1::text[]), $2 ON CONFLICT DO NOTHING`,
    [[...callUuids], at]);
  }
}
