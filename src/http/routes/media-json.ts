// How a call's recordings, voicemail and transcripts look in the admin API and the dashboard.

import type { CallRecord } from '../../domain/calls.js';
import type { MediaRecord } from '../../domain/recordings.js';
import { transcriptIdOf } from '../../domain/recordings.js';
import type { MediaStore } from '../../store/media-store.js';
import { can, type Role } from '../../domain/team.js';

export const audioPath = (id: string) => `/api/recordings/${encodeURIComponent(id)}/audio`;
export const transcriptPath = (id: string) => `/api/recordings/${encodeURIComponent(id)}/transcript`;

export interface RecordingJson {
  id: string;
  /** call: the whole conversation (stereo); voicemail: a message left after every destination failed. */
  kind: 'call' | 'voicemail';
  /** pending: not downloaded yet (retried); stored: playable; failed: given up (see lastError). */
  status: MediaRecord['status'];
  startedAt: string | null;
  endedAt: string | null;
  sizeBytes: number | null;
  contentType: string | null;
  /** Null until stored. */
  audioUrl: string | null;
  /** Null when the recording is not transcribed (or its transcript has not arrived). */
  transcript: { status: MediaRecord['status']; url: string | null } | null;
  lastError: string | null;
}

export interface CallMediaJson {
  recordings: RecordingJson[];
  /** Whether the caller left a message. */
  voicemail: boolean;
}

function recordingToJson(recording: MediaRecord, transcript: MediaRecord | undefined): RecordingJson {
  const stored = recording.status === 'stored';
  return {
    id: recording.id,
    kind: recording.kind === 'voicemail' ? 'voicemail' : 'call',
    status: recording.status,
    startedAt: recording.startedAt?.toISOString() ?? null,
    endedAt: recording.endedAt?.toISOString() ?? null,
    sizeBytes: stored ? recording.storedBytes : recording.sizeBytes,
    contentType: recording.contentType,
    audioUrl: stored ? audioPath(recording.id) : null,
    transcript: transcript
      ? { status: transcript.status, url: transcript.status === 'stored' ? transcriptPath(recording.id) : null }
      : null,
    lastError: recording.lastError,
  };
}

/** Each call's media, found by its conversation (the recording webhook carries no call uuid). */
export async function mediaOfCalls(store: MediaStore, calls: readonly CallRecord[]): Promise<Map<CallRecord, CallMediaJson>> {
  const conversations = calls.flatMap((call) => (call.conversationUuid === null ? [] : [call.conversationUuid]));
  const media = await store.listMediaOf(conversations);
  const byId = new Map(media.map((record) => [record.id, record]));
  const result = new Map<CallRecord, CallMediaJson>();
  for (const call of calls) {
    const recordings = media
      .filter((record) => record.kind !== 'transcript' && record.conversationUuid === call.conversationUuid)
      .map((record) => recordingToJson(record, byId.get(transcriptIdOf(record.id))));
    result.set(call, { recordings, voicemail: recordings.some((r) => r.kind === 'voicemail') });
  }
  return result;
}

/**
 * As mediaOfCalls, for a role: a caller's voice is as personal as their number, so a role that
 * may not see callers gets no recordings, only whether a voicemail was left.
 */
export async function mediaOfCallsFor(role: Role, store: MediaStore, calls: readonly CallRecord[]): Promise<Map<CallRecord, CallMediaJson>> {
  const media = await mediaOfCalls(store, calls);
  if (can(role, 'callers')) return media;
  return new Map([...media].map(([call, { voicemail }]) => [call, { recordings: [], voicemail }]));
}
