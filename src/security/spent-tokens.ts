// Remembers each signed webhook token (its jti) for as long as it could be accepted, with the
// request it served, so that a token serves one request only.
//
// The memory is this instance's own, not shared through the store, because the answer webhook
// must never wait on the database (and during an outage a shared check could only drop callers
// or let replays through). Per instance is safe enough because each token is bound to its body
// before it gets here (payload_hash), and signed webhooks whose fields sit in the query are
// refused: replayed to another instance, a token can only repeat its body, which the stores
// take once (calls are keyed by uuid, a repeated event changes nothing). What Vonage does not
// sign is the path and query, so there a replay may differ once: a whisper fetched for another
// number (its text only), or a failed leg's event with another route progress in its query
// (which destination a route rings next). README's "Signed webhooks" says so. On this instance
// the same token on another path, query or body is refused, and the identical request again
// (Vonage retries a webhook it got no timely answer to) is answered as before.

/** Far above one business's webhooks in any window; bounds the memory whatever the load. */
export const MAX_REMEMBERED_TOKENS = 50_000;

/** How a token presented now relates to what it served before. */
export type TokenUse = 'first' | 'same-request' | 'other-request';

interface Spent {
  requestFingerprint: string;
  forgetAtSeconds: number;
}

export class SpentTokens {
  // Insertion order is expiry order: every entry is kept for the same span from the time it is added.
  readonly #spent = new Map<string, Spent>();
  #overflowing = false;

  constructor(
    private readonly rememberSeconds: number,
    /** Called once each time the memory fills and the oldest tokens start to be forgotten early. */
    private readonly onOverflow: () => void,
    private readonly capacity = MAX_REMEMBERED_TOKENS,
  ) {}

  /** Records that `jti` served the request with this fingerprint, unless it already served one. */
  spend(jti: string, requestFingerprint: string, nowSeconds: number): TokenUse {
    this.#forgetExpired(nowSeconds);
    const spent = this.#spent.get(jti);
    if (spent) return spent.requestFingerprint === requestFingerprint ? 'same-request' : 'other-request';
    if (this.#spent.size >= this.capacity) {
      this.#spent.delete(this.#spent.keys().next().value!);
      if (!this.#overflowing) this.onOverflow();
      this.#overflowing = true;
    } else {
      this.#overflowing = false;
    }
    this.#spent.set(jti, { requestFingerprint, forgetAtSeconds: nowSeconds + this.rememberSeconds });
    return 'first';
  }

  get size(): number {
    return this.#spent.size;
  }

  #forgetExpired(nowSeconds: number): void {
    for (const [jti, spent] of this.#spent) {
      if (spent.forgetAtSeconds > nowSeconds) return;
      this.#spent.delete(jti);
    }
  }
}
