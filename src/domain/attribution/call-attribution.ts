// Credits calls to website visits: a call to a pool number belongs to the visit that held the
// number when the call came in. Worked out when read, from the holds, so the answer webhook
// never waits on it and every instance's holds count.

import type { CallRecord } from '../calls.js';
import type { DniStore } from '../../store/dni-store.js';
import type { HoldWithSource } from './pools.js';
import type { VisitSource } from './visit-source.js';

export interface CallAttribution extends VisitSource {
  visitId: string;
  poolId: string;
  /** More than one visit held the number when the call came in (the pool was exhausted). */
  ambiguous: boolean;
}

/**
 * Of the holds live on the number at the call, the latest given wins: that visitor saw the number
 * last. Two or more make the call ambiguous.
 */
export function creditCall(holds: readonly HoldWithSource[]): CallAttribution | null {
  let latest: HoldWithSource | null = null;
  for (const hold of holds) {
    if (latest === null || hold.heldFrom > latest.heldFrom || (hold.heldFrom.getTime() === latest.heldFrom.getTime() && hold.id > latest.id)) {
      latest = hold;
    }
  }
  if (latest === null) return null;
  return { ...latest.source, visitId: latest.visitId, poolId: latest.poolId, ambiguous: holds.length > 1 };
}

/** One attribution (or null) per call, in order. */
export async function attributeCalls(store: DniStore, calls: readonly CallRecord[]): Promise<(CallAttribution | null)[]> {
  const asked = calls.flatMap((call, index) => (call.trackingNumber === null ? [] : [{ index, number: call.trackingNumber, at: call.startedAt }]));
  const attributions: (CallAttribution | null)[] = calls.map(() => null);
  if (asked.length === 0) return attributions;
  const holds = await store.holdsAt(asked);
  asked.forEach((entry, position) => {
    attributions[entry.index] = creditCall(holds[position] ?? []);
  });
  return attributions;
}
