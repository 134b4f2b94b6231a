// Recordings in the SQLite file. A claim is one UPDATE … RETURNING, which SQLite runs under its
// write lock: two processes sharing the file never claim the same row.

import type Database from 'better-sqlite3';
import type { RecordingKind } from '../../domain/recording-urls.js';
import type { MediaJob, MediaRecord } from '../../domain/recordings.js';
import type { MediaStore, StoredFile } from '../media-store.js';
import { mediaRowToRecord, type MediaRow } from '../sql-rows.js';

export class SqliteMediaStore implements MediaStore {
  readonly #statements;
  readonly #save: (job: MediaJob) => void;
  readonly #complete: (id: string, owner: string, file: StoredFile) => boolean;

  /**
   * `onRecording` marks the conversation's calls recorded or voicemail, for the reports, in the
   * transaction that keeps a new recording's job; `onStored` writes the outgoing webhook events
   * of a file now stored, in the transaction that marks it so.
   */
  constructor(
    db: Database.Database,
    onRecording: (conversationUuid: string, kind: RecordingKind) => void,
    onStored: (record: MediaRecord) => void,
  ) {
    this.#statements = {
      save: db.prepare(`
        INSERT INTO media (id, kind, conversation_uuid, recording_id, url, size_bytes, started_at, ended_at, received_at, expires_at,
          status, attempts, next_attempt_at)
        VALUES (@id, @kind, @conversationUuid, @recordingId, @url, @sizeBytes, @startedAt, @endedAt, @receivedAt, @expiresAt,
          'pending', 0, @receivedAt)
        ON CONFLICT (id) DO NOTHING`),
      claim: db.prepare<{ owner: string; now: number; until: number }, MediaRow>(`
        UPDATE media SET lease_owner = @owner, lease_until = @until, attempts = attempts + 1
        WHERE id = (
          SELECT id FROM media
          WHERE status = 'pending' AND next_attempt_at <= @now AND (lease_until IS NULL OR lease_until < @now)
          ORDER BY next_attempt_at LIMIT 1)
        RETURNING *`),
      complete: db.prepare<Record<string, unknown>, MediaRow>(`
        UPDATE media SET status = 'stored', file_key = @fileKey, stored_bytes = @storedBytes, content_type = @contentType,
          last_error = NULL, lease_owner = NULL, lease_until = NULL
        WHERE id = @id AND lease_owner = @owner
        RETURNING *`),
      fail: db.prepare(`
        UPDATE media SET last_error = @error, lease_owner = NULL, lease_until = NULL,
          status = iif(@retryAt IS NULL, 'failed', status), next_attempt_at = coalesce(@retryAt, next_attempt_at)
        WHERE id = @id AND lease_owner = @owner`),
      find: db.prepare<[string], MediaRow>('SELECT * FROM media WHERE id = ?'),
      ofConversations: db.prepare<[string], MediaRow>(`
        SELECT * FROM media WHERE conversation_uuid IN (SELECT value FROM json_each(?)) ORDER BY received_at, id`),
      receivedBefore: db.prepare<[number, number], MediaRow>('SELECT * FROM media WHERE received_at < ? ORDER BY received_at LIMIT ?'),
      delete: db.prepare<[string]>('DELETE FROM media WHERE id = ?'),
    };
    this.#save = db.transaction((job: MediaJob) => {
      const { changes } = this.#statements.save.run({
        ...job,
        startedAt: job.startedAt?.getTime() ?? null,
        endedAt: job.endedAt?.getTime() ?? null,
        receivedAt: job.receivedAt.getTime(),
        expiresAt: job.expiresAt.getTime(),
      });
      if (changes > 0 && job.kind !== 'transcript') onRecording(job.conversationUuid, job.kind);
    });
    this.#complete = db.transaction((id: string, owner: string, file: StoredFile) => {
      const row = this.#statements.complete.get({ id, owner, ...file });
      if (row) onStored(mediaRowToRecord(row));
      return row !== undefined;
    });
  }

  async saveMediaJob(job: MediaJob): Promise<void> {
    this.#save(job);
  }

  async claimMediaJob(owner: string, now: Date, leaseMs: number): Promise<MediaRecord | null> {
    const row = this.#statements.claim.get({ owner, now: now.getTime(), until: now.getTime() + leaseMs });
    return row ? mediaRowToRecord(row) : null;
  }

  async completeMediaJob(id: string, owner: string, file: StoredFile): Promise<boolean> {
    return this.#complete(id, owner, file);
  }

  async failMediaJob(id: string, owner: string, error: string, retryAt: Date | null): Promise<void> {
    this.#statements.fail.run({ id, owner, error, retryAt: retryAt?.getTime() ?? null });
  }

  async findMedia(id: string): Promise<MediaRecord | null> {
    const row = this.#statements.find.get(id);
    return row ? mediaRowToRecord(row) : null;
  }

  async listMediaOf(conversationUuids: readonly string[]): Promise<MediaRecord[]> {
    if (conversationUuids.length === 0) return [];
    return this.#statements.ofConversations.all(JSON.stringify(conversationUuids)).map(mediaRowToRecord);
  }

  async listMediaReceivedBefore(cutoff: Date, limit: number): Promise<MediaRecord[]> {
    return this.#statements.receivedBefore.all(cutoff.getTime(), limit).map(mediaRowToRecord);
  }

  async deleteMedia(id: string): Promise<boolean> {
    return this.#statements.delete.run(id).changes === 1;
  }
}
