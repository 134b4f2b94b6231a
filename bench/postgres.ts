// PostgreSQL servers for the benchmark: a throwaway one (initdb into a temporary directory, removed
// again afterwards) or one on a data directory kept between runs; each listens on a free loopback
// port. Run as the `postgres` user when we are root, because PostgreSQL refuses to run as root.

import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './processes.js';

export interface Postgres {
  url: string;
  version: string;
  /**
   * CPU time the server's processes have used so far, in µs (the postmaster, its live backends
   * and those that have exited); null when it cannot be read (a server given by URL, no /proc).
   */
  cpuMicroseconds(): number | null;
  stop(): Promise<void>;
}

/** USER_HZ, the unit of /proc/<pid>/stat times: 100 on the Linux kernels this runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/** utime, stime, cutime and cstime of a process, in clock ticks, from /proc/<pid>/stat. */
function processTicks(pid: number): { own: number; children: number; parent: number } | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name, in parentheses, may hold spaces: fields are counted after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const at = (field: number) => Number(fields[field - 3]);
  return { own: at(14) + at(15), children: at(16) + at(17), parent: at(4) };
}

/** The postmaster's CPU with that of every child it has (live) or had (reaped), in µs. */
function serverCpuMicroseconds(dataDir: string): number | null {
  let postmaster: number;
  try {
    postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return null;
  }
  return postmasterCpuMicroseconds(postmaster);
}

/** The CPU of postmaster `pid` and of every child it has (live) or had (reaped), in µs; null when it is gone. */
export function postmasterCpuMicroseconds(postmaster: number): number | null {
  const main = processTicks(postmaster);
  if (main === null) return null;
  let ticks = main.own + main.children;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const child = processTicks(Number(entry));
    if (child?.parent === postmaster) ticks += child.own;
  }
  return (ticks * 1_000_000) / CLOCK_TICKS_PER_SECOND;
}

/** The postmaster listening on `port` of this machine (started with -p <port>, as ours are), or null. */
export function postmasterOfPort(port: number): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const at = args.indexOf('-p');
    if (/\/postgres$/.test(args[0] ?? '') && at > 0 && args[at + 1] === String(port)) return Number(entry);
  }
  return null;
}

/** The directory of PostgreSQL's server binaries (initdb, pg_ctl), newest version first. */
function findServerBinaries(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = join(root, version, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
  }
  return null;
}

/** Starts a private PostgreSQL; returns the reason instead when this machine has none. */
export async function startThrowawayPostgres(): Promise<Postgres | { unavailable: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'call-tracker-bench-pg-'));
  return startPostgres(dir, join(dir, 'data'), () => rmSync(dir, { recursive: true, force: true }));
}

/**
 * Starts PostgreSQL on a data directory that outlives the run (initdb makes it when it is not
 * there yet): a filled database is kept between runs, as bench/fill.ts keeps SQLite files.
 */
export async function startKeptPostgres(data: string): Promise<Postgres | { unavailable: string }> {
  const sockets = mkdtempSync(join(tmpdir(), 'call-tracker-bench-pg-'));
  return startPostgres(sockets, data, () => rmSync(sockets, { recursive: true, force: true }));
}

/** Runs PostgreSQL on `data` with its socket and log in `dir`; `cleanup` runs when it stops or fails to start. */
async function startPostgres(dir: string, data: string, cleanup: () => void): Promise<Postgres | { unavailable: string }> {
  const bin = findServerBinaries();
  const unavailable = (reason: string) => {
    cleanup();
    return { unavailable: reason };
  };
  if (bin === null) return unavailable('no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)');
  const asRoot = process.getuid?.() === 0;
  const account = asRoot ? lookupUid('postgres') : null;
  if (asRoot && account === null) return unavailable('running as root and there is no postgres user to run PostgreSQL as');

  if (account) chownSync(dir, account.uid, account.gid);
  const run = (command: string, args: string[]) => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
    const result = spawnSync(file, argv, { encoding: 'utf8', cwd: dir });
    if (result.status !== 0) throw new Error(`${command} failed: ${(result.stderr || result.stdout || String(result.error)).trim()}`);
    return result.stdout;
  };

  const port = await freePort();
  try {
    const fresh = !existsSync(join(data, 'PG_VERSION'));
    if (fresh) {
      mkdirSync(data, { recursive: true });
      if (account) chownSync(data, account.uid, account.gid);
      run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
    }
    // Production settings otherwise: fsync and synchronous_commit stay on.
    const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c max_connections=200`;
    run(join(bin, 'pg_ctl'), ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', 'start']);
    if (fresh) run(join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', 'call_tracker_bench']);
  } catch (error) {
    return unavailable(`could not start a PostgreSQL: ${error instanceof Error ? error.message : String(error)}`);
  }
  const version = run(join(bin, 'pg_ctl'), ['--version']).trim();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/call_tracker_bench`,
    version,
    cpuMicroseconds: () => serverCpuMicroseconds(data),
    stop: async () => {
      try {
        run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']);
      } finally {
        cleanup();
      }
    },
  };
}

function lookupUid(user: string): { uid: number; gid: number } | null {
  const result = spawnSync('id', ['-u', user], { encoding: 'utf8' });
  const group = spawnSync('id', ['-g', user], { encoding: 'utf8' });
  if (result.status !== 0 || group.status !== 0) return null;
  return { uid: Number(result.stdout.trim()), gid: Number(group.stdout.trim()) };
}
