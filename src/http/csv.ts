// Writes CSV as RFC 4180 defines it (CRLF line ends, fields with a comma, quote or line break
// quoted, quotes doubled), with text cells made safe to open in a spreadsheet, and reads such
// text cells back exactly (the import).

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
