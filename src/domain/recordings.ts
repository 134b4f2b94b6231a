// Recordings, voicemails and transcripts: files Vonage keeps for 30 days after the call, each
// fetched once into our own storage by the media worker (durability/media-worker.ts).

import type { RecordingKind } from './recording-urls.js';

/** A conversation's recording, a voicemail, or the transcript of either. */
export type MediaKind = RecordingKind | 'transcript';

/** How long Vonage keeps a recording after the call: no download is tried after this. */
export const VONAGE_RETENTION_MS = 30 * 24 * 3600 * 1000;

/** What a recording or transcription webhook asks us to fetch, as stored before it is answered. */
export interface MediaJob {
  /** Vonage's recording_uuid; a transcript's is `transcript-<recording_uuid>`. */
  id: string;
  kind: MediaKind;
  /** The call's conversation: the webhook carries no call uuid. */
  conversationUuid: string;
  /** For a transcript: the recording it transcribes. */
  recordingId: string | null;
  /** Where Vonage serves the file; only ever fetched from an allowed host. */
  url: string;
  /** What Vonage says the file holds; null when it does not say (transcripts). */
  sizeBytes: number | null;
  /** When the recording started and ended, as Vonage stamps them. */
  startedAt: Date | null;
  endedAt: Date | null;
  receivedAt: Date;
  /** No download is tried after this: Vonage has deleted the file. */
  expiresAt: Date;
}

export type MediaStatus = 'pending' | 'stored' | 'failed';

export interface MediaRecord extends MediaJob {
  status: MediaStatus;
  attempts: number;
  nextAttemptAt: Date;
  /** Where the file lies in the media storage, once stored. */
  fileKey: string | null;
  storedBytes: number | null;
  contentType: string | null;
  /** Why the last attempt failed (no personal data: a status or an error code). */
  lastError: string | null;
}

export const transcriptIdOf = (recordingId: string) => `transcript-${recordingId}`;
