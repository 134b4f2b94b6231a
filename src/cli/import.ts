// `npm run import -- <file.csv> [--database <url>] [--skip-invalid]`: stores the calls of a CSV
// that /api/calls.csv wrote (this server's or another's), skipping those already stored. With the
// export, it moves a history between stores, e.g. from SQLite to PostgreSQL.

import 'dotenv/config';
import { SingleBar } from 'cli-progress';
import { parseArgs } from 'node:util';
import { ConfigError, loadDatabaseLocation, parseDatabaseUrl, type DatabaseLocation } from '../config.js';
import { consoleLogger } from '../logger.js';
import { describeLocation, openStore } from '../store/open-store.js';
import { CallCsvError, importCallCsv, type ImportPhase, type ImportSummary } from './call-csv-import.js';

const USAGE = `usage: npm run import -- <calls.csv> [--database <url>] [--skip-invalid]

Stores the calls of a CSV as /api/calls.csv writes it; calls already stored are skipped.
  --database <url>   where to store them (default: DATABASE_URL, from the environment or .env)
  --skip-invalid     store the valid records and count the others (default: store nothing
                     when any record is invalid)
`;

/** Exit codes: a usage or configuration error, and a file that was not (wholly) imported. */
const EXIT_USAGE = 2;
const EXIT_NOT_IMPORTED = 1;

function fail(message: string, code: number): never {
  process.stderr.write(`import: ${message}\n`);
  process.exit(code);
}

function readArguments(): { path: string; database: DatabaseLocation; skipInvalid: boolean } {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { database: { type: 'string' }, 'skip-invalid': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    fail(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`, EXIT_USAGE);
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (parsed.positionals.length !== 1) fail(`name one CSV file\n${USAGE}`, EXIT_USAGE);
  try {
    const database = parsed.values.database === undefined ? loadDatabaseLocation(process.env) : parseDatabaseUrl(parsed.values.database);
    return { path: parsed.positionals[0]!, database, skipInvalid: parsed.values['skip-invalid'] ?? false };
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message.replace(/^DATABASE_URL/, parsed.values.database === undefined ? 'DATABASE_URL' : '--database'), EXIT_USAGE);
    throw error;
  }
}

/** A bar on stderr while the file is read, on a terminal only (logs and pipes get the summary). */
function progressBar(): { update: (phase: ImportPhase, bytesRead: number, totalBytes: number) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  let bar: SingleBar | null = null;
  let current: ImportPhase | null = null;
  return {
    update: (phase, bytesRead, totalBytes) => {
      if (phase === 'storing') {
        // No measure of what is left: a bulk load builds the indexes and the report buckets now.
        bar?.stop();
        bar = null;
        process.stderr.write('storing  the file is read; finishing the last calls, indexes and report buckets…\n');
        return;
      }
      if (phase !== current) {
        bar?.stop();
        bar = new SingleBar({ format: `${phase.padEnd(9)} [{bar}] {percentage}% | {duration_formatted}`, stream: process.stderr });
        bar.start(totalBytes, 0);
        current = phase;
      }
      bar!.update(bytesRead);
    },
    stop: () => bar?.stop(),
  };
}

/** Why the named file cannot be read, for the errors a mistyped path or its permissions give. */
const FILE_ERRORS = new Map([['ENOENT', 'no such file'], ['EISDIR', 'is a folder, not a file'], ['EACCES', 'permission denied']]);

const fileErrorOf = (error: unknown): string | undefined => FILE_ERRORS.get((error as NodeJS.ErrnoException).code ?? '');

function formatSummary(summary: ImportSummary, where: string): string {
  const lines = summary.problems.map((p) => `line ${p.line}: ${p.reason}`);
  if (summary.invalid > summary.problems.length) lines.push(`… and ${summary.invalid - summary.problems.length} more invalid records`);
  if (!summary.written) {
    lines.push(`${summary.invalid} of ${summary.read} records are invalid: nothing was imported into ${where}.`,
      'Fix them, or give --skip-invalid to import the others.');
  } else {
    lines.push(`${where}: read ${summary.read}, imported ${summary.imported}, skipped as already stored ${summary.alreadyStored}, invalid ${summary.invalid}`);
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const { path, database, skipInvalid } = readArguments();
  const where = describeLocation(database);
  let store;
  try {
    store = await openStore(database, consoleLogger);
  } catch (error) {
    fail(`cannot open ${where}: ${error instanceof Error ? error.message : String(error)}`, EXIT_NOT_IMPORTED);
  }
  const bar = progressBar();
  try {
    const summary = await importCallCsv(path, store, { skipInvalid, onProgress: bar.update });
    bar.stop();
    (summary.written ? process.stdout : process.stderr).write(formatSummary(summary, where));
    process.exitCode = summary.written ? 0 : EXIT_NOT_IMPORTED;
  } catch (error) {
    bar.stop();
    if (error instanceof CallCsvError) {
      process.stderr.write(`import: ${path}: ${error.message}\n`);
    } else if (fileErrorOf(error) !== undefined) {
      process.stderr.write(`import: ${path}: ${fileErrorOf(error)}\n`);
    } else {
      throw error;
    }
    process.exitCode = EXIT_NOT_IMPORTED;
  } finally {
    await store.close();
  }
}

await main();
