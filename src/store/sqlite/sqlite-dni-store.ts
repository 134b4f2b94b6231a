// Dynamic number insertion on SQLite. better-sqlite3 runs each transaction whole, so one process
// never interleaves two; BEGIN IMMEDIATE makes processes sharing the file take turns as well.

import type Database from 'better-sqlite3';
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
  /** JSON array of the pool's numbers. */
  numbers: string;
}

interface NumberStateRow {
  number: string;
  pool_id: string;
  hold_id: string | null;
  held_until: number | null;
  last_seen_at: number | null;
}

interface HoldRow {
  id: string;
  visit_id: string;
  pool_id: string;
  number: string;
  held_from: number;
  held_until: number;
}

type HoldSourceRow = HoldRow & VisitSourceRow;

const toDate = (ms: number | null) => (ms === null ? null : new Date(ms));

function poolRowToPool(row: PoolRow): NumberPool {
  return {
    id: row.id, campaign: row.campaign, replacesNumber: row.replaces_number, holdSeconds: row.hold_seconds,
    numbers: (JSON.parse(row.numbers) as (string | null)[]).filter((n): n is string => n !== null).sort(),
  };
}

function stateRowToState(row: NumberStateRow): PoolNumberState {
  return { number: row.number, holdId: row.hold_id, heldUntil: toDate(row.held_until), lastSeenAt: toDate(row.last_seen_at) };
}

function holdRowToHold(row: HoldRow): Hold {
  return {
    id: row.id, visitId: row.visit_id, poolId: row.pool_id, number: row.number,
    heldFrom: new Date(row.held_from), heldUntil: new Date(row.held_until),
  };
}

function holdSourceRowToHold(row: HoldSourceRow): HoldWithSource {
  return {
    ...holdRowToHold(row),
    source: visitSourceRowToSource(row),
  };
}

export class SqliteDniStore implements DniStore {
  readonly #statements;
  readonly #savePool: Database.Transaction<(pool: NumberPool) => boolean>;
  readonly #holdNumber: Database.Transaction<(request: HoldRequest, rank: (state: PoolState) => HoldPlan[]) => HoldResult | null>;
  readonly #renewHold: Database.Transaction<(visitId: string, now: number) => Hold | null>;
  readonly #markExported: Database.Transaction<(uuids: readonly string[], at: number) => void>;
  readonly #deleteHoldsBefore: Database.Transaction<(cutoff: number, limit: number) => number>;

  constructor(db: Database.Database) {
    this.#statements = {
      listPools: db.prepare<[], PoolRow>(`
        SELECT p.*, json_group_array(n.number) AS numbers FROM dni_pools p
        LEFT JOIN dni_pool_numbers n ON n.pool_id = p.id GROUP BY p.id ORDER BY p.id`),
      findPool: db.prepare<[string], Omit<PoolRow, 'numbers'>>('SELECT * FROM dni_pools WHERE id = ?'),
      numbersOwnedElsewhere: db.prepare<[string, string], number>(
        'SELECT count(*) FROM dni_pool_numbers WHERE number IN (SELECT value FROM json_each(?)) AND pool_id <> ?').pluck(),
      upsertPool: db.prepare(`
        INSERT INTO dni_pools (id, campaign, replaces_number, hold_seconds) VALUES (@id, @campaign, @replacesNumber, @holdSeconds)
        ON CONFLICT (id) DO UPDATE SET campaign = excluded.campaign, replaces_number = excluded.replaces_number,
          hold_seconds = excluded.hold_seconds`),
      dropLeftNumbers: db.prepare<[string, string]>(
        'DELETE FROM dni_pool_numbers WHERE pool_id = ? AND number NOT IN (SELECT value FROM json_each(?))'),
      addNumber: db.prepare<[string, string]>('INSERT INTO dni_pool_numbers (number, pool_id) VALUES (?, ?) ON CONFLICT DO NOTHING'),
      deletePool: db.prepare<[string]>('DELETE FROM dni_pools WHERE id = ?'),
      numbersOfPool: db.prepare<[string], NumberStateRow>('SELECT * FROM dni_pool_numbers WHERE pool_id = ? ORDER BY number'),
      visitExists: db.prepare<[string], number>('SELECT 1 FROM dni_visits WHERE id = ?').pluck(),
      latestHoldOfVisit: db.prepare<[string], HoldRow>(
        'SELECT * FROM dni_holds WHERE visit_id = ? ORDER BY held_from DESC, id DESC LIMIT 1'),
      insertVisit: db.prepare(`
        INSERT INTO dni_visits (id, started_at, source, medium, campaign, term, content, gclid, referrer, landing_page)
        VALUES (@id, @startedAt, @source, @medium, @campaign, @term, @content, @gclid, @referrer, @landingPage)`),
      insertHold: db.prepare(`
        INSERT INTO dni_holds (id, visit_id, pool_id, number, held_from, held_until, reused)
        VALUES (@id, @visitId, @poolId, @number, @heldFrom, @heldUntil, @reused)`),
      extendHold: db.prepare<[number, string]>('UPDATE dni_holds SET held_until = ? WHERE id = ?'),
      setNumberHold: db.prepare<[string, number, number, string]>(
        'UPDATE dni_pool_numbers SET hold_id = ?, held_until = ?, last_seen_at = ? WHERE number = ?'),
      numberState: db.prepare<[string], NumberStateRow>('SELECT * FROM dni_pool_numbers WHERE number = ?'),
      holdsAt: db.prepare<[string, number, number], HoldSourceRow>(`
        SELECT h.*, ${VISIT_SOURCE_COLUMNS}
        FROM dni_holds h JOIN dni_visits v ON v.id = h.visit_id
        WHERE h.number = ? AND h.held_from <= ? AND h.held_until > ?`),
      holdStats: db.prepare<{ since: number; until: number }, { pool_id: string; holds: number; reused_holds: number; peak_live_holds: number }>(`
        WITH counts AS (
          SELECT pool_id, count(*) AS holds, sum(reused) AS reused_holds
          FROM dni_holds WHERE held_from >= @since AND held_from < @until GROUP BY pool_id
        ), ${peakLiveHoldsCte('@since', '@until')}
        SELECT c.pool_id, c.holds, c.reused_holds, coalesce(p.peak_live_holds, 0) AS peak_live_holds
        FROM counts c LEFT JOIN peaks p ON p.pool_id = c.pool_id`),
      oldHolds: db.prepare<[number, number, number], { id: string; visit_id: string }>(
        'SELECT id, visit_id FROM dni_holds WHERE held_from < ? AND held_until < ? LIMIT ?'),
      deleteHold: db.prepare<[string]>('DELETE FROM dni_holds WHERE id = ?'),
      deleteVisitWithoutHolds: db.prepare<[string, string]>(
        'DELETE FROM dni_visits WHERE id = ? AND NOT EXISTS (SELECT 1 FROM dni_holds WHERE visit_id = ?)'),
      exported: db.prepare<[string], string>(
        'SELECT call_uuid FROM dni_conversion_exports WHERE call_uuid IN (SELECT value FROM json_each(?))').pluck(),
      markExported: db.prepare<[string, number]>(
        'INSERT INTO dni_conversion_exports (call_uuid, exported_at) VALUES (?, ?) ON CONFLICT DO NOTHING'),
    };
    const s = this.#statements;

    this.#savePool = db.transaction((pool: NumberPool) => {
      const numbers = JSON.stringify(pool.numbers);
      if (s.numbersOwnedElsewhere.get(numbers, pool.id)! > 0) return false;
      s.upsertPool.run(pool);
      s.dropLeftNumbers.run(pool.id, numbers);
      for (const number of pool.numbers) s.addNumber.run(number, pool.id);
      return true;
    });

    this.#holdNumber = db.transaction((request: HoldRequest, rank: (state: PoolState) => HoldPlan[]): HoldResult | null => {
      const pool = s.findPool.get(request.poolId);
      if (!pool) return null;
      const known = request.visitId !== null && s.visitExists.get(request.visitId) !== undefined;
      const visitId = known ? request.visitId! : request.newVisit.id;
      const latest = known ? s.latestHoldOfVisit.get(visitId) : undefined;
      const visitHold = latest ? holdRowToHold(latest) : null;
      // Inside one write transaction nothing changes between reading and writing: the first plan stands.
      const decision = rank({ numbers: s.numbersOfPool.all(pool.id).map(stateRowToState), visitHold })[0];
      if (decision === undefined) return null;
      const now = request.now.getTime();
      const heldUntil = holdEnd(request.now, pool.hold_seconds).getTime();
      if (decision.kind === 'keep') {
        s.extendHold.run(heldUntil, visitHold!.id);
        s.setNumberHold.run(visitHold!.id, heldUntil, now, decision.number);
        return { hold: { ...visitHold!, heldUntil: new Date(heldUntil) }, reused: false, replacesNumber: pool.replaces_number };
      }
      if (!known) s.insertVisit.run({ id: visitId, startedAt: now, ...request.newVisit.source });
      const hold: HoldRow = { id: request.newHoldId, visit_id: visitId, pool_id: pool.id, number: decision.number, held_from: now, held_until: heldUntil };
      s.insertHold.run({
        id: hold.id, visitId, poolId: pool.id, number: hold.number, heldFrom: now, heldUntil,
        reused: decision.reused ? 1 : 0,
      });
      s.setNumberHold.run(hold.id, heldUntil, now, hold.number);
      return { hold: holdRowToHold(hold), reused: decision.reused, replacesNumber: pool.replaces_number };
    });

    this.#renewHold = db.transaction((visitId: string, now: number): Hold | null => {
      const latest = s.latestHoldOfVisit.get(visitId);
      if (!latest || latest.held_until <= now) return null;
      const state = s.numberState.get(latest.number);
      const pool = s.findPool.get(latest.pool_id);
      if (!state || !pool || state.hold_id !== latest.id) return null;
      const heldUntil = now + pool.hold_seconds * 1000;
      s.extendHold.run(heldUntil, latest.id);
      s.setNumberHold.run(latest.id, heldUntil, now, latest.number);
      return holdRowToHold({ ...latest, held_until: heldUntil });
    });

    this.#markExported = db.transaction((uuids: readonly string[], at: number) => {
      for (const uuid of uuids) s.markExported.run(uuid, at);
    });

    this.#deleteHoldsBefore = db.transaction((cutoff: number, limit: number): number => {
      const old = s.oldHolds.all(cutoff, cutoff, limit);
      for (const hold of old) s.deleteHold.run(hold.id);
      for (const visitId of new Set(old.map((hold) => hold.visit_id))) s.deleteVisitWithoutHolds.run(visitId, visitId);
      return old.length;
    });
  }

  async listPools(): Promise<NumberPool[]> {
    return this.#statements.listPools.all().map(poolRowToPool);
  }

  async savePool(pool: NumberPool): Promise<boolean> {
    return this.#savePool.immediate(pool);
  }

  async deletePool(id: string): Promise<boolean> {
    return this.#statements.deletePool.run(id).changes > 0;
  }

  async holdNumber(request: HoldRequest, rank: (state: PoolState) => HoldPlan[]): Promise<HoldResult | null> {
    return this.#holdNumber.immediate(request, rank);
  }

  async renewHold(visitId: string, now: Date): Promise<Hold | null> {
    return this.#renewHold.immediate(visitId, now.getTime());
  }

  async holdsAt(calls: readonly NumberAtTime[]): Promise<HoldWithSource[][]> {
    return calls.map((call) => this.holdsOn(call));
  }

  /** holdsAt for one call, synchronously: the store's write transaction credits calls with it. */
  holdsOn({ number, at }: NumberAtTime): HoldWithSource[] {
    return this.#statements.holdsAt.all(number, at.getTime(), at.getTime()).map(holdSourceRowToHold);
  }

  async holdStats(range: TimeRange): Promise<PoolHoldStats[]> {
    return this.#statements.holdStats.all({ since: range.since.getTime(), until: range.until.getTime() }).map((row) => ({
      poolId: row.pool_id, holds: row.holds, reusedHolds: row.reused_holds, peakLiveHolds: row.peak_live_holds,
    }));
  }

  async deleteHoldsBefore(cutoff: Date, limit: number): Promise<number> {
    return this.#deleteHoldsBefore.immediate(cutoff.getTime(), limit);
  }

  async exportedConversions(callUuids: readonly string[]): Promise<Set<string>> {
    return new Set(this.#statements.exported.all(JSON.stringify(callUuids)));
  }

  async markConversionsExported(callUuids: readonly string[], at: Date): Promise<void> {
    this.#markExported(callUuids, at.getTime());
  }
}
