// Recordings kept in memory (DATABASE_URL=memory:): for tests and throwaway runs.

import type { RecordingKind } from '../domain/recording-urls.js';
import type { MediaJob, MediaRecord } from '../domain/recordings.js';
import type { MediaStore, StoredFile } from './media-store.js';

interface Lease {
  owner: string;
  untilMs: number;
}

export class MemoryMediaStore implements MediaStore {
  readonly #records = new Map<string, MediaRecord>();
  readonly #leases = new Map<string, Lease>();

  /**
   * `onRecording` marks the conversation's calls recorded or voicemail, for the reports;
   * `onStored` writes the outgoing webhook events of a file now stored.
   */
  constructor(
    private readonly onRecording: (conversationUuid: string, kind: RecordingKind) => void,
    private readonly onStored: (record: MediaRecord) => void,
  ) {}

  async saveMediaJob(job: MediaJob): Promise<void> {
    if (this.#records.has(job.id)) return;
    this.#records.set(job.id, {
      ...job, status: 'pending', attempts: 0, nextAttemptAt: job.receivedAt, fileKey: null, storedBytes: null, contentType: null, lastError: null,
    });
    if (job.kind !== 'transcript') this.onRecording(job.conversationUuid, job.kind);
  }

  async claimMediaJob(owner: string, now: Date, leaseMs: number): Promise<MediaRecord | null> {
    const due = [...this.#records.values()]
      .filter((r) => r.status === 'pending' && r.nextAttemptAt <= now && (this.#leases.get(r.id)?.untilMs ?? 0) < now.getTime())
      .sort((a, b) => a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime());
    const record = due[0];
    if (!record) return null;
    this.#leases.set(record.id, { owner, untilMs: now.getTime() + leaseMs });
    record.attempts += 1;
    return { ...record };
  }

  async completeMediaJob(id: string, owner: string, file: StoredFile): Promise<boolean> {
    const record = this.#records.get(id);
    if (!record || this.#leases.get(id)?.owner !== owner) return false;
    Object.assign(record, { status: 'stored', lastError: null, ...file });
    this.#leases.delete(id);
    this.onStored({ ...record });
    return true;
  }

  async failMediaJob(id: string, owner: string, error: string, retryAt: Date | null): Promise<void> {
    const record = this.#records.get(id);
    if (!record || this.#leases.get(id)?.owner !== owner) return;
    record.lastError = error;
    if (retryAt === null) record.status = 'failed';
    else record.nextAttemptAt = retryAt;
    this.#leases.delete(id);
  }

  async findMedia(id: string): Promise<MediaRecord | null> {
    const record = this.#records.get(id);
    return record ? { ...record } : null;
  }

  async listMediaOf(conversationUuids: readonly string[]): Promise<MediaRecord[]> {
    const wanted = new Set(conversationUuids);
    return [...this.#records.values()]
      .filter((r) => wanted.has(r.conversationUuid))
      .sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || (a.id < b.id ? -1 : 1))
      .map((r) => ({ ...r }));
  }

  async listMediaReceivedBefore(cutoff: Date, limit: number): Promise<MediaRecord[]> {
    return [...this.#records.values()].filter((r) => r.receivedAt < cutoff).slice(0, limit).map((r) => ({ ...r }));
  }

  async deleteMedia(id: string): Promise<boolean> {
    this.#leases.delete(id);
    return this.#records.delete(id);
  }
}
