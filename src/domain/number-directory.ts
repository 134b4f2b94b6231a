// The tracking numbers (with their routes), the numbers of the number pools and the global block
// list, kept in memory so the answer and event webhooks never wait on the database to learn where
// a call goes, or whether the store must look up the website visit it came from. Changes made here
// apply at once; changes made by another instance arrive with the next periodic refresh.

import { emptyBlockList, type BlockList } from './block-list.js';
import { OutageLog, type Logger } from '../logger.js';
import type { CallStore } from '../store/call-store.js';
import type { TrackingNumber } from './tracking-numbers.js';

export class NumberDirectory {
  #entries = new Map<string, TrackingNumber>();
  #poolNumbers = new Set<string>();
  #blockList: BlockList = emptyBlockList();
  #timer: NodeJS.Timeout | null = null;
  #refreshing: Promise<void> | null = null;
  readonly #refreshes: OutageLog;

  constructor(
    private readonly store: CallStore,
    private readonly refreshMs: number,
    logger: Logger,
  ) {
    this.#refreshes = new OutageLog(logger, 'tracking numbers not refreshed; using the last copy', 'tracking numbers refreshed again');
  }

  /** Loads the numbers, pools and block list; at start-up a store that cannot answer is a reason not to start. */
  async load(): Promise<void> {
    const [entries, blockList] = await Promise.all([this.store.listTrackingNumbers(), this.store.getBlockList(), this.reloadPools()]);
    this.#entries = new Map(entries.map((entry) => [entry.number, entry]));
    this.#blockList = blockList;
  }

  /** Re-reads the pools' numbers (also after a pool was saved or deleted here). */
  async reloadPools(): Promise<void> {
    const pools = await this.store.dni.listPools();
    this.#poolNumbers = new Set(pools.flatMap((pool) => pool.numbers));
  }

  /** Re-reads the numbers every refreshMs; a failed refresh keeps the last good copy. */
  startRefreshing(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.#timer.unref();
  }

  stopRefreshing(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  async refresh(): Promise<void> {
    // One refresh at a time: a slow store must not pile up queries.
    this.#refreshing ??= this.load()
      .then(() => this.#refreshes.success(), (error: unknown) => this.#refreshes.failure(error))
      .finally(() => {
        this.#refreshing = null;
      });
    return this.#refreshing;
  }

  lookup(number: string | null): TrackingNumber | undefined {
    return number === null ? undefined : this.#entries.get(number);
  }

  /** Whether the number belongs to a number pool: calls to it are credited to website visits. */
  isPoolNumber(number: string | null): boolean {
    return number !== null && this.#poolNumbers.has(number);
  }

  list(): TrackingNumber[] {
    return [...this.#entries.values()].sort((a, b) => a.number.localeCompare(b.number));
  }

  async save(entry: TrackingNumber): Promise<void> {
    await this.store.saveTrackingNumber(entry);
    this.#entries.set(entry.number, entry);
  }

  /** The block list that applies to every number. */
  blockList(): BlockList {
    return this.#blockList;
  }

  async saveBlockList(list: BlockList): Promise<void> {
    await this.store.saveBlockList(list);
    this.#blockList = list;
  }

  async delete(number: string): Promise<boolean> {
    const existed = await this.store.deleteTrackingNumber(number);
    this.#entries.delete(number);
    return existed;
  }
}
