// RECORDING_RETENTION_DAYS: recordings, voicemails and transcripts older than that are deleted,
// files and rows (store/remove-media.ts).

import type { Logger } from '../logger.js';
import type { MediaFiles } from '../store/media-files.js';
import type { MediaStore } from '../store/media-store.js';
import { removeMediaReceivedBefore } from '../store/remove-media.js';

const DAY_MS = 24 * 3600_000;

export class MediaRetention {
  #timer: NodeJS.Timeout | null = null;
  #sweeping: Promise<number> | null = null;

  constructor(
    private readonly store: MediaStore,
    private readonly files: MediaFiles,
    private readonly retentionDays: number,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Sweeps now and then every `intervalMs`. */
  start(intervalMs: number): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.sweep(), intervalMs);
    this.#timer.unref();
    void this.sweep();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#sweeping;
  }

  /** Deletes what is past its time; returns how many were deleted. */
  sweep(): Promise<number> {
    this.#sweeping ??= this.#sweep()
      .catch((error: unknown) => {
        this.logger.warn('old recordings not deleted; trying again at the next sweep', { error: String(error) });
        return 0;
      })
      .finally(() => {
        this.#sweeping = null;
      });
    return this.#sweeping;
  }

  async #sweep(): Promise<number> {
    const cutoff = new Date(this.now().getTime() - this.retentionDays * DAY_MS);
    const deleted = await removeMediaReceivedBefore(this.store, this.files, cutoff);
    if (deleted > 0) this.logger.info('old recordings deleted', { deleted, retentionDays: this.retentionDays });
    return deleted;
  }
}
