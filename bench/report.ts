// Turns the benchmark's measurements into the printed table and BENCHMARKS.md.

export type Verdict = 'PASS' | 'MISS' | 'n/a';

export interface TargetRow {
  what: string;
  target: string;
  measured: string;
  verdict: Verdict;
}

export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export const formatNumber = (value: number, digits = 0) =>
  Number.isFinite(value) ? value.toLocaleString('en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a';

export const formatMs = (value: number) => (Number.isFinite(value) ? `${value.toFixed(value < 10 ? 2 : 1)} ms` : 'n/a');

export const formatRatio = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a');

export const formatMegabytes = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;

export function verdict(ok: boolean | null): Verdict {
  if (ok === null) return 'n/a';
  return ok ? 'PASS' : 'MISS';
}
