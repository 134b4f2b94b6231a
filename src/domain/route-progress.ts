// How far a call has got along its route, carried in the query string of the event URL its
// connect leg reports to. Vonage calls back exactly the URL we gave it, so any instance behind
// the balancer can answer the next step without shared memory or a database read; a forged
// query string changes nothing, as only Vonage's own request's answer steers a call.

export interface RouteProgress {
  /** Whose route: the number the caller dialled (null when Vonage sent no `to`). */
  trackingNumber: string | null;
  /** The call's round-robin turn (0 for in_order routes). */
  turn: number;
  /** How many destinations this call has rung, the failing one included. */
  tried: number;
}

/** Upper bound on either counter: far above any route, small enough to stay exact. */
const MAX_COUNTER = 1_000_000_000;

/** Where a connect's leg reports its events: the event webhook, with the route's progress when given. */
export function legEventUrl(publicUrl: string, progress: RouteProgress | null): string {
  if (progress === null) return `${publicUrl}/event`;
  const query = new URLSearchParams({ turn: String(progress.turn), tried: String(progress.tried) });
  if (progress.trackingNumber !== null) query.set('number', progress.trackingNumber);
  return `${publicUrl}/event?${query}`;
}

const counter = (value: unknown): number | null => {
  if (typeof value !== 'string' || !/^\d{1,10}$/.test(value)) return null;
  const parsed = Number(value);
  return parsed <= MAX_COUNTER ? parsed : null;
};

/** The progress in an event webhook's query, or null when it carries none (or not ours). */
export function parseRouteProgress(query: Record<string, unknown>): RouteProgress | null {
  const turn = counter(query.turn);
  const tried = counter(query.tried);
  if (turn === null || tried === null || tried === 0) return null;
  const number = query.number;
  if (number !== undefined && (typeof number !== 'string' || !/^\d{1,15}$/.test(number))) return null;
  return { trackingNumber: number ?? null, turn, tried };
}
