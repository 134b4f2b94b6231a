// When a failed delivery is tried again: Standard Webhooks' schedule, with jitter so receivers
// coming back from an outage are not hit by every sender at the same instant.

/** Delay before attempt 2, 3, …, 10 (attempt 1 is immediate). After the last, the delivery fails. */
export const RETRY_DELAYS_MS: readonly number[] = [
  5_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 5 * 3_600_000, 10 * 3_600_000, 14 * 3_600_000, 20 * 3_600_000, 24 * 3_600_000,
];

/** Each delay is stretched or shrunk by up to this fraction, at random. */
const JITTER = 0.1;

/** A Retry-After longer than this is capped: the receiver is asked again within a day. */
const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/** The delay after failed attempt `attempt` (1-based), or null when that was the last. */
export function nextRetryDelayMs(attempt: number, delaysMs: readonly number[] = RETRY_DELAYS_MS, random = Math.random): number | null {
  const delay = delaysMs[attempt - 1];
  if (delay === undefined) return null;
  return Math.round(delay * (1 + JITTER * (2 * random() - 1)));
}

/** Retry-After as seconds or an HTTP date, in ms from `now`; null when absent or unreadable. */
export function parseRetryAfterMs(header: string | undefined, now: Date): number | null {
  if (header === undefined) return null;
  const trimmed = header.trim();
  const ms = /^\d+$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - now.getTime();
  if (!Number.isFinite(ms)) return null;
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}
