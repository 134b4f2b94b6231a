// Reads a calls CSV (as /api/calls.csv writes it) into a store through its bulk path, streaming
// the file in batches so that memory stays flat however long the history. Unless told to skip
// invalid records, the whole file is checked first and nothing is written if any record is bad.

import { CsvError } from 'csv-parse';
import { createReadStream, statSync } from 'node:fs';
import type { CallRecord } from '../domain/calls.js';
import { parseCallCsvRecord, readCallCsvHeader } from '../http/call-csv.js';
import { readCsvRecords } from '../http/csv.js';
import type { CallStore } from '../store/call-store.js';

/** Calls per batch: one transaction each into a store that has calls, large enough that its overhead is spread thin. */
const BATCH_SIZE = 2000;
/** Bad records listed by line; the rest are only counted. */
const MAX_LISTED_PROBLEMS = 20;

export interface RecordProblem {
  /** Line of the file the record starts on, counting the header as line 1. */
  line: number;
  reason: string;
}

export interface ImportSummary {
  /** Records read, header excluded. */
  read: number;
  imported: number;
  alreadyStored: number;
  invalid: number;
  /** The first bad records, in file order. */
  problems: RecordProblem[];
  /** False when bad records stopped the import before anything was written. */
  written: boolean;
}

/** `storing`: the file is read; the store finishes (a bulk load builds indexes and buckets then). */
export type ImportPhase = 'checking' | 'importing' | 'storing';

export interface ImportOptions {
  /** Import the valid records and count the others, instead of writing nothing. */
  skipInvalid: boolean;
  onProgress?: (phase: ImportPhase, bytesRead: number, totalBytes: number) => void;
}

/** A file that cannot be read as a calls CSV at all: a wrong header, broken quoting. */
export class CallCsvError extends Error {
  override name = 'CallCsvError';
}

interface ReadRecord {
  line: number;
  cells: (string | null)[];
  /** The header's: files from before calls carried their visit have fewer. */
  columnCount: number;
}

/** The file's records after the header, each with the line it starts on. */
async function* readRecords(path: string, onBytes: (bytesRead: number) => void): AsyncGenerator<ReadRecord> {
  const file = createReadStream(path);
  let columnCount: number | null = null;
  try {
    for await (const { line, cells } of readCsvRecords(file)) {
      onBytes(file.bytesRead);
      if (columnCount === null) {
        const header = readCallCsvHeader(cells);
        if ('reason' in header) throw new CallCsvError(`line ${line}: ${header.reason}`);
        columnCount = header.columnCount;
        continue;
      }
      yield { line, cells, columnCount };
    }
  } catch (error) {
    if (error instanceof CsvError) throw new CallCsvError(error.message);
    throw error;
  }
  if (columnCount === null) throw new CallCsvError('the file is empty: it has no header line');
}

/** One pass over the file; writes the valid calls when given a store, only checks them otherwise. */
async function pass(
  path: string, store: CallStore | null, onBytes: (bytesRead: number) => void, onFileRead: () => void,
): Promise<ImportSummary> {
  const summary: ImportSummary = { read: 0, imported: 0, alreadyStored: 0, invalid: 0, problems: [], written: store !== null };
  let valid = 0;
  async function* validBatches(): AsyncGenerator<CallRecord[]> {
    let batch: CallRecord[] = [];
    for await (const { line, cells, columnCount } of readRecords(path, onBytes)) {
      summary.read += 1;
      const parsed = parseCallCsvRecord(cells, columnCount);
      if ('reason' in parsed) {
        summary.invalid += 1;
        if (summary.problems.length < MAX_LISTED_PROBLEMS) summary.problems.push({ line, reason: parsed.reason });
        continue;
      }
      valid += 1;
      batch.push(parsed.call);
      if (batch.length === BATCH_SIZE) {
        yield batch;
        batch = [];
      }
    }
    onFileRead();
    if (batch.length > 0) yield batch;
  }
  if (store === null) {
    // Checking only: every record is read and judged, nothing is stored.
    for await (const _ of validBatches());
  } else {
    summary.imported = await store.importCallBatches(validBatches());
    summary.alreadyStored = valid - summary.imported;
  }
  return summary;
}

export async function importCallCsv(path: string, store: CallStore, options: ImportOptions): Promise<ImportSummary> {
  const totalBytes = statSync(path).size;
  const progress = (phase: ImportPhase) => (bytesRead: number) => options.onProgress?.(phase, bytesRead, totalBytes);
  if (!options.skipInvalid) {
    const check = await pass(path, null, progress('checking'), () => {});
    if (check.invalid > 0) return check;
  }
  return pass(path, store, progress('importing'), () => progress('storing')(totalBytes));
}
