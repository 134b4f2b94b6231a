// How far a call has got along its route, carried in the query string of the event URL its
// connect leg reports to. Vonage calls back exactly the URL we gave it, so any instance behind
// the balancer can answer the next step without shared memory or a database read. Vonage does
// not sign a query, so the progress carries a MAC (security/callback-mac.ts) and is used only
// once that proves it ours: a replay with another turn, tried or number steers nothing.

import { MAC_PARAMETER, type CallbackMac } from '../security/callback-mac.js';

export interface RouteProgress {
  /** Whose route: the number the caller dialled (null when Vonage sent no `to`). */
  trackingNumber: string | null;
  /** The call's round-robin turn (0 for in_order routes). */
  turn: number;
  /** How many destinations this call has rung, the failing one included. */
  tried: number;
}

/** The progress as an event URL states it, with the MAC it came with: not yet proven ours. */
export interface ClaimedProgress {
  progress: RouteProgress;
  mac: unknown;
}

/**
 * Where a call stands when its progress cannot be proven: a call to no tracking number that has
 * rung nobody yet, whose route is the default one (PROXY_TO_NUMBER), so that the caller is
 * still connected and nothing of a route's destinations is given away.
 */
export const UNPROVEN_PROGRESS: RouteProgress = Object.freeze({ trackingNumber: null, turn: 0, tried: 0 });

/** Upper bound on either counter: far above any route, small enough to stay exact. */
const MAX_COUNTER = 1_000_000_000;

const macValues = (progress: RouteProgress) => [progress.trackingNumber ?? '', String(progress.turn), String(progress.tried)];

/** Where a connect's leg reports its events: the event webhook, with the route's progress when given. */
export function legEventUrl(publicUrl: string, progress: RouteProgress | null, mac: CallbackMac): string {
  if (progress === null) return `${publicUrl}/event`;
  const query = new URLSearchParams({ turn: String(progress.turn), tried: String(progress.tried) });
  if (progress.trackingNumber !== null) query.set('number', progress.trackingNumber);
  const proof = mac.sign('route-progress', macValues(progress));
  if (proof !== null) query.set(MAC_PARAMETER, proof);
  return `${publicUrl}/event?${query}`;
}

const counter = (value: unknown): number | null => {
  if (typeof value !== 'string' || !/^\d{1,10}$/.test(value)) return null;
  const parsed = Number(value);
  return parsed <= MAX_COUNTER ? parsed : null;
};

/** The progress in an event webhook's query, or null when it carries none (or not in our form). */
export function parseRouteProgress(query: Record<string, unknown>): ClaimedProgress | null {
  const turn = counter(query.turn);
  const tried = counter(query.tried);
  if (turn === null || tried === null || tried === 0) return null;
  const number = query.number;
  if (number !== undefined && (typeof number !== 'string' || !/^\d{1,15}$/.test(number))) return null;
  return { progress: { trackingNumber: number ?? null, turn, tried }, mac: query[MAC_PARAMETER] };
}

/** The claimed progress when its MAC proves it ours, else null. */
export function provenProgress(claim: ClaimedProgress, mac: CallbackMac): RouteProgress | null {
  return mac.verifies('route-progress', macValues(claim.progress), claim.mac) ? claim.progress : null;
}
