// Gives website visits their numbers: a visit keeps its number while held, and asks again when
// its hold has ended. The rule is rankHoldPlans'; the store makes taking a number atomic.

import { randomBytes } from 'node:crypto';
import type { DniStore } from '../../store/dni-store.js';
import { rankHoldPlans, type Hold } from './pools.js';
import type { VisitSource } from './visit-source.js';

export type NumberRequestOutcome = ({ kind: 'held' } & NumberForVisit) | { kind: 'no_pool' } | { kind: 'refused' };

export interface NumberForVisit {
  visitId: string;
  number: string;
  replacesNumber: string;
  heldUntil: Date;
  /** From now until heldUntil. */
  holdSeconds: number;
  /** The number was taken from a visit still holding it: the pool is too small. */
  reused: boolean;
  /** A new hold was created (rather than the visit's own renewed). */
  newHold: boolean;
}

/** Unguessable ids: a visit id is the only key to a visit's hold. */
export const newDniId = () => randomBytes(16).toString('base64url');

export class NumberAssigner {
  constructor(
    private readonly store: DniStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * The visit's number: its own while held, else a new hold, unless `mayTakeNewHold` is false
   * (the client used up its allowance). no_pool: the pool does not exist or has no numbers.
   */
  async numberFor(poolId: string, visitId: string | null, source: VisitSource, mayTakeNewHold = true): Promise<NumberRequestOutcome> {
    const newHoldId = newDniId();
    const now = this.now();
    let refused = false;
    const result = await this.store.holdNumber(
      { poolId, visitId, newVisit: { id: newDniId(), source }, newHoldId, now },
      (state) => {
        const plans = rankHoldPlans(state, now);
        if (mayTakeNewHold) return plans;
        const keep = plans.filter((plan) => plan.kind === 'keep');
        refused = keep.length === 0 && plans.length > 0;
        return keep;
      },
    );
    if (refused) return { kind: 'refused' };
    if (result === null) return { kind: 'no_pool' };
    const { hold } = result;
    return {
      kind: 'held', visitId: hold.visitId, number: hold.number, replacesNumber: result.replacesNumber, heldUntil: hold.heldUntil,
      holdSeconds: (hold.heldUntil.getTime() - now.getTime()) / 1000, reused: result.reused, newHold: hold.id === newHoldId,
    };
  }

  /** A heartbeat: null once the visit's hold has ended or its number went to another visit. */
  async renew(visitId: string): Promise<(Hold & { holdSeconds: number }) | null> {
    const now = this.now();
    const hold = await this.store.renewHold(visitId, now);
    return hold && { ...hold, holdSeconds: (hold.heldUntil.getTime() - now.getTime()) / 1000 };
  }
}
