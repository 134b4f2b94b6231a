// A caller's recordings under their data rights, on every store: the export with ?format=zip
// holds their recordings, voicemails and transcripts (and no one else's), and an erasure deletes
// them, files and rows, while the report figures stay.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import yauzl from 'yauzl';
import type { CallRecord } from '../src/domain/calls.js';
import { transcriptIdOf } from '../src/domain/recordings.js';
import { LocalMediaFiles } from '../src/store/media-files.js';
import { MemoryLogger } from './helpers/memory-logger.js';
import { startTestService } from './helpers/service.js';
import { BACKENDS } from './helpers/store-backends.js';
import { storeRecording } from './helpers/stored-recording.js';

const ERASED = '447700900555';
const KEPT = '447700900666';
const STARTED = Date.UTC(2026, 10, 2, 9);
const REPORT_RANGE = 'since=2026-11-01T00:00:00Z&until=2026-11-04T00:00:00Z';

function call(uuid: string, caller: string, outcome: CallRecord['outcome'], hour: number): CallRecord {
  const startedAt = new Date(STARTED + hour * 3_600_000);
  return {
    uuid, conversationUuid: `CON-${uuid}`, trackingNumber: '442079460001', caller, campaign: 'Radio', forwardTo: '447700900000',
    startedAt, outcome, answeredAt: outcome === 'answered' ? startedAt : null, endedAt: new Date(startedAt.getTime() + 60_000),
    durationSeconds: outcome === 'answered' ? 55 : null, inboundStatus: 'completed', forwardedStatus: 'completed', attempts: [],
    answeredBy: outcome === 'answered' ? '447700900000' : null,
  };
}

/** Each entry of a zip and its bytes. */
function unzip(bytes: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(bytes, { lazyEntries: true }, (error, zip) => {
      if (error) return reject(error);
      const entries = new Map<string, Buffer>();
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, async (streamError, stream) => {
          if (streamError) return reject(streamError);
          const chunks: Buffer[] = [];
          for await (const chunk of stream) chunks.push(chunk as Buffer);
          entries.set(entry.fileName, Buffer.concat(chunks));
          zip.readEntry();
        });
      });
      zip.on('end', () => resolve(entries));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

for (const backend of BACKENDS) {
  describe(`a caller's recordings under their data rights (${backend.name} store)`, { skip: backend.skip }, () => {
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    test('the zip export holds the caller\'s recordings, voicemails and transcripts only; erasure deletes them, files and rows', async () => {
      const store = await (await backend.createLocation(cleanups)).open();
      cleanups.push(() => store.close());
      const folder = mkdtempSync(join(tmpdir(), 'ct-caller-recordings-'));
      cleanups.push(async () => rmSync(folder, { recursive: true, force: true }));
      const service = await startTestService({ RECORDINGS_DIR: folder }, store);
      cleanups.push(() => service.stop());
      const files = await LocalMediaFiles.open(folder, new MemoryLogger());

      await store.importCalls([
        call('c-1', ERASED, 'answered', 0), call('c-2', ERASED, 'missed', 1), call('c-3', KEPT, 'answered', 2),
      ]);
      const at = (hour: number) => new Date(STARTED + hour * 3_600_000 + 90_000);
      const erasedFiles = [
        await storeRecording(store, files, 'rec-1', 'call', 'CON-c-1', at(0)),
        await storeRecording(store, files, transcriptIdOf('rec-1'), 'transcript', 'CON-c-1', at(0)),
        await storeRecording(store, files, 'vm-2', 'voicemail', 'CON-c-2', at(1)),
      ];
      const keptFile = await storeRecording(store, files, 'rec-3', 'call', 'CON-c-3', at(2));
      const admin = (path: string, init: RequestInit = {}) => fetch(`${service.url}${path}`, { ...init, headers: service.admin });
      const report = async () => (await (await admin(`/api/report?${REPORT_RANGE}`)).json()).totals;
      const totalsBefore = await report();
      assert.deepEqual([totalsBefore.recordedCalls, totalsBefore.voicemails], [2, 1]);

      const json = await (await admin(`/api/callers/${ERASED}`)).json();
      assert.deepEqual(json.calls.map((c: { uuid: string; recordings: { id: string; kind: string }[]; voicemail: boolean }) =>
        [c.uuid, c.recordings.map((r) => [r.id, r.kind]), c.voicemail]), [
        ['c-1', [['rec-1', 'call']], false], ['c-2', [['vm-2', 'voicemail']], true],
      ]);

      const res = await admin(`/api/callers/${ERASED}?format=zip`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/zip');
      assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename="caller-data\.zip"$/);
      const entries = await unzip(Buffer.from(await res.arrayBuffer()));
      assert.deepEqual([...entries.keys()].sort(), ['caller.json', ...erasedFiles.map((key) => `recordings/${key}`)].sort());
      for (const key of erasedFiles) assert.deepEqual(entries.get(`recordings/${key}`), readFileSync(join(folder, key)));
      assert.deepEqual(JSON.parse(entries.get('caller.json')!.toString()), json, 'caller.json is the JSON export');
      assert.equal((await admin(`/api/callers/${ERASED}?format=xml`)).status, 400);

      const erased = await admin(`/api/callers/${ERASED}`, { method: 'DELETE' });
      assert.deepEqual(await erased.json(), { erasedCalls: 2, erasedRecordings: 3 });
      assert.deepEqual(readdirSync(folder), [keptFile], 'only the other caller\'s file is left');
      for (const id of ['rec-1', transcriptIdOf('rec-1'), 'vm-2']) assert.equal(await store.media.findMedia(id), null, id);
      assert.equal((await store.media.findMedia('rec-3'))?.status, 'stored');
      assert.equal((await admin('/api/recordings/rec-1/audio')).status, 404);
      assert.deepEqual(await report(), totalsBefore, 'the figures stay: they hold no personal data');
      const audit = await (await admin('/api/audit')).json();
      assert.deepEqual(audit.entries.find((e: { action: string }) => e.action === 'caller.erased').details, { calls: 2, recordings: 3 });
      assert.equal(JSON.stringify(service.logger.lines).includes(ERASED), false);
    });
  });
}
