// What the stores keep of recordings, voicemails and transcripts: the jobs the webhooks hand over
// and the media worker claims, one at a time per file, under a lease.

import type { MediaJob, MediaRecord } from '../domain/recordings.js';

export interface StoredFile {
  fileKey: string;
  storedBytes: number;
  contentType: string;
}

export interface MediaStore {
  /** Keeps a job; an id already kept is left as it is (a retried webhook). */
  saveMediaJob(job: MediaJob): Promise<void>;
  /**
   * Claims the pending job due first (its nextAttemptAt passed, no live lease) for `leaseMs`,
   * atomically: two instances never hold the same job.
   */
  claimMediaJob(owner: string, now: Date, leaseMs: number): Promise<MediaRecord | null>;
  /** Marks a claimed job stored; false when `owner`'s lease was lost (another instance took it). */
  completeMediaJob(id: string, owner: string, file: StoredFile): Promise<boolean>;
  /** Records a failed attempt: tried again at `retryAt`, or given up when it is null. */
  failMediaJob(id: string, owner: string, error: string, retryAt: Date | null): Promise<void>;
  findMedia(id: string): Promise<MediaRecord | null>;
  /** The media of these conversations, oldest first. */
  listMediaOf(conversationUuids: readonly string[]): Promise<MediaRecord[]>;
  /** Up to `limit` records received before `cutoff` (for retention). */
  listMediaReceivedBefore(cutoff: Date, limit: number): Promise<MediaRecord[]>;
  /** Returns false when there was no such record. */
  deleteMedia(id: string): Promise<boolean>;
}
