// Deletes calls (with their events and webhook deliveries) older than CALL_RETENTION_DAYS, at
// start-up and then hourly. Small batches, each its own short transaction, with a turn of the
// event loop between them: SQLite's writes are synchronous, and webhooks must never wait behind
// a long delete. Report buckets are not touched (aggregates hold no personal data).
// Recordings, voicemails and transcripts received before the cutoff go with the calls, files and
// rows: one arrives minutes after its call starts, so it goes at the latest a sweep after its call.
// Website visits (their tags, click id, pages) go once their number holds ended before the
// cutoff: the calls they brought keep their credit.

import type { Logger } from '../logger.js';
import type { CallStore } from '../store/call-store.js';
import type { MediaFiles } from '../store/media-files.js';
import { removeMediaReceivedBefore } from '../store/remove-media.js';

const DAY_MS = 86_400_000;
const SWEEP_INTERVAL_MS = 3_600_000;
/** Calls deleted per transaction. */
export const RETENTION_BATCH = 200;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class RetentionSweeper {
  #timer: NodeJS.Timeout | null = null;
  #sweeping: Promise<number> | null = null;
  #stopped = false;

  constructor(
    private readonly store: CallStore,
    private readonly retentionDays: number,
    private readonly logger: Logger,
    /** Where the recordings' files are. */
    private readonly mediaFiles: MediaFiles,
    private readonly now: () => Date = () => new Date(),
  ) {}

  start(): void {
    void this.sweep();
    this.#timer = setInterval(() => void this.sweep(), SWEEP_INTERVAL_MS);
    this.#timer.unref();
  }

  /** Deletes every call started before the cutoff; resolves with how many. */
  sweep(): Promise<number> {
    this.#sweeping ??= this.#deleteOld().finally(() => {
      this.#sweeping = null;
    });
    return this.#sweeping;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#sweeping;
  }

  async #deleteOld(): Promise<number> {
    const cutoff = new Date(this.now().getTime() - this.retentionDays * DAY_MS);
    let deleted = 0;
    let recordings = 0;
    let visitHolds = 0;
    try {
      deleted = await this.#inBatches((limit) => this.store.deleteCallsBefore(cutoff, limit));
      if (!this.#stopped) recordings = await removeMediaReceivedBefore(this.store.media, this.mediaFiles, cutoff);
      if (!this.#stopped) visitHolds = await this.#inBatches((limit) => this.store.dni.deleteHoldsBefore(cutoff, limit));
    } catch (error) {
      this.logger.warn('retention: deleting old calls failed; trying again at the next sweep', { error: String(error) });
    }
    if (deleted > 0 || recordings > 0 || visitHolds > 0) {
      this.logger.info('retention: old calls deleted', { calls: deleted, recordings, visitHolds, before: cutoff.toISOString() });
    }
    return deleted;
  }

  /** Runs `deleteBatch` until a batch comes back short (or the sweeper stops); returns the total. */
  async #inBatches(deleteBatch: (limit: number) => Promise<number>): Promise<number> {
    let deleted = 0;
    for (;;) {
      const batch = await deleteBatch(RETENTION_BATCH);
      deleted += batch;
      if (batch < RETENTION_BATCH || this.#stopped) return deleted;
      await nextTurn();
    }
  }
}
