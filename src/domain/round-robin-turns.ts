// Round-robin turns: the store counts each number's calls so that instances sharing it rotate as
// one, but the answer webhook waits for it only as long as its deadline allows. When the store is
// failing, slow or down, this instance carries on counting from the last turn it saw: rotation
// goes on, fair within the instance, and the store's count takes over again once it answers.

import type { Logger } from '../logger.js';
import type { CallStore } from '../store/call-store.js';

/** The promise's value if it settles within `waitMs`, else null; a late rejection is absorbed. */
function valueWithin<T>(promise: Promise<T>, waitMs: number): Promise<T | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), waitMs);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(null);
      },
    );
  });
}

/**
 * Calls whose turn this instance remembers: Vonage retries an answer webhook within seconds, and
 * this many covers those of far more calls than one instance answers in that time.
 */
const REMEMBERED_CALLS = 10_000;

export class RoundRobinTurns {
  /** The last turn this instance used, per tracking number. */
  readonly #lastTurn = new Map<string, number>();
  /** The turn given to each recent call (by its uuid), oldest first. */
  readonly #turnOfCall = new Map<string, number>();

  constructor(
    private readonly store: CallStore,
    private readonly logger: Logger,
  ) {}

  /**
   * The number's next turn: the store's, if it answers within `waitMs` (0: don't ask it). A call
   * this instance has already given a turn (Vonage retrying its answer webhook) gets that turn
   * again, so the retry rings the same phone and the rotation does not skip one.
   */
  async take(trackingNumber: string, callUuid: string | null, waitMs: number): Promise<number> {
    const given = callUuid === null ? undefined : this.#turnOfCall.get(callUuid);
    if (given !== undefined) return given;
    const stored = waitMs > 0 ? await valueWithin(this.store.takeRoundRobinTurn(trackingNumber), waitMs) : null;
    if (stored === null && waitMs > 0) this.logger.warn('round-robin turn counted in memory: the store did not answer in time', { trackingNumber });
    const turn = stored ?? (this.#lastTurn.get(trackingNumber) ?? -1) + 1;
    this.#lastTurn.set(trackingNumber, turn);
    if (callUuid !== null) {
      this.#turnOfCall.set(callUuid, turn);
      if (this.#turnOfCall.size > REMEMBERED_CALLS) this.#turnOfCall.delete(this.#turnOfCall.keys().next().value!);
    }
    return turn;
  }
}
