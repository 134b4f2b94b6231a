// Drives answer webhooks at servers with autocannon over loopback, the way Vonage sends them by
// default (GET, fields in the query string), shaped like real traffic: every request a call of
// its own, with random uuids, a new caller, and one of many tracking numbers.

import autocannon from 'autocannon';
import { randomInt, randomUUID } from 'node:crypto';

/** Distinct tracking numbers the calls are made to; the bench configures none of them. */
const TRACKING_NUMBERS = 1000;

/**
 * Paths of answer webhooks, one new call each: random uuids (as Vonage's are; unique across
 * runs too, for a PostgreSQL database that outlives the run), a caller never seen before in
 * the run, and the next of TRACKING_NUMBERS numbers.
 */
export function answerWebhookPaths(): () => string {
  const firstCaller = randomInt(1e8);
  let counter = 0;
  return () => {
    counter += 1;
    const to = `4420794${String(counter % TRACKING_NUMBERS).padStart(5, '0')}`;
    const from = `447${String((firstCaller + counter) % 1e9).padStart(9, '0')}`;
    return `/track-call?from=${from}&to=${to}&uuid=${randomUUID()}&conversation_uuid=CON-${randomUUID()}` +
      '&region_url=https%3A%2F%2Fapi-eu-1.vonage.com&endpoint_type=phone';
  };
}

export interface LoadOptions {
  /** Every target gets an equal share of the connections, all driven at once. */
  targets: string[];
  connections: number;
  /** Run for this long… */
  durationSeconds?: number;
  /** …or until this many requests have been answered. */
  amount?: number;
  nextPath: () => string;
}

export interface LoadResult {
  /** Responses received, of any status. */
  responses: number;
  ok: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  seconds: number;
  /** 2xx responses per second of wall time. */
  requestsPerSecond: number;
  /** Every response's latency in ms, for percentiles over several rounds. */
  latenciesMs: Float64Array;
  /** CPU time the servers used meanwhile, when the caller measured it. */
  serverCpuMicroseconds: number | null;
}

/** Sends answer webhooks at the targets and collects what came back. */
export async function driveLoad(options: LoadOptions): Promise<LoadResult> {
  const share = Math.max(1, Math.floor(options.connections / options.targets.length));
  const latencies = new LatencyLog();
  const started = performance.now();
  const results = await Promise.all(
    options.targets.map(
      (url) =>
        new Promise<autocannon.Result>((resolve, reject) => {
          const instance = autocannon(
            {
              url,
              connections: share,
              duration: options.durationSeconds ?? 10,
              amount: options.amount === undefined ? undefined : Math.ceil(options.amount / options.targets.length),
              requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: options.nextPath() }) }],
            },
            (error, result) => (error ? reject(error) : resolve(result)),
          );
          instance.on('response', (_client, _status, _bytes, responseTimeMs) => latencies.add(responseTimeMs));
        }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  const ok = results.reduce((sum, r) => sum + r['2xx'], 0);
  const non2xx = results.reduce((sum, r) => sum + r.non2xx, 0);
  return {
    responses: ok + non2xx,
    ok,
    non2xx,
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    seconds,
    requestsPerSecond: ok / seconds,
    latenciesMs: latencies.values(),
    serverCpuMicroseconds: null,
  };
}

/** A growable list of latencies; a few hundred thousand fit in a few megabytes. */
class LatencyLog {
  #values = new Float64Array(1 << 16);
  #length = 0;

  add(value: number): void {
    if (this.#length === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#length++] = value;
  }

  values(): Float64Array {
    return this.#values.slice(0, this.#length);
  }
}

/** Nearest-rank percentile of already sorted values; NaN when there are none. */
export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export interface LoadSummary {
  rounds: number;
  ok: number;
  non2xx: number;
  errors: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Server CPU time per 2xx answer: what the answer costs, whoever else wants the CPU. */
  cpuMicrosecondsPerRequest: number;
}

/** Sums rounds: throughput over their total time, percentiles over every latency of every round. */
export function summariseRounds(rounds: LoadResult[]): LoadSummary {
  const total = rounds.reduce((sum, r) => sum + r.latenciesMs.length, 0);
  const all = new Float64Array(total);
  let offset = 0;
  for (const round of rounds) {
    all.set(round.latenciesMs, offset);
    offset += round.latenciesMs.length;
  }
  all.sort();
  const ok = rounds.reduce((sum, r) => sum + r.ok, 0);
  const seconds = rounds.reduce((sum, r) => sum + r.seconds, 0);
  const cpu = rounds.reduce((sum, r) => sum + (r.serverCpuMicroseconds ?? Number.NaN), 0);
  return {
    rounds: rounds.length,
    ok,
    non2xx: rounds.reduce((sum, r) => sum + r.non2xx, 0),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    requestsPerSecond: seconds > 0 ? ok / seconds : 0,
    p50Ms: percentile(all, 50),
    p99Ms: percentile(all, 99),
    cpuMicrosecondsPerRequest: cpu / ok,
  };
}
