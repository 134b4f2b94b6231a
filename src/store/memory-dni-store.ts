// Dynamic number insertion in memory (DATABASE_URL=memory:): one process, so every method runs
// whole between two awaits and needs no lock.

import type { Hold, HoldPlan, HoldWithSource, NumberPool, PoolNumberState, PoolState } from '../domain/attribution/pools.js';
import { holdEnd } from '../domain/attribution/pools.js';
import type { VisitSource } from '../domain/attribution/visit-source.js';
import type { TimeRange } from './call-store.js';
import type { DniStore, HoldRequest, HoldResult, NumberAtTime, PoolHoldStats } from './dni-store.js';

interface StoredHold extends Hold {
  reused: boolean;
}

export class MemoryDniStore implements DniStore {
  readonly #pools = new Map<string, NumberPool>();
  readonly #numbers = new Map<string, PoolNumberState & { poolId: string }>();
  readonly #visits = new Map<string, VisitSource>();
  readonly #holds: StoredHold[] = [];
  readonly #latestHoldOfVisit = new Map<string, StoredHold>();
  readonly #exported = new Set<string>();

  async listPools(): Promise<NumberPool[]> {
    return [...this.#pools.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map((p) => ({ ...p, numbers: [...p.numbers] }));
  }

  async savePool(pool: NumberPool): Promise<boolean> {
    if (pool.numbers.some((n) => { const owner = this.#numbers.get(n)?.poolId; return owner !== undefined && owner !== pool.id; })) return false;
    for (const [number, state] of this.#numbers) if (state.poolId === pool.id && !pool.numbers.includes(number)) this.#numbers.delete(number);
    for (const number of pool.numbers) {
      if (!this.#numbers.has(number)) this.#numbers.set(number, { number, poolId: pool.id, holdId: null, heldUntil: null, lastSeenAt: null });
    }
    this.#pools.set(pool.id, { ...pool, numbers: [...pool.numbers].sort() });
    return true;
  }

  async deletePool(id: string): Promise<boolean> {
    for (const [number, state] of this.#numbers) if (state.poolId === id) this.#numbers.delete(number);
    return this.#pools.delete(id);
  }

  async holdNumber(request: HoldRequest, rank: (state: PoolState) => HoldPlan[]): Promise<HoldResult | null> {
    const pool = this.#pools.get(request.poolId);
    if (!pool) return null;
    const known = request.visitId !== null && this.#visits.has(request.visitId);
    const visitId = known ? request.visitId! : request.newVisit.id;
    const visitHold = known ? this.#latestHoldOfVisit.get(visitId) ?? null : null;
    const numbers = pool.numbers.map((n) => ({ ...this.#numbers.get(n)! }));
    // One process, no await before the writes: the first plan is always still possible.
    const decision = rank({ numbers, visitHold: visitHold && toHold(visitHold) })[0];
    if (decision === undefined) return null;
    const { now } = request;
    const heldUntil = holdEnd(now, pool.holdSeconds);
    const state = this.#numbers.get(decision.number)!;
    if (decision.kind === 'keep') {
      visitHold!.heldUntil = heldUntil;
      Object.assign(state, { heldUntil, lastSeenAt: now });
      return { hold: toHold(visitHold!), reused: false, replacesNumber: pool.replacesNumber };
    }
    if (!known) this.#visits.set(visitId, request.newVisit.source);
    const hold: StoredHold = {
      id: request.newHoldId, visitId, poolId: pool.id, number: decision.number, heldFrom: now, heldUntil,
      reused: decision.reused,
    };
    this.#holds.push(hold);
    this.#latestHoldOfVisit.set(visitId, hold);
    Object.assign(state, { holdId: hold.id, heldUntil, lastSeenAt: now });
    return { hold: toHold(hold), reused: decision.reused, replacesNumber: pool.replacesNumber };
  }

  async renewHold(visitId: string, now: Date): Promise<Hold | null> {
    const hold = this.#latestHoldOfVisit.get(visitId);
    const pool = hold && this.#pools.get(hold.poolId);
    const state = hold && this.#numbers.get(hold.number);
    if (!hold || !pool || !state || hold.heldUntil <= now || state.holdId !== hold.id) return null;
    hold.heldUntil = holdEnd(now, pool.holdSeconds);
    Object.assign(state, { heldUntil: hold.heldUntil, lastSeenAt: now });
    return toHold(hold);
  }

  async holdsAt(calls: readonly NumberAtTime[]): Promise<HoldWithSource[][]> {
    return calls.map(({ number, at }) =>
      this.#holds
        .filter((h) => h.number === number && h.heldFrom <= at && at < h.heldUntil)
        .map((h) => ({ ...toHold(h), source: { ...this.#visits.get(h.visitId)! } })));
  }

  async holdStats(range: TimeRange): Promise<PoolHoldStats[]> {
    const stats = new Map<string, PoolHoldStats>();
    const statsOf = (poolId: string) => {
      const row = stats.get(poolId) ?? { poolId, holds: 0, reusedHolds: 0, peakLiveHolds: 0 };
      stats.set(poolId, row);
      return row;
    };
    for (const hold of this.#holds) {
      if (hold.heldFrom < range.since || hold.heldFrom >= range.until) continue;
      const row = statsOf(hold.poolId);
      row.holds += 1;
      if (hold.reused) row.reusedHolds += 1;
    }
    for (const [poolId, peak] of peakLiveHolds(this.#holds, range)) statsOf(poolId).peakLiveHolds = peak;
    return [...stats.values()];
  }

  async deleteHoldsBefore(cutoff: Date, limit: number): Promise<number> {
    const old = new Set(this.#holds.filter((h) => h.heldFrom < cutoff && h.heldUntil < cutoff).slice(0, limit));
    if (old.size === 0) return 0;
    const kept = this.#holds.filter((h) => !old.has(h));
    this.#holds.splice(0, this.#holds.length, ...kept);
    for (const { visitId } of old) {
      if (kept.some((h) => h.visitId === visitId)) continue;
      this.#visits.delete(visitId);
      this.#latestHoldOfVisit.delete(visitId);
    }
    return old.size;
  }

  async exportedConversions(callUuids: readonly string[]): Promise<Set<string>> {
    return new Set(callUuids.filter((uuid) => this.#exported.has(uuid)));
  }

  async markConversionsExported(callUuids: readonly string[]): Promise<void> {
    for (const uuid of callUuids) this.#exported.add(uuid);
  }
}

function toHold(hold: StoredHold): Hold {
  const { id, visitId, poolId, number, heldFrom, heldUntil } = hold;
  return { id, visitId, poolId, number, heldFrom, heldUntil };
}

/**
 * Per pool, the most holds live at once when a hold of the range began: a sweep over the holds'
 * starts (+1) and ends (−1), an end before a start at the same instant (held_until is
 * exclusive). The SQL stores run the same sweep as a window sum.
 */
function peakLiveHolds(holds: readonly Hold[], range: TimeRange): Map<string, number> {
  const events = holds
    .filter((h) => h.heldFrom < range.until && h.heldUntil > range.since)
    .flatMap((h) => [{ poolId: h.poolId, at: h.heldFrom.getTime(), delta: 1 }, { poolId: h.poolId, at: h.heldUntil.getTime(), delta: -1 }])
    .sort((a, b) => a.at - b.at || a.delta - b.delta);
  const live = new Map<string, number>();
  const peaks = new Map<string, number>();
  for (const event of events) {
    const now = (live.get(event.poolId) ?? 0) + event.delta;
    live.set(event.poolId, now);
    if (event.delta === 1 && event.at >= range.since.getTime()) peaks.set(event.poolId, Math.max(peaks.get(event.poolId) ?? 0, now));
  }
  return peaks;
}
