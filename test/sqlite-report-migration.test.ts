import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { CallRecord } from '../src/domain/calls.js';
import { buildCampaignReport, buildDailyReport, buildHourOfWeekReport } from '../src/domain/reports.js';
import type { CallStore, TimeRange } from '../src/store/call-store.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { sqliteMigrations } from '../src/store/sqlite/migrations.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { seededRandom } from './helpers/call-flows.js';

const HOUR_MS = 3_600_000;
const START = Date.UTC(2026, 5, 1);

function seededCalls(seed: number, count: number, prefix: string): CallRecord[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => {
    const startedAt = new Date(START + Math.floor(random() * 72) * HOUR_MS + (random() < 0.1 ? 0 : Math.floor(random() * HOUR_MS)));
    const outcome = random() < 0.6 ? 'answered' : random() < 0.8 ? 'missed' : 'in_progress';
    return {
      uuid: `${prefix}-${i}`, conversationUuid: `CON-${prefix}-${i}`,
      trackingNumber: `44207000000${Math.floor(random() * 4)}`,
      caller: random() < 0.1 ? null : `4477009000${Math.floor(random() * 25)}`,
      campaign: [null, 'Radio', 'Web', 'Print'][Math.floor(random() * 4)]!,
      forwardTo: '447700900000', startedAt, outcome,
      answeredAt: outcome === 'answered' ? startedAt : null, endedAt: null,
      durationSeconds: outcome === 'answered' ? Math.floor(random() * 150) : outcome === 'missed' ? 0 : null,
      inboundStatus: null, forwardedStatus: null,
    };
  });
}

/** A file as the first release left it: only migration 1, calls written without report columns. */
function createVersion1File(path: string, calls: CallRecord[]): void {
  const db = new Database(path);
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const first = sqliteMigrations[0]!;
  db.exec(first.sql);
  db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(first.version, first.name, Date.now());
  const insert = db.prepare(`
    INSERT INTO calls (uuid, conversation_uuid, tracking_number, caller, campaign, forward_to, started_at, outcome, duration_seconds)
    VALUES (@uuid, @conversationUuid, @trackingNumber, @caller, @campaign, @forwardTo, @startedAt, @outcome, @durationSeconds)`);
  for (const call of calls) insert.run({ ...call, startedAt: call.startedAt.getTime() });
  db.close();
}

const RANGES: TimeRange[] = [
  { since: new Date(0), until: new Date(START + 100 * HOUR_MS) },
  { since: new Date(START + 5 * HOUR_MS + 1234), until: new Date(START + 50 * HOUR_MS - 999) },
  { since: new Date(START + 30 * HOUR_MS), until: new Date(START + 31 * HOUR_MS) },
];

async function reports(store: CallStore) {
  const figures = [];
  for (const range of RANGES) {
    for (const timezone of ['UTC', 'Asia/Kathmandu']) {
      figures.push({
        byCampaign: await buildCampaignReport(store.reports, range, { qualifiedCallSeconds: 45, groupBy: 'campaign', timezone }),
        byNumber: await buildCampaignReport(store.reports, range, { qualifiedCallSeconds: 45, groupBy: 'number', timezone }),
        daily: await buildDailyReport(store.reports, range, timezone),
        hours: await buildHourOfWeekReport(store.reports, range, timezone),
      });
    }
  }
  return figures;
}

describe('upgrading a SQLite file to the report buckets', () => {
  let dir: string;
  let upgraded: CallStore;
  const reference = new MemoryStore();
  const existing = seededCalls(7, 300, 'old');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ct-report-migration-'));
    const path = join(dir, 'calls.db');
    createVersion1File(path, existing);
    upgraded = openSqliteStore(path);
    await reference.importCalls(existing);
  });
  after(async () => {
    await upgraded.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('calls stored before the upgrade give the same figures as a memory store holding them', async () => {
    assert.deepEqual(await reports(upgraded), await reports(reference));
  });

  test('calls stored after the upgrade, older and newer than those before, keep the figures right', async () => {
    const later = seededCalls(8, 150, 'new');
    await upgraded.importCalls(later);
    await reference.importCalls(later);
    assert.deepEqual(await reports(upgraded), await reports(reference));
  });
});
