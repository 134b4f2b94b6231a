// `npm run import`: a calls CSV exported by /api/calls.csv goes back into a store exactly, on
// SQLite and PostgreSQL, through the command as a user runs it (a real process, real files).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { CallAttribution } from '../src/domain/attribution/call-attribution.js';
import type { CallRecord } from '../src/domain/calls.js';
import { createTestDatabase, postgresSkipReason, type TestDatabase } from './helpers/postgres.js';
import { startTestService } from './helpers/service.js';

const IMPORT = fileURLToPath(new URL('../src/cli/import.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ct-import-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const at = (minutes: number) => new Date(Date.UTC(2026, 10, 2, 9, 0) + minutes * 60_000);

function call(uuid: string, minutes: number, overrides: Partial<CallRecord> = {}): CallRecord {
  return {
    uuid, conversationUuid: `CON-${uuid}`, trackingNumber: '442071234001', caller: '447700900501', campaign: 'Radio',
    forwardTo: '447700900000', startedAt: at(minutes), outcome: 'answered', answeredAt: at(minutes + 0.25),
    endedAt: at(minutes + 3), durationSeconds: 165, inboundStatus: 'completed', forwardedStatus: 'completed', ...overrides,
  };
}

/** A website visit whose tags a visitor typed: formula-like text, quotes and commas included. */
const HOSTILE_VISIT: CallAttribution = {
  source: '@evil', medium: '+cpc', campaign: '=HYPERLINK("http://evil.example")', term: '-1+1', content: "'=1+1",
  gclid: 'Cj0KCQ-x', referrer: 'https://news.example/a,"b"', landingPage: 'https://shop.example/=offers',
  visitId: 'v-hostile', poolId: 'pool-1', ambiguous: false,
};

/**
 * Every kind of cell the export writes: formula-like and quoted text, withheld callers, empty vs
 * null, each outcome, the destinations rung, calls credited to a website visit and calls without.
 */
const HISTORY: CallRecord[] = [
  call('c-answered', 0),
  call('c-missed', 1, { outcome: 'missed', answeredAt: null, durationSeconds: 0, forwardedStatus: 'busy' }),
  call('c-in-progress', 2, { outcome: 'in_progress', answeredAt: null, endedAt: null, durationSeconds: null, inboundStatus: null, forwardedStatus: null }),
  call('c-withheld', 3, { caller: null }),
  call('c-formula', 4, { campaign: '=HYPERLINK("http://evil.example")' }),
  call('c-plus', 5, { campaign: '+44 offer', trackingNumber: '442071234002' }),
  call('c-minus', 6, { campaign: '-10% sale' }),
  call('c-at', 7, { campaign: '@home' }),
  call('c-apostrophe', 8, { campaign: "'Tis the season" }),
  call('c-apostrophe-formula', 9, { campaign: "'=1+1" }),
  call('c-quotes', 10, { campaign: 'Bus, "big" shelter' }),
  call('c-no-campaign', 11, { campaign: null }),
  call('c-empty-campaign', 12, { campaign: '' }),
  call('c-no-number', 13, { trackingNumber: null, conversationUuid: null }),
  call('c-unicode', 14, { campaign: 'Café – Zürich 🚀' }),
  call('c-blocked', 15, {
    outcome: 'blocked', answeredAt: null, durationSeconds: null, forwardedStatus: null, blocked: true, attempts: [], answeredBy: null,
  }),
  call('c-failover', 16, {
    attempts: [
      { destination: '447700900001', status: 'busy', answered: false },
      { destination: '447700900002', status: 'completed', answered: true },
    ],
    answeredBy: '447700900002',
  }),
  call('c-one-attempt', 17, { attempts: [{ destination: null, status: 'completed', answered: true }], answeredBy: null }),
  call('c-visit-hostile', 18, { attribution: HOSTILE_VISIT }),
  call('c-visit-direct', 19, {
    attribution: {
      source: '(direct)', medium: '(none)', campaign: null, term: null, content: '', gclid: null, referrer: null, landingPage: null,
      visitId: 'v-direct', poolId: 'pool-2', ambiguous: true,
    },
  }),
];

/** The visit's columns at the end of the header, empty for a call without a visit. */
const VISIT_COLUMNS = ',source,medium,utmCampaign,utmTerm,utmContent,gclid,referrer,landingPage,visitId,pool,attributionAmbiguous';
const NO_VISIT_CELLS = ',,,,,,,,,,,';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run import -- <args>` as a user runs it, in an empty directory (no .env). */
function runImport(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), IMPORT, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** What GET /api/calls.csv answers for the store at `databaseUrl`. */
async function exportCalls(databaseUrl: string): Promise<string> {
  const service = await startTestService({ DATABASE_URL: databaseUrl });
  try {
    const res = await fetch(`${service.url}/api/calls.csv`, { headers: service.admin });
    assert.equal(res.status, 200);
    return await res.text();
  } finally {
    await service.stop();
  }
}

async function seed(databaseUrl: string, calls: readonly CallRecord[]): Promise<void> {
  const service = await startTestService({ DATABASE_URL: databaseUrl });
  try {
    assert.equal(await service.store.importCalls(calls), calls.length);
  } finally {
    await service.stop();
  }
}

const dataLines = (csv: string) => csv.split('\r\n').slice(1).filter(Boolean);

interface Backend {
  name: string;
  skip?: string;
  /** A new, empty store's DATABASE_URL. */
  fresh: () => Promise<string>;
}

let files = 0;
const databases: TestDatabase[] = [];
after(async () => {
  for (const database of databases) await database.drop();
});

const BACKENDS: Backend[] = [
  { name: 'SQLite', fresh: async () => `sqlite:${join(dir, `store-${++files}.db`)}` },
  {
    name: 'PostgreSQL',
    skip: postgresSkipReason,
    fresh: async () => {
      const database = await createTestDatabase('import');
      databases.push(database);
      return database.url;
    },
  },
];

for (const backend of BACKENDS) {
  describe(`npm run import on ${backend.name}`, { skip: backend.skip }, () => {
    let exported: string;
    let csvPath: string;

    before(async () => {
      const source = await backend.fresh();
      await seed(source, HISTORY);
      exported = await exportCalls(source);
      csvPath = join(dir, `calls-${++files}.csv`);
      writeFileSync(csvPath, exported);
    });

    test('export, import, export again gives the same file, every cell included', async () => {
      assert.equal(dataLines(exported).length, HISTORY.length);
      assert.ok(exported.includes(',"\'=HYPERLINK(""http://evil.example"")",'), 'the export escapes formula-like text');
      assert.ok(exported.includes(',447700900002,"[{""destination"":""447700900001"",""status"":""busy"",""answered"":false},'), 'the export lists the attempts');
      assert.ok(exported.split('\r\n')[0]!.endsWith(VISIT_COLUMNS), "the visit's columns end the header");
      assert.ok(
        exported.includes(`,'@evil,'+cpc,"'=HYPERLINK(""http://evil.example"")",'-1+1,''=1+1,Cj0KCQ-x,"https://news.example/a,""b""",https://shop.example/=offers,v-hostile,pool-1,false\r\n`),
        "the export escapes the visitor's formula-like tags",
      );
      assert.equal(dataLines(exported).filter((line) => line.endsWith(NO_VISIT_CELLS)).length, HISTORY.length - 2, 'a call without a visit has empty visit cells');
      const target = await backend.fresh();
      const run = await runImport([csvPath, '--database', target]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`read ${HISTORY.length}, imported ${HISTORY.length}, skipped as already stored 0, invalid 0`));
      assert.equal(await exportCalls(target), exported);
      const service = await startTestService({ DATABASE_URL: target });
      try {
        assert.deepEqual((await service.store.findCall('c-visit-hostile'))?.attribution, HOSTILE_VISIT);
        assert.equal((await service.store.findCall('c-answered'))?.attribution ?? null, null);
      } finally {
        await service.stop();
      }
    });

    test('a file exported before calls carried their visit still imports, its calls without one', async () => {
      const [header, ...lines] = exported.split('\r\n').filter(Boolean);
      const unattributed = lines.filter((line) => line.endsWith(NO_VISIT_CELLS));
      const oldPath = join(dir, `old-${++files}.csv`);
      writeFileSync(oldPath, [header!.slice(0, -VISIT_COLUMNS.length), ...unattributed.map((line) => line.slice(0, -NO_VISIT_CELLS.length))].join('\r\n'));
      const target = await backend.fresh();
      const run = await runImport([oldPath, '--database', target]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`imported ${unattributed.length}, skipped as already stored 0, invalid 0`));
      assert.deepEqual(dataLines(await exportCalls(target)), unattributed);
    });

    test('a visit without its id is named as a bad record', async () => {
      const lines = exported.split('\r\n');
      const visitLine = lines.findIndex((line) => line.includes(',v-hostile,'));
      lines[visitLine] = lines[visitLine]!.replace(',v-hostile,', ',,');
      const badPath = join(dir, `bad-visit-${++files}.csv`);
      writeFileSync(badPath, lines.join('\r\n'));
      const run = await runImport([badPath, '--database', await backend.fresh()]);
      assert.equal(run.code, 1);
      assert.match(run.stderr, new RegExp(`^line ${visitLine + 1}: "visitId" must be set for a call credited to a visit \\(source, medium, .*\\)$`, 'm'));
    });

    test('importing again skips every call as already stored', async () => {
      const target = await backend.fresh();
      assert.equal((await runImport([csvPath, '--database', target])).code, 0);
      const again = await runImport([csvPath, '--database', target]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, new RegExp(`read ${HISTORY.length}, imported 0, skipped as already stored ${HISTORY.length}, invalid 0`));
      assert.equal(await exportCalls(target), exported);
    });

    test('a bad record is named by its line and nothing is imported', async () => {
      const lines = exported.split('\r\n');
      // Line 3 of the file (the second call): an outcome no call has; line 6: a caller that is not a number.
      lines[2] = lines[2]!.replace(/,(answered|missed|in_progress),/, ',maybe,');
      lines[5] = lines[5]!.replace(/,447700900501,/, ',not-a-number,');
      const badPath = join(dir, `bad-${++files}.csv`);
      writeFileSync(badPath, lines.join('\r\n'));
      const target = await backend.fresh();
      const run = await runImport([badPath, '--database', target]);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /^line 3: "outcome" /m);
      assert.match(run.stderr, /^line 6: "caller" must be a phone number in E\.164 digits without "\+", or empty when withheld$/m);
      assert.match(run.stderr, new RegExp(`2 of ${HISTORY.length} records are invalid: nothing was imported`));
      assert.equal(dataLines(await exportCalls(target)).length, 0);

      const skipping = await runImport([badPath, '--database', target, '--skip-invalid']);
      assert.equal(skipping.code, 0, skipping.stderr);
      assert.match(skipping.stdout, /^line 3: "outcome" /m);
      assert.match(skipping.stdout, new RegExp(`imported ${HISTORY.length - 2}, skipped as already stored 0, invalid 2`));
      const stored = dataLines(await exportCalls(target));
      assert.deepEqual(stored, dataLines(exported).filter((_, i) => i !== 1 && i !== 4));
    });
  });
}

describe('npm run import, the command', () => {
  test('without --database it imports into DATABASE_URL', async () => {
    const source = `sqlite:${join(dir, `store-${++files}.db`)}`;
    await seed(source, HISTORY.slice(0, 3));
    const csvPath = join(dir, `calls-${++files}.csv`);
    writeFileSync(csvPath, await exportCalls(source));
    const target = `sqlite:${join(dir, `store-${++files}.db`)}`;
    const run = await runImport([csvPath], { DATABASE_URL: target });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /SQLite file .*: read 3, imported 3/);
    assert.equal(dataLines(await exportCalls(target)).length, 3);
  });

  test('a file that is not a calls CSV is refused with its reason', async () => {
    const target = `sqlite:${join(dir, `store-${++files}.db`)}`;
    const wrong = join(dir, 'report.csv');
    writeFileSync(wrong, 'campaign,calls\r\nRadio,3\r\n');
    const header = await runImport([wrong, '--database', target]);
    assert.equal(header.code, 1);
    assert.match(header.stderr, /line 1: the header must be the one \/api\/calls\.csv writes: startedAt,trackingNumber,/);

    const missing = await runImport([join(dir, 'nowhere.csv'), '--database', target]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nowhere\.csv: no such file/);

    const folder = await runImport([dir, '--database', target]);
    assert.equal(folder.code, 1);
    assert.equal(folder.stderr, `import: ${dir}: is a folder, not a file\n`);

    const usage = await runImport([]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /usage: npm run import/);
    assert.equal(readFileSync(wrong, 'utf8'), 'campaign,calls\r\nRadio,3\r\n');
  });
});
