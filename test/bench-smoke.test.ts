import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';

const root = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `npm run bench -- --quick` the way a developer would, minus npm. */
function runQuickBench(out: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', 'run.ts'), '--quick', '--out', out], {
      cwd: root,
      env: { ...process.env, BENCH_DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

// Figures from a smoke run mean nothing: only that every part of the benchmark still runs.
test('the quick benchmark runs every part against real servers and writes its report', { timeout: 120_000 }, async () => {
  const out = join(dir, 'BENCHMARKS.md');
  const run = await runQuickBench(out);
  assert.equal(run.code, 0, `the bench failed:\n${run.stderr.slice(-3000)}`);

  const report = readFileSync(out, 'utf8');
  assert.match(report, /Produced by `npm run bench -- --quick/);
  for (const row of [
    'answer webhook throughput, SQLite', 'answer webhook p99 latency, SQLite', "the tutorial's server, for comparison, SQLite",
    'campaign report, last 30 days', 'campaign report, all time', 'calls per day, last 30 days', 'calls, first page',
    'memory growth over',
  ]) {
    assert.ok(report.includes(row), `the report lacks "${row}"`);
    assert.ok(run.stdout.includes(row), `the printed table lacks "${row}"`);
  }
  // Both servers answered every request: a broken server shows up as errors or non-2xx here.
  const webhookRows = report.split('\n').filter((line) => /^\| SQLite +\| (call-tracker|bare Express|tutorial server) +\|/.test(line));
  assert.equal(webhookRows.length, 3, report);
  for (const line of webhookRows) {
    const cells = line.split('|').map((cell) => cell.trim());
    assert.equal(cells[6], '0', `errors in ${line}`);
    assert.equal(cells[7], '0', `non-2xx answers in ${line}`);
    assert.ok(Number(cells[8]!.replaceAll(',', '')) > 0, `no answers in ${line}`);
  }
  // Every report endpoint answered 200 (a failing one is shown as "answers <status>").
  assert.doesNotMatch(report, /answers \d{3}/);
  assert.match(report, /\| started +\|/);
  assert.match(report, /PostgreSQL benchmarks skipped: quick run/);
  // A quick run cannot judge the targets, so it gives no verdict.
  assert.doesNotMatch(run.stdout, /\b(PASS|MISS)\b/);
  assert.doesNotMatch(report, /\b(PASS|MISS)\b/);
});
