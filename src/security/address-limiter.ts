// Counts events per client address in fixed windows, in bounded memory: beyond `maxAddresses`
// the oldest entries are dropped, so a flood of addresses costs a few megabytes, never more.

import { isIP } from 'node:net';
import type { Request } from 'express';

const DEFAULT_MAX_ADDRESSES = 100_000;

interface Window {
  startMs: number;
  count: number;
}

export class AddressLimiter {
  readonly #windows = new Map<string, Window>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxAddresses = DEFAULT_MAX_ADDRESSES,
  ) {}

  /** True while the address has used less than its limit in the current window. */
  allows(address: string): boolean {
    const window = this.#windows.get(address);
    return !window || this.now() - window.startMs >= this.windowMs || window.count < this.limit;
  }

  count(address: string): void {
    const now = this.now();
    const window = this.#windows.get(address);
    if (window && now - window.startMs < this.windowMs) {
      window.count += 1;
      return;
    }
    this.#windows.delete(address);
    if (this.#windows.size >= this.maxAddresses) this.#evict(now);
    this.#windows.set(address, { startMs: now, count: 1 });
  }

  #evict(now: number): void {
    for (const [address, window] of this.#windows) if (now - window.startMs >= this.windowMs) this.#windows.delete(address);
    // Maps iterate in insertion order, and an entry is re-inserted when its window restarts:
    // the first entries are the oldest.
    let excess = this.#windows.size - Math.floor(this.maxAddresses * 0.9);
    for (const address of this.#windows.keys()) {
      if (excess-- <= 0) break;
      this.#windows.delete(address);
    }
  }

  get size(): number {
    return this.#windows.size;
  }
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/**
 * The client's address. Behind a reverse proxy or tunnel on this machine (ngrok, nginx) every
 * connection comes from loopback: then the address the proxy appended to X-Forwarded-For is the
 * client's. A forwarded address from anywhere else is ignored: anyone could write one.
 */
export function clientAddress(req: Request): string {
  const socketAddress = req.socket.remoteAddress ?? 'unknown';
  const forwarded = req.headers['x-forwarded-for'];
  if (!LOOPBACK.test(socketAddress) || typeof forwarded !== 'string') return socketAddress;
  const last = forwarded.split(',').at(-1)?.trim() ?? '';
  return isIP(last) ? last : socketAddress;
}
