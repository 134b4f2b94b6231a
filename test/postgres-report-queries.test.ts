// A report on PostgreSQL runs in one snapshot on one connection; its reads must go to that
// connection one after another. pg queues a query sent while another runs, but warns (in the
// server's log, at the first report) that pg@9 will no longer do so.

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { CallRecord } from '../src/domain/calls.js';
import { buildCampaignReport } from '../src/domain/reports.js';
import { openPostgresStore } from '../src/store/postgres/postgres-store.js';
import { createTestDatabase, postgresSkipReason, type TestDatabase } from './helpers/postgres.js';

const START = Date.UTC(2026, 2, 7, 22, 7);

describe('a report on PostgreSQL', { skip: postgresSkipReason }, () => {
  let database: TestDatabase | undefined;
  after(async () => {
    await database?.drop();
  });

  test('sends its reads to its connection one at a time, so pg never warns that it queued one', async () => {
    const warnings: Error[] = [];
    const collect = (warning: Error) => warnings.push(warning);
    process.on('warning', collect);
    database = await createTestDatabase('report-queries');
    const store = await openPostgresStore(database.url);
    try {
      const calls: CallRecord[] = Array.from({ length: 50 }, (_, i) => {
        const startedAt = new Date(START + i * 37 * 60_000);
        return {
          uuid: `q-${i}`, conversationUuid: `CON-q-${i}`, trackingNumber: '442071234001', caller: `4477009005${String(i % 7).padStart(2, '0')}`,
          campaign: 'Radio', forwardTo: '447700900000', startedAt, outcome: 'answered', answeredAt: startedAt, endedAt: startedAt,
          durationSeconds: 90, inboundStatus: 'completed', forwardedStatus: 'completed',
        };
      });
      await store.importCalls(calls);
      // Edges inside slots and days, in a zone with DST: buckets of every width, edge calls and returning callers.
      const report = await buildCampaignReport(store.reports, { since: new Date(START + 1_234_567), until: new Date(START + 25 * 3_600_000 + 99_000) }, {
        qualifiedCallSeconds: 60, groupBy: 'campaign', timezone: 'America/New_York',
      });
      assert.ok(report.totals.calls > 0);
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', collect);
      await store.close();
    }
    assert.deepEqual(warnings.map((warning) => warning.message), []);
  });
});
