// The storage interface of dynamic number insertion (number pools, visits and the holds that
// tie a visit to a number for a time), implemented by each backend next to its CallStore.

import type { Hold, HoldPlan, HoldWithSource, NumberPool, PoolState } from '../domain/attribution/pools.js';
import type { VisitSource } from '../domain/attribution/visit-source.js';
import type { TimeRange } from './call-store.js';

export interface HoldRequest {
  poolId: string;
  /** The visit the browser remembers; unknown ids are treated as absent. */
  visitId: string | null;
  /** Used when the visit is absent or unknown: the new visit's id and where it came from. */
  newVisit: { id: string; source: VisitSource };
  /** Id for the hold, should one be created. */
  newHoldId: string;
  now: Date;
}

export interface HoldResult {
  hold: Hold;
  /** True when the number was still held by another visit (the pool was exhausted). */
  reused: boolean;
  /** The pool's business number, which the held number replaces on the page. */
  replacesNumber: string;
}

/** A call to look up: which holds covered `number` at `at`. */
export interface NumberAtTime {
  number: string;
  at: Date;
}

export interface PoolHoldStats {
  poolId: string;
  /** Holds given in the range. */
  holds: number;
  reusedHolds: number;
  /** Most holds of the pool live at once, looked at when each hold of the range began. */
  peakLiveHolds: number;
}

export interface DniStore {
  listPools(): Promise<NumberPool[]>;
  /** Creates or replaces a pool; numbers it no longer lists leave it. False when a number belongs to another pool. */
  savePool(pool: NumberPool): Promise<boolean>;
  /** False when there was no such pool. */
  deletePool(id: string): Promise<boolean>;
  /**
   * Reads the pool's numbers and the visit's latest hold, lets `rank` order what the visit may
   * get, and records the first plan whose number is, when locked, as it was read: no other
   * visit (of any instance) can take that number until this one's hold is committed. Null when
   * the pool does not exist or `rank` offers nothing.
   */
  holdNumber(request: HoldRequest, rank: (state: PoolState) => HoldPlan[]): Promise<HoldResult | null>;
  /** A visit's sign of life: extends its latest hold if still live; null when there is none. */
  renewHold(visitId: string, now: Date): Promise<Hold | null>;
  /** For each entry, the holds live on that number at that time (any order). */
  holdsAt(calls: readonly NumberAtTime[]): Promise<HoldWithSource[][]>;
  holdStats(range: TimeRange): Promise<PoolHoldStats[]>;
  /**
   * Retention: deletes up to `limit` holds that began and ended before `cutoff`, and the visits
   * they leave without a hold (their tags, click id, referrer and landing page); returns how many
   * holds went. Calls keep the credit they were given.
   */
  deleteHoldsBefore(cutoff: Date, limit: number): Promise<number>;
  /** Which of these calls were already listed in a Google Ads export. */
  exportedConversions(callUuids: readonly string[]): Promise<Set<string>>;
  markConversionsExported(callUuids: readonly string[], at: Date): Promise<void>;
}
