// Writes CSV as RFC 4180 defines it (CRLF line ends, fields with a comma, quote or line break
// quoted, quotes doubled), with text cells made safe to open in a spreadsheet.

export type CsvCell = string | number | null;

/**
 * Spreadsheets run a cell that starts with one of these as a formula (CSV injection); campaign
 * names are user input, so such text gets a leading apostrophe, which spreadsheets hide.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

function formatCell(cell: CsvCell): string {
  if (cell === null) return '';
  const text = typeof cell === 'number' ? String(cell) : FORMULA_START.test(cell) ? `'${cell}` : cell;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One record, line end included. */
export function csvLine(cells: readonly CsvCell[]): string {
  return `${cells.map(formatCell).join(',')}\r\n`;
}
