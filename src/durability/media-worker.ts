// Fetches each recording, voicemail and transcript from Vonage into our own storage, before
// Vonage deletes it (30 days after the call). Jobs come from the store under a lease, so any
// number of instances share the work and never fetch the same file at once; a failed attempt is
// tried again later, with a growing wait, until it succeeds or the file's 30 days are over; a
// crash mid-download leaves the job to be claimed again when its lease runs out, and no partial
// file (media-files.ts writes under a temporary name).

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { tokenGenerate } from '@vonage/jwt';
import { OutageLog, type Logger } from '../logger.js';
import type { MediaKind, MediaRecord } from '../domain/recordings.js';
import { allowedMediaUrl, hostForLog, type MediaHostPolicy } from '../security/media-hosts.js';
import { WrongSizeError, type MediaFiles } from '../store/media-files.js';
import type { MediaStore } from '../store/media-store.js';

/** A download that takes longer is abandoned and tried again. */
const DOWNLOAD_TIMEOUT_MS = 5 * 60_000;
/** Longer than a download may take, so a live download never loses its claim. */
const LEASE_MS = 2 * DOWNLOAD_TIMEOUT_MS;
/** The wait between attempts doubles from the first up to this. */
const MAX_RETRY_MS = 3600_000;
/** Far above a two-hour stereo MP3 (Vonage's longest recording). */
const MAX_FILE_BYTES = 1024 ** 3;
/** How long the JWT lives: one download. */
const TOKEN_TTL_SECONDS = 300;

export interface MediaWorkerSettings {
  applicationId: string;
  /** The application's private key (PEM), which signs each download's JWT. */
  privateKey: Buffer;
  hostPolicy: MediaHostPolicy;
  /** The wait before the second attempt. */
  firstRetryMs: number;
  /** How often the store is asked for due jobs when nothing nudges the worker. */
  pollMs: number;
}

interface StoredAs {
  contentType: string;
  extension: string;
}

const AUDIO_TYPES: Record<string, string> = { 'audio/mpeg': 'mp3', 'audio/mp3': 'mp3', 'audio/wav': 'wav', 'audio/x-wav': 'wav', 'audio/wave': 'wav', 'audio/ogg': 'ogg' };

/** What the file is served as later: the type Vonage named, if it is one we know, else the format we asked for. */
function storedAs(kind: MediaKind, contentTypeHeader: string | null): StoredAs {
  const type = (contentTypeHeader ?? '').split(';')[0]!.trim().toLowerCase();
  if (kind === 'transcript') return { contentType: 'application/json', extension: 'json' };
  const extension = AUDIO_TYPES[type];
  return extension ? { contentType: type === 'audio/mp3' ? 'audio/mpeg' : type, extension } : { contentType: 'audio/mpeg', extension: 'mp3' };
}

/** A failure worth trying again, with what the log may say about it. */
class AttemptFailed extends Error {
  override name = 'AttemptFailed';
}

export class MediaWorker {
  readonly #owner = `${hostname()}:${process.pid}:${randomUUID()}`;
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | null = null;
  #draining: Promise<void> | null = null;
  #again = false;
  readonly #claims: OutageLog;

  constructor(
    private readonly store: MediaStore,
    private readonly files: MediaFiles,
    private readonly settings: MediaWorkerSettings,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.#claims = new OutageLog(logger, 'media jobs not claimed; trying again later', 'media jobs claimed again');
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.nudge(), this.settings.pollMs);
    this.#timer.unref();
    this.nudge();
  }

  /** Looks for due jobs now (a webhook has just stored one). */
  nudge(): void {
    if (this.#abort.signal.aborted) return;
    if (this.#draining) {
      this.#again = true;
      return;
    }
    this.#draining = this.#drain()
      .then(() => this.#claims.success(), (error: unknown) => this.#claims.failure(error))
      .finally(() => {
        this.#draining = null;
        if (this.#again) {
          this.#again = false;
          this.nudge();
        }
      });
  }

  /** Abandons the download in flight (its job is tried again at once by the next instance to look) and stops. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#abort.abort();
    await this.#draining;
  }

  async #drain(): Promise<void> {
    while (!this.#abort.signal.aborted) {
      const job = await this.store.claimMediaJob(this.#owner, this.now(), LEASE_MS);
      if (job === null) return;
      await this.#attempt(job);
    }
  }

  async #attempt(job: MediaRecord): Promise<void> {
    const now = this.now();
    if (now > job.expiresAt) {
      await this.#giveUp(job, 'expired: Vonage has deleted the file');
      return;
    }
    const url = allowedMediaUrl(job.url, this.settings.hostPolicy);
    if (url === null) {
      // The webhook refuses such URLs; this guards jobs stored under another setting.
      this.logger.warn('media URL refused: not a Vonage host; nothing fetched', { id: job.id, host: hostForLog(job.url) });
      await this.#giveUp(job, 'host not allowed');
      return;
    }
    try {
      const stored = await this.#download(job, url);
      const completed = await this.store.completeMediaJob(job.id, this.#owner, stored);
      if (completed) this.logger.info('media stored', { id: job.id, kind: job.kind, bytes: stored.storedBytes, attempt: job.attempts });
      else if ((await this.store.findMedia(job.id)) === null) {
        // Deleted while it downloaded (an erasure, retention, DELETE): the file must not outlive it.
        await this.files.remove(stored.fileKey);
        this.logger.info('media deleted while it downloaded; its file is removed', { id: job.id, kind: job.kind });
      } else this.logger.warn('media stored after its claim ran out; the other instance\'s copy is the same file', { id: job.id });
    } catch (error) {
      if (this.#abort.signal.aborted) {
        await this.store.failMediaJob(job.id, this.#owner, 'stopped mid-download', now);
        return;
      }
      const reason = error instanceof AttemptFailed || error instanceof WrongSizeError ? error.message : 'download interrupted';
      const retryAt = this.#retryAt(job);
      if (retryAt === null) await this.#giveUp(job, reason);
      else {
        this.logger.warn('media download failed; will try again', { id: job.id, attempt: job.attempts, reason, retryAt: retryAt.toISOString() });
        await this.store.failMediaJob(job.id, this.#owner, reason, retryAt);
      }
    }
  }

  async #download(job: MediaRecord, url: URL) {
    const token = tokenGenerate(this.settings.applicationId, this.settings.privateKey, { ttl: TOKEN_TTL_SECONDS });
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${token}` },
      // A redirect could lead anywhere; Vonage serves the file itself.
      redirect: 'manual',
      signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS)]),
    });
    if (response.status !== 200 || response.body === null) {
      await response.body?.cancel();
      throw new AttemptFailed(`HTTP ${response.status}`);
    }
    const as = storedAs(job.kind, response.headers.get('content-type'));
    const fileKey = `${job.id}.${as.extension}`;
    const storedBytes = await this.files.save(fileKey, response.body, { expectedBytes: job.sizeBytes, maxBytes: MAX_FILE_BYTES });
    return { fileKey, storedBytes, contentType: as.contentType };
  }

  /** When to try again: the wait doubles with each attempt; null once the file will be gone by then. */
  #retryAt(job: MediaRecord): Date | null {
    const waitMs = Math.min(this.settings.firstRetryMs * 2 ** Math.min(job.attempts - 1, 30), MAX_RETRY_MS);
    // Up to a quarter more, so instances that failed together do not retry together.
    const retryAt = new Date(this.now().getTime() + waitMs * (1 + Math.random() / 4));
    return retryAt > job.expiresAt ? null : retryAt;
  }

  async #giveUp(job: MediaRecord, reason: string): Promise<void> {
    this.logger.error('media not fetched and given up', { id: job.id, kind: job.kind, attempts: job.attempts, reason });
    await this.store.failMediaJob(job.id, this.#owner, reason, null);
  }
}
