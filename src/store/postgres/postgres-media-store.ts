// Recordings in PostgreSQL. A claim locks the row it picks with SKIP LOCKED inside one UPDATE:
// instances claiming at once each get a different row, never the same one.

import type pg from 'pg';
import type { RecordingKind } from '../../domain/recording-urls.js';
import type { MediaJob, MediaRecord } from '../../domain/recordings.js';
import type { MediaStore, StoredFile } from '../media-store.js';
import { mediaRowToRecord, type MediaRow } from '../sql-rows.js';

export class PostgresMediaStore implements MediaStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly transaction: <T>(work: (client: pg.PoolClient) => Promise<T>) => Promise<T>,
    /** Marks the conversation's calls recorded or voicemail, for the reports, in the job's transaction. */
    private readonly onRecording: (client: pg.PoolClient, conversationUuid: string, kind: RecordingKind) => Promise<void>,
    /** Writes the outgoing webhook events of a file now stored, in the transaction that marks it so. */
    private readonly onStored: (client: pg.PoolClient, record: MediaRecord) => Promise<void>,
  ) {}

  async saveMediaJob(job: MediaJob): Promise<void> {
    await this.transaction(async (client) => {
      const { rowCount } = await client.query(`
        INSERT INTO media (id, kind, conversation_uuid, recording_id, url, size_bytes, started_at, ended_at, received_at, expires_at,
          status, attempts, next_attempt_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', 0, $9)
        ON CONFLICT (id) DO NOTHING`,
      [job.id, job.kind, job.conversationUuid, job.recordingId, job.url, job.sizeBytes, job.startedAt, job.endedAt, job.receivedAt, job.expiresAt]);
      if (rowCount === 1 && job.kind !== 'transcript') await this.onRecording(client, job.conversationUuid, job.kind);
    });
  }

  async claimMediaJob(owner: string, now: Date, leaseMs: number): Promise<MediaRecord | null> {
    const { rows } = await this.pool.query<MediaRow>(`
      UPDATE media SET lease_owner = $1, lease_until = $3, attempts = attempts + 1
      WHERE id = (
        SELECT id FROM media
        WHERE status = 'pending' AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until < $2)
        ORDER BY next_attempt_at LIMIT 1
        FOR UPDATE SKIP LOCKED)
      RETURNING *`, [owner, now, new Date(now.getTime() + leaseMs)]);
    return rows[0] ? mediaRowToRecord(rows[0]) : null;
  }

  async completeMediaJob(id: string, owner: string, file: StoredFile): Promise<boolean> {
    return this.transaction(async (client) => {
      const { rows } = await client.query<MediaRow>(`
        UPDATE media SET status = 'stored', file_key = $3, stored_bytes = $4, content_type = $5,
          last_error = NULL, lease_owner = NULL, lease_until = NULL
        WHERE id = $1 AND lease_owner = $2
        RETURNING *`, [id, owner, file.fileKey, file.storedBytes, file.contentType]);
      if (rows[0]) await this.onStored(client, mediaRowToRecord(rows[0]));
      return rows.length === 1;
    });
  }

  async failMediaJob(id: string, owner: string, error: string, retryAt: Date | null): Promise<void> {
    await this.pool.query(`
      UPDATE media SET last_error = $3, lease_owner = NULL, lease_until = NULL,
        status = CASE WHEN $4::timestamptz IS NULL THEN 'failed' ELSE status END,
        next_attempt_at = coalesce($4::timestamptz, next_attempt_at)
      WHERE id = $1 AND lease_owner = $2`, [id, owner, error, retryAt]);
  }

  async findMedia(id: string): Promise<MediaRecord | null> {
    const { rows } = await this.pool.query<MediaRow>('SELECT * FROM media WHERE id = $1', [id]);
    return rows[0] ? mediaRowToRecord(rows[0]) : null;
  }

  async listMediaOf(conversationUuids: readonly string[]): Promise<MediaRecord[]> {
    if (conversationUuids.length === 0) return [];
    const { rows } = await this.pool.query<MediaRow>(
      'SELECT * FROM media WHERE conversation_uuid = ANY($1::text[]) ORDER BY received_at, id', [conversationUuids]);
    return rows.map(mediaRowToRecord);
  }

  async listMediaReceivedBefore(cutoff: Date, limit: number): Promise<MediaRecord[]> {
    const { rows } = await this.pool.query<MediaRow>('SELECT * FROM media WHERE received_at < $1 ORDER BY received_at LIMIT $2', [cutoff, limit]);
    return rows.map(mediaRowToRecord);
  }

  async deleteMedia(id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM media WHERE id = $1', [id]);
    return rowCount === 1;
  }
}
