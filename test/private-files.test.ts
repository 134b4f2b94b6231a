// Every file that holds callers' numbers is readable by its owner only, and so are the folders
// the server creates for them, whatever the umask; files left looser by an older version are
// narrowed at start-up, with a log line.

import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { assertValidNcco } from './helpers/ncco-schema.js';
import { startTestService, vonageUuid, type TestService } from './helpers/service.js';

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

const dir = mkdtempSync(join(tmpdir(), 'ct-private-'));
let umask: number;
before(() => {
  // The usual umask, which leaves new files readable by everyone unless the server says otherwise.
  umask = process.umask(0o022);
});
after(() => {
  process.umask(umask);
  rmSync(dir, { recursive: true, force: true });
});

async function answerCalls(service: TestService, count: number): Promise<void> {
  for (let n = 0; n < count; n++) {
    const uuid = vonageUuid();
    const query = new URLSearchParams({ to: '442079460001', from: '447700900111', uuid, conversation_uuid: `CON-${uuid}` });
    const res = await fetch(`${service.url}/track-call?${query}`);
    assert.equal(res.status, 200);
    assertValidNcco(await res.json());
  }
}

async function waitUntilHealthy(service: TestService): Promise<void> {
  while ((await fetch(`${service.url}/healthz`)).status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('private files', () => {
  test('the folders the server creates are 0700, and the database, WAL, SHM, spool and access log 0600', { timeout: 30_000 }, async () => {
    const data = join(dir, 'fresh', 'data');
    const logs = join(dir, 'fresh', 'logs');
    const databasePath = join(data, 'calls.db');
    const spoolPath = join(data, 'spool.ndjson');
    const accessLogPath = join(logs, 'access.log');
    const service = await startTestService({ DATABASE_URL: `sqlite:${databasePath}`, SPOOL_PATH: spoolPath, ACCESS_LOG: accessLogPath });
    try {
      await answerCalls(service, 3);
      // Another connection holds the write lock, so calls go to the spool and it is created.
      const other = new Database(databasePath);
      other.exec('BEGIN IMMEDIATE');
      try {
        await answerCalls(service, 3);
        assert.ok(existsSync(spoolPath), 'calls were spooled');
        assert.equal(modeOf(spoolPath), '600', 'spool');
      } finally {
        other.exec('COMMIT');
        other.close();
      }
      await waitUntilHealthy(service);
      await answerCalls(service, 1);
      for (const folder of [join(dir, 'fresh'), data, logs]) assert.equal(modeOf(folder), '700', folder);
      for (const file of [databasePath, `${databasePath}-wal`, `${databasePath}-shm`, accessLogPath]) assert.equal(modeOf(file), '600', file);
      assert.ok(!service.logger.lines.some((line) => /made it private/.test(line.message)), 'nothing new needed narrowing');
    } finally {
      await service.stop();
    }
  });

  test('files left readable by others are made private at start-up, with a log line each', { timeout: 30_000 }, async () => {
    const data = join(dir, 'old');
    mkdirSync(data, { mode: 0o755 });
    const databasePath = join(data, 'calls.db');
    const spoolPath = join(data, 'spool.ndjson');
    const accessLogPath = join(data, 'access.log');
    // An older version's files: a database whose WAL and SHM another connection keeps open, a
    // spool from a previous run, an access log.
    const older = new Database(databasePath);
    older.pragma('journal_mode = WAL');
    older.exec('CREATE TABLE kept (n INTEGER)');
    writeFileSync(spoolPath, '');
    writeFileSync(accessLogPath, '');
    const files = [databasePath, `${databasePath}-wal`, `${databasePath}-shm`, spoolPath, accessLogPath];
    for (const file of files) chmodSync(file, 0o644);

    const service = await startTestService({ DATABASE_URL: `sqlite:${databasePath}`, SPOOL_PATH: spoolPath, ACCESS_LOG: accessLogPath });
    try {
      await answerCalls(service, 1);
      for (const file of files) assert.equal(modeOf(file), '600', file);
      const narrowed = service.logger.lines.filter((line) => /made it private/.test(line.message)).map((line) => line.details?.path);
      assert.deepEqual(narrowed.sort(), [...files].sort());
      assert.equal(modeOf(data), '755', 'a folder the operator made is left as it is');
    } finally {
      await service.stop();
      older.close();
    }
  });
});
