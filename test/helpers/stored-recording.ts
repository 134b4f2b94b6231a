// A recording, voicemail or transcript as the media worker leaves it: its job kept, claimed, its
// file saved and the job completed, without a fake Vonage.

import assert from 'node:assert/strict';
import type { MediaKind } from '../../src/domain/recordings.js';
import type { CallStore } from '../../src/store/call-store.js';
import type { MediaFiles } from '../../src/store/media-files.js';

const DAY_MS = 86_400_000;

/** Keeps a recording of the call's conversation, received at `receivedAt`, and its file. */
export async function storeRecording(
  store: CallStore, files: MediaFiles, id: string, kind: MediaKind, conversationUuid: string, receivedAt: Date,
): Promise<string> {
  const bytes = Buffer.from(`audio of ${id}`);
  await store.media.saveMediaJob({
    id, kind, conversationUuid, recordingId: null, url: `https://api.nexmo.com/v1/files/${id}`, sizeBytes: bytes.length,
    startedAt: receivedAt, endedAt: receivedAt, receivedAt, expiresAt: new Date(receivedAt.getTime() + 30 * DAY_MS),
  });
  const claimed = await store.media.claimMediaJob('test', new Date(receivedAt.getTime() + 1), 60_000);
  assert.equal(claimed?.id, id);
  const fileKey = `${id}.mp3`;
  await files.save(fileKey, (async function* () { yield bytes; })(), { expectedBytes: bytes.length, maxBytes: 1024 });
  assert.ok(await store.media.completeMediaJob(id, 'test', { fileKey, storedBytes: bytes.length, contentType: 'audio/mpeg' }));
  return fileKey;
}
