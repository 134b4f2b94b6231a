// Number pools for dynamic number insertion: which tracking numbers a website's visitors are
// shown, and the rule that gives a visit its number.

import type { VisitSource } from './visit-source.js';

export interface NumberPool {
  /** Short name used in the snippet's URL, e.g. "website". */
  id: string;
  /** The campaign calls to the pool's numbers are recorded under. */
  campaign: string | null;
  /** The business number the pool's numbers replace on the page, E.164 digits. */
  replacesNumber: string;
  /** E.164 digits; a number belongs to one pool at most. */
  numbers: string[];
  /** How long a number stays with a visit after the visit's last sign of life. */
  holdSeconds: number;
}

export const DEFAULT_HOLD_SECONDS = 30 * 60;

/** A pool number and its latest hold, as the store keeps it. */
export interface PoolNumberState {
  number: string;
  holdId: string | null;
  heldUntil: Date | null;
  lastSeenAt: Date | null;
}

/** One visit's tenure of one number: from when it was given until the visit's last sign of life plus the hold time. */
export interface Hold {
  id: string;
  visitId: string;
  poolId: string;
  number: string;
  heldFrom: Date;
  heldUntil: Date;
}

export interface HoldWithSource extends Hold {
  source: VisitSource;
}

/** What the store knows of a pool when a visit asks for a number. */
export interface PoolState {
  numbers: PoolNumberState[];
  /** The visit's latest hold, if the visit is known. */
  visitHold: Hold | null;
}

/**
 * keep: the visit's hold is live and its number still the visit's, renew it; assign: a new hold
 * on `number`, a `reused` one when every number of the pool was held (calls to it while both
 * holds are live cannot be told apart).
 */
export type HoldPlan = { kind: 'keep'; number: string } | { kind: 'assign'; number: string; reused: boolean };

const lastSeenMs = (state: PoolNumberState) => state.lastSeenAt?.getTime() ?? -Infinity;

const byLeastRecentlySeen = (a: PoolNumberState, b: PoolNumberState) =>
  lastSeenMs(a) - lastSeenMs(b) || (a.number < b.number ? -1 : a.number > b.number ? 1 : 0);

export const isHeld = (state: PoolNumberState, now: Date) => state.heldUntil !== null && state.heldUntil > now;

/**
 * What a visit may get, best first. It keeps its number while held. Otherwise it gets the free
 * number that rested longest (a number just let go may still be called by its last visitor),
 * and when none is free, the least recently active one. The store takes the first it can: on
 * PostgreSQL another instance may take a number between this ranking and its lock.
 */
export function rankHoldPlans(state: PoolState, now: Date): HoldPlan[] {
  const plans: HoldPlan[] = [];
  const hold = state.visitHold;
  if (hold !== null && hold.heldUntil > now) {
    const current = state.numbers.find((n) => n.number === hold.number);
    if (current?.holdId === hold.id) plans.push({ kind: 'keep', number: hold.number });
  }
  const ordered = [...state.numbers].sort(byLeastRecentlySeen);
  for (const n of ordered) if (!isHeld(n, now)) plans.push({ kind: 'assign', number: n.number, reused: false });
  for (const n of ordered) if (isHeld(n, now)) plans.push({ kind: 'assign', number: n.number, reused: true });
  return plans;
}

export const holdEnd = (now: Date, holdSeconds: number) => new Date(now.getTime() + holdSeconds * 1000);
