// The admin API's recordings: the audio, streamed with Range support so that a browser's audio
// player can seek; a transcript as Vonage made it; and deletion (store/remove-media.ts), audited.

import { Router, type Request, type Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { recordAdminChange } from '../audit.js';
import { HttpError } from '../http-error.js';
import { transcriptIdOf, type MediaRecord } from '../../domain/recordings.js';
import type { MediaFiles } from '../../store/media-files.js';
import type { MediaStore } from '../../store/media-store.js';
import type { CallStore } from '../../store/call-store.js';
import { removeMedia } from '../../store/remove-media.js';
import { requirePermission } from '../../security/admin-auth.js';

const idParam = (req: Request): string => {
  const id = String(req.params.id);
  if (!/^[A-Za-z0-9-]{1,120}$/.test(id)) throw new HttpError('bad_request', 'not a recording id');
  return id;
};

async function storedMedia(store: MediaStore, id: string, what: string): Promise<MediaRecord & { fileKey: string; contentType: string }> {
  const record = await store.findMedia(id);
  if (!record) throw new HttpError('not_found', `no ${what} ${id}`);
  if (record.status !== 'stored' || record.fileKey === null || record.contentType === null) {
    throw new HttpError('not_found', `${what} ${id} is not stored yet (${record.status})`);
  }
  return { ...record, fileKey: record.fileKey, contentType: record.contentType };
}

/** Sends the whole file, or the one byte range asked for. */
async function streamFile(req: Request, res: Response, files: MediaFiles, record: { fileKey: string; contentType: string }): Promise<void> {
  const size = await files.sizeOf(record.fileKey);
  if (size === null) throw new HttpError('not_found', 'the file is missing from storage');
  res.set({ 'content-type': record.contentType, 'accept-ranges': 'bytes' });
  const ranges = req.range(size, { combine: true });
  if (ranges === -1) {
    res.status(416).set('content-range', `bytes */${size}`).end();
    return;
  }
  // A malformed header, or several ranges (multipart answers no player needs): the whole file.
  const range = ranges !== undefined && ranges !== -2 && ranges.type === 'bytes' && ranges.length === 1 ? ranges[0]! : null;
  if (range) res.status(206).set('content-range', `bytes ${range.start}-${range.end}/${size}`);
  res.set('content-length', String(range ? range.end - range.start + 1 : size));
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await pipeline(files.read(record.fileKey, range ?? undefined), res);
}

export function recordingRoutes(store: CallStore, files: MediaFiles): Router {
  const { media } = store;
  const router = Router();

  // Callers' voices go with callers' numbers (managers, owners); removing one is the owner's.
  router.use('/api/recordings', requirePermission('callers'));

  router.get('/api/recordings/:id/audio', async (req, res) => {
    const id = idParam(req);
    const record = await storedMedia(media, id, 'recording');
    if (record.kind === 'transcript') throw new HttpError('not_found', `no recording ${id}`);
    await streamFile(req, res, files, record);
  });

  router.get('/api/recordings/:id/transcript', async (req, res) => {
    const id = idParam(req);
    await streamFile(req, res, files, await storedMedia(media, transcriptIdOf(id), 'transcript of'));
  });

  router.delete('/api/recordings/:id', requirePermission('account'), async (req, res) => {
    const id = idParam(req);
    const record = await media.findMedia(id);
    if (!record || record.kind === 'transcript') throw new HttpError('not_found', `no recording ${id}`);
    const transcript = await media.findMedia(transcriptIdOf(id));
    // Nothing removed: another request got there first, and audited it.
    if (await removeMedia(media, files, transcript ? [record, transcript] : [record]) > 0) {
      // The call is named by its conversation, as the recording knows it; never by the caller's number.
      await recordAdminChange(store, res, 'recording.deleted', id, {
        kind: record.kind, conversationUuid: record.conversationUuid, withTranscript: transcript !== null,
      });
    }
    res.status(204).end();
  });

  return router;
}
