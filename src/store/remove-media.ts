// Deleting recordings, voicemails and transcripts: the file first and then the row, so a crash
// between the two leaves a row whose file is gone (shown as missing) rather than a file nothing
// points to. Used by the recordings API, both retention sweeps and a caller's erasure.

import type { MediaRecord } from '../domain/recordings.js';
import type { MediaFiles } from './media-files.js';
import type { MediaStore } from './media-store.js';

/** Deleted per store query, so a long backlog never holds one huge result. */
const SWEEP_BATCH = 500;

/** Deletes each record's file and row; returns how many rows were deleted. */
export async function removeMedia(store: MediaStore, files: MediaFiles, records: readonly MediaRecord[]): Promise<number> {
  let deleted = 0;
  for (const listed of records) {
    // Listed before its download completed, a record may name its file by now: read it again.
    const media = listed.fileKey === null ? await store.findMedia(listed.id) : listed;
    if (media === null) continue;
    if (media.fileKey !== null) await files.remove(media.fileKey);
    if (await store.deleteMedia(media.id)) deleted += 1;
  }
  return deleted;
}

/** Deletes every record received before `cutoff`, files and rows; returns how many. */
export async function removeMediaReceivedBefore(store: MediaStore, files: MediaFiles, cutoff: Date): Promise<number> {
  let deleted = 0;
  for (;;) {
    const batch = await store.listMediaReceivedBefore(cutoff, SWEEP_BATCH);
    deleted += await removeMedia(store, files, batch);
    if (batch.length < SWEEP_BATCH) return deleted;
  }
}
