// A/B comparison of builds of the call-tracker under the bench's answer-webhook load, for
// profiling work: `tsx bench/ab.ts <name>=<build dir> …` starts one server per build (SQLite,
// access log to a file; a dir named "bare" or "tutorial" runs that baseline instead), warms each
// up, then drives them in interleaved rounds and prints server CPU per answer and req/s for each,
// and beside a dir named "bare" each other's req/s over bare's, median over the rounds as `npm run bench` pairs them,
// and its CPU per answer over bare's, paired the same way.
// A build dir holds `server.js` as `tsc -p tsconfig.build.json --outDir <dir>` emits it; it must
// sit inside the project so that node_modules resolve. Not part of `npm run bench`.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { answerWebhookPaths, driveLoad, percentile } from './load.js';
import { postmasterCpuMicroseconds, postmasterOfPort } from './postgres.js';
import { ADMIN_TOKEN, buildBaselines, startServer, type Entrypoints, type ServerProcess } from './processes.js';

const rounds = Number(process.env.AB_ROUNDS ?? 6);
const roundSeconds = Number(process.env.AB_SECONDS ?? 5);
const connections = 50;

const variants = process.argv.slice(2).map((arg) => {
  const [name, dir] = arg.split('=');
  if (!name || !dir) throw new Error(`expected name=dir, got ${arg}`);
  return { name, dir: resolve(dir) };
});
if (variants.length < 2) throw new Error('usage: tsx bench/ab.ts a=<build dir> b=<build dir> …');

const work = mkdtempSync(join(tmpdir(), 'call-tracker-ab-'));
// With AB_DATABASE_URL on this machine: PostgreSQL's own CPU during each server's rounds.
const postmaster = process.env.AB_DATABASE_URL ? postmasterOfPort(Number(new URL(process.env.AB_DATABASE_URL).port)) : null;
const postgresCpu = () => (postmaster === null ? null : postmasterCpuMicroseconds(postmaster));
const servers: {
  name: string; server: ServerProcess; cpu: number; loadCpu: number; postgresCpu: number; latencies: Float64Array[]; ok: number; seconds: number; errors: number;
  /** req/s of each round, for ratios paired within a round. */
  roundRates: number[];
  /** Server CPU per answer of each round, µs, for ratios paired within a round. */
  roundCpus: number[];
}[] = [];
const { warnings, ...baselines } = buildBaselines();
if (warnings) throw new Error(`the baselines do not compile:\n${warnings}`);
try {
  for (const { name, dir } of variants) {
    const baseline = basename(dir) === 'bare' ? 'bare' : basename(dir) === 'tutorial' ? 'tutorial' : null;
    const entrypoints: Entrypoints = { runtime: 'compiled', server: join(dir, 'server.js'), ...baselines, buildWarnings: null };
    const env: Record<string, string> = baseline ? {} : {
      PROXY_TO_NUMBER: '447700900000',
      // AB_DATABASE_URL: every build on this database (PostgreSQL) instead of a SQLite file each.
      DATABASE_URL: process.env.AB_DATABASE_URL ?? `sqlite:${join(work, `${name}.db`)}`,
      ADMIN_TOKEN,
      ACCESS_LOG: process.env.AB_ACCESS_LOG ?? join(work, `${name}-access.log`),
      SPOOL_PATH: join(work, `${name}-spool.ndjson`),
    };
    const server = await startServer(entrypoints, { name, entry: baseline ?? 'server', env, cwd: work, logPath: join(work, `${name}.log`),
      // AB_PROF=<dir>: each server writes a CPU profile there when it stops; AB_NODE_ARGS: more options.
      nodeArgs: [
        ...(process.env.AB_PROF ? ['--cpu-prof', `--cpu-prof-dir=${resolve(process.env.AB_PROF, name)}`] : []),
        ...(process.env.AB_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      ] });
    servers.push({ name, server, cpu: 0, loadCpu: 0, postgresCpu: 0, latencies: [], ok: 0, seconds: 0, errors: 0, roundRates: [], roundCpus: [] });
  }
  const nextPath = answerWebhookPaths();
  for (const s of servers) await driveLoad({ targets: [s.server.url], connections, durationSeconds: 3, nextPath });
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? servers : [...servers].reverse();
    for (const s of order) {
      const before = await s.server.cpuMicroseconds();
      const postgresBefore = postgresCpu();
      const loadCpuBefore = process.cpuUsage();
      const result = await driveLoad({ targets: [s.server.url], connections, durationSeconds: roundSeconds, nextPath });
      const loadCpu = process.cpuUsage(loadCpuBefore);
      s.loadCpu += loadCpu.user + loadCpu.system;
      const cpu = (await s.server.cpuMicroseconds()) - before;
      s.cpu += cpu;
      s.roundCpus.push(cpu / result.ok);
      const postgresAfter = postgresCpu();
      if (postgresBefore !== null && postgresAfter !== null) s.postgresCpu += postgresAfter - postgresBefore;
      s.ok += result.ok;
      s.latencies.push(result.latenciesMs);
      s.seconds += result.seconds;
      s.errors += result.errors + result.non2xx;
      s.roundRates.push(result.ok / result.seconds);
    }
  }
  // With a server named "bare": each other server's req/s over bare's, and its CPU per answer
  // over bare's (the steadier figure on a busy machine), median and quartiles over the rounds.
  const bare = servers.find((s) => s.name === 'bare');
  const paired = (ours: number[], bares: number[]) => {
    const ratios = Float64Array.from(ours.map((value, round) => value / bares[round]!)).sort();
    return { median: percentile(ratios, 50).toFixed(2), quartiles: `${percentile(ratios, 25).toFixed(2)}–${percentile(ratios, 75).toFixed(2)}` };
  };
  const pairedRatio = (s: (typeof servers)[number]) => {
    if (!bare || s === bare) return '';
    const rate = paired(s.roundRates, bare.roundRates);
    const cpu = paired(s.roundCpus, bare.roundCpus);
    return `  paired ${rate.median}× bare, CPU per answer ${cpu.median}× bare's (${cpu.quartiles})`;
  };
  for (const s of servers) {
    const all = Float64Array.from(s.latencies.flatMap((round) => [...round])).sort();
    const p99 = percentile(all, 99);
    console.log(`${s.name.padEnd(12)} ${(s.cpu / s.ok).toFixed(1).padStart(7)} µs/answer ${(s.ok / s.seconds).toFixed(0).padStart(7)} req/s  p99 ${p99.toFixed(1)} ms  errors ${s.errors}  server ${(s.cpu / s.seconds / 1e6).toFixed(2)} cores, load generator ${(s.loadCpu / s.seconds / 1e6).toFixed(2)} cores${
      postmaster === null ? '' : `, PostgreSQL ${(s.postgresCpu / s.ok).toFixed(1)} µs/answer`}${pairedRatio(s)}`);
  }
} finally {
  for (const s of servers) await s.server.stop();
  // Calls that missed the recorder's deadline and were written through the spool (one log line each).
  for (const s of servers) {
    const log = join(work, `${s.name}.log`);
    const spooled = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((line) => line.includes(' call spooled: ')).length : 0;
    if (spooled > 0) console.log(`${s.name}: ${spooled} calls through the spool`);
  }
  if (process.env.AB_KEEP) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
