// Callers' data rights: everything held about one caller, as JSON or as a zip with their
// recordings, voicemails and transcripts, and its erasure. Mounted behind requireSignIn; owners
// only. The number is in the path; the access log shows the route instead (access-log.ts) and no
// log line or audit entry names it.

import { Router, type Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';
import { badRequest, HttpError } from '../http-error.js';
import { recordAdminChange } from '../audit.js';
import type { SpoolStatus } from '../../durability/spool.js';
import { newErasureMarker } from '../../privacy/erasure.js';
import type { CallRecord } from '../../domain/calls.js';
import type { MediaRecord } from '../../domain/recordings.js';
import type { CallStore } from '../../store/call-store.js';
import type { MediaFiles } from '../../store/media-files.js';
import { removeMedia } from '../../store/remove-media.js';
import { callToJson, fullCaller } from './call-json.js';
import { mediaOfCalls } from './media-json.js';
import { parseNumberParam } from './admin-query.js';
import { requirePermission } from '../../security/admin-auth.js';

/** The folder of the zip that holds the files, each under its name in the media storage. */
const ZIP_MEDIA_FOLDER = 'recordings';

const conversationsOf = (calls: readonly CallRecord[]) => calls.flatMap((call) => (call.conversationUuid === null ? [] : [call.conversationUuid]));

function parseExportFormat(query: Record<string, unknown>): 'json' | 'zip' {
  const format = query.format ?? 'json';
  if (format === 'json' || format === 'zip') return format;
  throw badRequest('"format" must be json or zip');
}

/** caller.json, and every stored file of the caller's calls; a file missing from storage is left out. */
async function sendZip(res: Response, files: MediaFiles, body: unknown, media: readonly MediaRecord[]): Promise<void> {
  const zip = new ZipFile();
  zip.addBuffer(Buffer.from(JSON.stringify(body, null, 2)), 'caller.json');
  for (const record of media) {
    if (record.status !== 'stored' || record.fileKey === null || (await files.sizeOf(record.fileKey)) === null) continue;
    // Audio is compressed already; deflating it again only costs time.
    zip.addReadStream(files.read(record.fileKey), `${ZIP_MEDIA_FOLDER}/${record.fileKey}`, { compress: record.kind === 'transcript' });
  }
  zip.end();
  res.status(200).set({
    'content-type': 'application/zip',
    'content-disposition': 'attachment; filename="caller-data.zip"',
    'cache-control': 'no-store',
  });
  await pipeline(zip.outputStream, res);
}

export function callersApiRoutes(store: CallStore, spoolStatus: () => SpoolStatus, files: MediaFiles): Router {
  const router = Router();
  router.use('/api/callers', requirePermission('account'));

  router.get('/api/callers/:number', async (req, res) => {
    const caller = parseNumberParam('number', String(req.params.number));
    const format = parseExportFormat(req.query);
    const data = await store.findCallerData(caller);
    const media = await mediaOfCalls(store.media, data.calls);
    const body = {
      caller,
      // Each call with the website visit that brought it, when number pools are in use, and its
      // recordings and voicemail.
      calls: data.calls.map((call) => ({ ...callToJson(call, fullCaller), ...media.get(call) })),
      events: data.events.map((event) => ({ ...event, occurredAt: event.occurredAt.toISOString() })),
      webhookDeliveries: data.deliveries.map((delivery) => ({
        eventId: delivery.eventId, subscriptionId: delivery.subscriptionId, type: delivery.type, status: delivery.status,
        createdAt: delivery.createdAt.toISOString(), body: JSON.parse(delivery.body) as unknown,
      })),
    };
    if (format === 'json') {
      res.json(body);
      return;
    }
    await sendZip(res, files, body, await store.media.listMediaOf(conversationsOf(data.calls)));
  });

  router.delete('/api/callers/:number', async (req, res) => {
    const caller = parseNumberParam('number', String(req.params.number));
    // Spooled calls and recordings reach the store later, with the number: erase once they have.
    if (spoolStatus().depth > 0) {
      throw new HttpError('unavailable', 'calls are waiting in the spool for the database; retry the erasure once they are stored');
    }
    // The recordings first: once the number is replaced, nothing leads to them any more.
    const { calls: callerCalls } = await store.findCallerData(caller);
    const recordings = await removeMedia(store.media, files, await store.media.listMediaOf(conversationsOf(callerCalls)));
    const calls = await store.eraseCaller(caller, newErasureMarker());
    await recordAdminChange(store, res, 'caller.erased', null, { calls, recordings });
    res.json({ erasedCalls: calls, erasedRecordings: recordings });
  });

  return router;
}
