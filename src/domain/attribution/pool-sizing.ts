// Whether each pool has enough numbers: the most visits it had to serve at once against its size,
// and the share of its calls that could not be told apart because a number was shared.

import type { PoolHoldStats } from '../../store/dni-store.js';
import type { CallAttribution } from './call-attribution.js';
import type { NumberPool } from './pools.js';

export interface PoolSizing {
  poolId: string;
  campaign: string | null;
  size: number;
  holds: number;
  reusedHolds: number;
  /** Most visits holding a number of the pool at once. */
  peakConcurrentVisits: number;
  calls: number;
  ambiguousCalls: number;
  /** ambiguousCalls / calls; 0 without calls. */
  ambiguousShare: number;
  /** Numbers to add so that the peak would have found a free one; 0 when the pool is big enough. */
  numbersToAdd: number;
}

export function sizePools(
  pools: readonly NumberPool[],
  stats: readonly PoolHoldStats[],
  attributions: readonly (CallAttribution | null)[],
): PoolSizing[] {
  return pools.map((pool) => {
    const stat = stats.find((s) => s.poolId === pool.id);
    const credited = attributions.filter((a): a is CallAttribution => a?.poolId === pool.id);
    const ambiguousCalls = credited.filter((a) => a.ambiguous).length;
    const peak = stat?.peakLiveHolds ?? 0;
    return {
      poolId: pool.id,
      campaign: pool.campaign,
      size: pool.numbers.length,
      holds: stat?.holds ?? 0,
      reusedHolds: stat?.reusedHolds ?? 0,
      peakConcurrentVisits: peak,
      calls: credited.length,
      ambiguousCalls,
      ambiguousShare: credited.length === 0 ? 0 : ambiguousCalls / credited.length,
      numbersToAdd: Math.max(0, peak - pool.numbers.length),
    };
  });
}
