// CALL_RETENTION_DAYS: old calls go in batches, recent ones stay, and on the stores that keep
// report buckets apart from the calls (SQLite, PostgreSQL) the figures of the removed period stay.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { NumberAssigner } from '../src/domain/attribution/number-assigner.js';
import { visitSourceFrom } from '../src/domain/attribution/visit-source.js';
import type { CallRecord } from '../src/domain/calls.js';
import { buildCampaignReport, buildDailyReport } from '../src/domain/reports.js';
import { LocalMediaFiles } from '../src/store/media-files.js';
import { removeMedia } from '../src/store/remove-media.js';
import { RETENTION_BATCH, RetentionSweeper } from '../src/privacy/retention.js';
import { MemoryLogger } from './helpers/memory-logger.js';
import { storeRecording } from './helpers/stored-recording.js';
import { BACKENDS } from './helpers/store-backends.js';

const NOW = new Date('2026-12-01T12:00:00Z');
const DAY_MS = 86_400_000;

function call(uuid: string, startedAt: Date, caller: string): CallRecord {
  return {
    uuid, conversationUuid: `CON-${uuid}`, trackingNumber: '442079460001', caller, campaign: 'Radio', forwardTo: '447700900000',
    startedAt, outcome: 'answered', answeredAt: startedAt, endedAt: new Date(startedAt.getTime() + 60_000), durationSeconds: 55,
    inboundStatus: 'completed', forwardedStatus: 'completed', attempts: [], answeredBy: '447700900000',
  };
}

for (const backend of BACKENDS.filter((b) => b.name !== 'memory')) {
  describe(`retention on the ${backend.name} store`, { skip: backend.skip }, () => {
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    test('calls older than the retention period are deleted in batches; recent ones and old report figures stay', async () => {
      const store = await (await backend.createLocation(cleanups)).open();
      cleanups.push(() => store.close());
      const old = Array.from({ length: RETENTION_BATCH * 2 + 50 }, (_, i) =>
        call(`old-${i}`, new Date(NOW.getTime() - 100 * DAY_MS + i * 60_000), `4477009${String(i).padStart(5, '0')}`));
      const recent = [call('recent-1', new Date(NOW.getTime() - 2 * DAY_MS), '447700911111')];
      await store.importCalls([...old, ...recent]);
      const oldRange = { since: new Date(NOW.getTime() - 101 * DAY_MS), until: new Date(NOW.getTime() - 90 * DAY_MS) };
      const daily = () => buildDailyReport(store.reports, oldRange, 'UTC');
      const dailyBefore = await daily();
      assert.equal(dailyBefore.days.reduce((sum, row) => sum + row.calls, 0), old.length);

      const folder = mkdtempSync(join(tmpdir(), 'ct-retention-media-'));
      cleanups.push(async () => rmSync(folder, { recursive: true, force: true }));
      const logger = new MemoryLogger();
      const files = await LocalMediaFiles.open(folder, logger);
      const oldFile = await storeRecording(store, files, 'rec-old-1', 'call', 'CON-old-1', new Date(old[1]!.startedAt.getTime() + 90_000));
      const recentFile = await storeRecording(store, files, 'rec-recent-1', 'voicemail', 'CON-recent-1', new Date(NOW.getTime() - 2 * DAY_MS + 90_000));
      const figures = async () => (await buildCampaignReport(store.reports, oldRange, { qualifiedCallSeconds: 60, groupBy: 'campaign', timezone: 'UTC' })).totals;
      assert.equal((await figures()).recordedCalls, 1);

      const sweeper = new RetentionSweeper(store, 30, logger, files, () => NOW);
      assert.equal(await sweeper.sweep(), old.length);
      assert.equal(await store.media.findMedia('rec-old-1'), null, 'the old call\'s recording row went with it');
      assert.deepEqual(readdirSync(folder), [recentFile], `${oldFile} was deleted, the recent voicemail kept`);
      assert.equal((await store.media.findMedia('rec-recent-1'))?.status, 'stored');
      assert.equal((await figures()).recordedCalls, 1, 'the figure of the removed period stays');
      assert.equal(await sweeper.sweep(), 0, 'nothing left to delete');
      assert.deepEqual((await store.listCalls({ limit: 10 })).calls.map((c) => c.uuid), ['recent-1']);
      assert.equal(await store.findCall('old-0'), null);
      assert.deepEqual(await daily(), dailyBefore);
      assert.ok(logger.lines.some((line) => line.message === 'retention: old calls deleted' && line.details?.calls === old.length && line.details?.recordings === 1));
      await sweeper.stop();
    });

    test('a recording whose download completed after it was listed for deletion goes with its file', async () => {
      const store = await (await backend.createLocation(cleanups)).open();
      cleanups.push(() => store.close());
      const folder = mkdtempSync(join(tmpdir(), 'ct-retention-late-'));
      cleanups.push(async () => rmSync(folder, { recursive: true, force: true }));
      const files = await LocalMediaFiles.open(folder, new MemoryLogger());
      await storeRecording(store, files, 'rec-late', 'call', 'CON-late', new Date(NOW.getTime() - 100 * DAY_MS));
      const stored = (await store.media.findMedia('rec-late'))!;
      // What a list read while the download was still under way said of it.
      const listedWhilePending = { ...stored, status: 'pending' as const, fileKey: null, storedBytes: null, contentType: null };
      assert.equal(await removeMedia(store.media, files, [listedWhilePending]), 1);
      assert.equal(await store.media.findMedia('rec-late'), null);
      assert.deepEqual(readdirSync(folder), [], 'the file the download wrote is deleted too');
    });

    test('website visits whose number holds ended before the cutoff are deleted; a visit held since stays', async () => {
      const store = await (await backend.createLocation(cleanups)).open();
      cleanups.push(() => store.close());
      await store.dni.savePool({ id: 'website', campaign: 'Website', replacesNumber: '442079460000', numbers: ['442079460011', '442079460012'], holdSeconds: 1800 });
      let clockMs = NOW.getTime() - 100 * DAY_MS;
      const assigner = new NumberAssigner(store.dni, () => new Date(clockMs));
      const fromAd = visitSourceFrom({
        utmSource: null, utmMedium: null, utmCampaign: null, utmTerm: null, utmContent: null, gclid: 'old-click', referrer: null, landingPage: 'https://shop.example/',
      });
      const visitOf = async (visitId: string | null) => {
        const outcome = await assigner.numberFor('website', visitId, fromAd);
        assert.equal(outcome.kind, 'held');
        return outcome as Extract<typeof outcome, { kind: 'held' }>;
      };
      const old = await visitOf(null);
      clockMs = NOW.getTime() - 2 * DAY_MS;
      const recent = await visitOf(null);

      const logger = new MemoryLogger();
      const folder = mkdtempSync(join(tmpdir(), 'ct-retention-visits-'));
      cleanups.push(async () => rmSync(folder, { recursive: true, force: true }));
      const sweeper = new RetentionSweeper(store, 30, logger, await LocalMediaFiles.open(folder, logger), () => NOW);
      await sweeper.sweep();
      await sweeper.stop();
      assert.ok(logger.lines.some((line) => line.message === 'retention: old calls deleted' && line.details?.visitHolds === 1));
      assert.equal(await store.dni.deleteHoldsBefore(new Date(NOW.getTime() - 30 * DAY_MS), RETENTION_BATCH), 0, 'nothing old is left');
      // The old visit's tags and click id are gone: its id is no key to anything any more.
      assert.notEqual((await visitOf(old.visitId)).visitId, old.visitId);
      assert.equal((await visitOf(recent.visitId)).visitId, recent.visitId);
    });
  });
}
