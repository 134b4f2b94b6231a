// The CSV the exports write reads back exactly: every cell as csvLine was given it (null apart
// from an empty text, the apostrophe before formula-like text taken off), each record with the
// line it starts on, whatever the cells hold (commas, quotes, line breaks, `""`).

import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import fc from 'fast-check';
import { csvLine, readCsvRecords, type CsvCell } from '../src/http/csv.js';

/** Text made of the characters that matter to CSV and to the apostrophe rule, and some others. */
const cellText = fc.string({ unit: fc.constantFrom(',', '"', "'", '=', '+', '-', '@', '\n', '\r', 'a', 'é', ' ', '\t'), maxLength: 8 });

/**
 * A header first, as every export has: csv-parse takes the line end from the first record, and one
 * that began with a line break inside quotes would have it count lines otherwise.
 */
const HEADER = csvLine(['startedAt', 'campaign']);
const cell: fc.Arbitrary<CsvCell> = fc.oneof(fc.constant(null), fc.constant(''), cellText, fc.integer({ min: 0, max: 999 }));

async function readAll(text: string, chunkSize: number): Promise<{ line: number; cells: (string | null)[] }[]> {
  const chunks = [];
  for (let i = 0; i < text.length; i += chunkSize) chunks.push(Buffer.from(text.slice(i, i + chunkSize)));
  const records = [];
  for await (const record of readCsvRecords(Readable.from(chunks))) records.push(record);
  return records;
}

test('every record csvLine writes reads back as its cells, on the line it starts on', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(cell, { minLength: 2, maxLength: 6 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 64 }), async (records, chunkSize) => {
      const lines = [HEADER, ...records.map(csvLine)];
      const starts = lines.map((_, i) => lines.slice(0, i).join('').split(/\r\n|\r|\n/).length);
      const read = await readAll(lines.join(''), chunkSize);
      assert.deepEqual(read.slice(1), records.map((cells, i) => ({
        line: starts[i + 1],
        cells: cells.map((c) => (c === null ? null : String(c))),
      })));
    }),
    { numRuns: 300 },
  );
});

test('a quoted empty cell reads as an empty text, an empty cell as none, wherever it stands', async () => {
  const text = '"",a,,""\r\n,"",\r\n"a,"",b",""\r\n';
  assert.deepEqual(await readAll(text, 1024), [
    { line: 1, cells: ['', 'a', null, ''] },
    { line: 2, cells: [null, '', null] },
    { line: 3, cells: ['a,",b', ''] },
  ]);
});
