// Writes CSV as RFC 4180 defines it (CRLF line ends, fields with a comma, quote or line break
// quoted, quotes doubled), with text cells made safe to open in a spreadsheet, and reads such
// records back exactly (the import), parsed by csv-parse.

import { parse, type Options } from 'csv-parse';
import { parse as parseText } from 'csv-parse/sync';
import type { Readable } from 'node:stream';

export type CsvCell = string | number | null;

/**
 * Spreadsheets run a cell that starts with one of these as a formula (CSV injection); campaign
 * names are user input, so such text gets a leading apostrophe, which spreadsheets hide. Text
 * that already starts with an apostrophe gets one more, so that the one a reader strips is
 * always the one added here.
 */
const NEEDS_APOSTROPHE = /^[=+\-@\t\r']/;

function formatCell(cell: CsvCell): string {
  // An empty string is quoted, so that it reads back apart from null (an empty, unquoted cell).
  if (cell === null) return '';
  if (cell === '') return '""';
  const text = typeof cell === 'number' ? String(cell) : NEEDS_APOSTROPHE.test(cell) ? `'${cell}` : cell;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One record, line end included. */
export function csvLine(cells: readonly CsvCell[]): string {
  return `${cells.map(formatCell).join(',')}\r\n`;
}

/**
 * What csvLine was given for a cell, from the cell's text as a CSV parser reads it and whether
 * it was quoted: null for an empty unquoted cell, the added apostrophe taken off. Numbers come
 * back as their text.
 */
export function readCell(text: string, quoted: boolean): string | null {
  if (text === '' && !quoted) return null;
  return text.startsWith("'") ? text.slice(1) : text;
}

const PARSE_OPTIONS = { bom: true, relax_column_count: true, skip_empty_lines: true } as const satisfies Options;

/** A quoted empty cell: `""` at the start of a record or after a comma, and at its end or before one. */
const MAYBE_QUOTED_EMPTY = /(?:^|,)""(?:,|\r|\n|$)/;

/**
 * A record's cells as csvLine was given them, from the fields csv-parse read and the record's text.
 * Only an empty field needs to know whether it was quoted. csv-parse tells a cast function that
 * for every field, in a context object that costs several times the parse itself; so the record
 * is read again that way only when its text holds a `""` that may be a quoted empty cell.
 */
function cellsOf(fields: readonly string[], raw: string): (string | null)[] {
  if (!MAYBE_QUOTED_EMPTY.test(raw)) return fields.map((text) => readCell(text, text !== ''));
  const [cells] = parseText(raw, { ...PARSE_OPTIONS, cast: (text, context) => readCell(text, context.quoting) }) as (string | null)[][];
  return cells!;
}

export interface CsvRecord {
  /** The line the record starts on, the first being 1. */
  line: number;
  cells: (string | null)[];
}

/** The records of CSV text (as csvLine writes it), each cell as csvLine was given it (readCell). */
export async function* readCsvRecords(input: Readable): AsyncGenerator<CsvRecord> {
  const parser = input.pipe(parse({ ...PARSE_OPTIONS, info: true, raw: true }));
  input.on('error', (error) => parser.destroy(error));
  // info.lines is the line a record ends on, counting each CR and LF inside a quoted cell as a
  // line (a CRLF there as two): those of the record's own cells are taken off, and what the
  // earlier records' CRLFs added beyond one line each.
  let overcounted = 0;
  for await (const { record, raw, info } of parser as AsyncIterable<{ record: string[]; raw: string; info: { lines: number } }>) {
    const cells = cellsOf(record, raw);
    const count = (pattern: RegExp) => cells.reduce((sum, cell) => sum + (cell?.match(pattern)?.length ?? 0), 0);
    const lineEndCharacters = count(/[\r\n]/g);
    yield { line: info.lines - lineEndCharacters - overcounted, cells };
    overcounted += lineEndCharacters - count(/\r\n|\r|\n/g);
  }
}
