// Credits calls to website visits: a call to a pool number belongs to the visit that held the
// number when the call came in. Settled once, when the store records the call (in the batch's
// transaction, from every instance's holds), and kept on the call: the call list, the reports'
// source buckets, the webhooks and the Google Ads export all read that one answer.

import type { InboundCall } from '../calls.js';
import type { DniStore } from '../../store/dni-store.js';
import type { HoldWithSource } from './pools.js';
import type { VisitSource } from './visit-source.js';

export interface CallAttribution extends VisitSource {
  visitId: string;
  poolId: string;
  /** More than one visit held the number when the call came in (the pool was exhausted). */
  ambiguous: boolean;
}

/** A call whose visit is looked up: only calls to a pool number pay for the look-up. */
export type PooledCall<T extends InboundCall> = T & { trackingNumber: string };

export const isPooledCall = <T extends InboundCall>(call: T): call is PooledCall<T> => call.pooled === true && call.trackingNumber !== null;

/**
 * Of the holds live on the number at the call (held_from ≤ started_at < held_until), the latest
 * given wins: that visitor saw the number last. Two or more make the call ambiguous.
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

/** Each call's attribution, in order: what a store records with a batch of calls. */
export async function creditCalls(calls: readonly InboundCall[], dni: Pick<DniStore, 'holdsAt'>): Promise<(CallAttribution | null)[]> {
  const pooled = calls.flatMap((call, index) => (isPooledCall(call) ? [{ index, number: call.trackingNumber, at: call.startedAt }] : []));
  const attributions: (CallAttribution | null)[] = calls.map(() => null);
  if (pooled.length === 0) return attributions;
  const holds = await dni.holdsAt(pooled);
  pooled.forEach((call, position) => {
    attributions[call.index] = creditCall(holds[position] ?? []);
  });
  return attributions;
}
