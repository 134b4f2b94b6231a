// A PostgreSQL server of a test's own, for outage tests that stop it or freeze it: initdb in a
// temporary directory, a free loopback port, run as the postgres user when we are root (the
// server refuses to run as root). Never the shared TEST_DATABASE_URL server.

import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './server-process.js';

function findBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const dir = join(root, version, 'bin');
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  return null;
}

const binDir = findBinDir();

/** Why tests needing a server of their own cannot run here, or undefined when they can. */
export const ownPostgresSkipReason: string | undefined =
  binDir !== null || process.env.CI === 'true' ? undefined : 'no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)';

export interface OwnPostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  /** pg_ctl stop -m immediate: every connection is cut, as in a crash. */
  stop(): void;
  /** Starts the stopped server again on the same port and waits until it accepts connections. */
  start(): void;
  /** SIGSTOP to the postmaster and every backend: connections stay open, nothing answers. */
  freeze(): void;
  thaw(): void;
  /** Stops the server and removes its directory. */
  destroy(): void;
}

export async function startOwnPostgres(): Promise<OwnPostgres> {
  if (binDir === null) throw new Error(ownPostgresSkipReason);
  const asRoot = userInfo().uid === 0;
  const run = (program: string, args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', join(binDir, program), ...args], { stdio: 'pipe' })
      : execFileSync(join(binDir, program), args, { stdio: 'pipe' });

  const dir = mkdtempSync(join(tmpdir(), 'call-tracker-own-pg-'));
  chmodSync(dir, 0o755);
  if (asRoot) {
    const postgresUser = execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim();
    const postgresGroup = execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim();
    chownSync(dir, Number(postgresUser), Number(postgresGroup));
  }
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions']);

  let port = 0;
  const startOn = (candidate: number) =>
    run('pg_ctl', [
      '-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '30',
      // fsync off is safe here: an immediate stop kills processes, not the OS's page cache. Commits
      // stay synchronous, or the stop would lose the WAL of the last ones, as a crash would.
      '-o', `-h 127.0.0.1 -p ${candidate} -k ${dir} -c fsync=off`, 'start',
    ]);
  // A port found free can be taken before the server binds it: try a few.
  for (let attempt = 0; port === 0; attempt++) {
    const candidate = await freePort();
    try {
      startOn(candidate);
      port = candidate;
    } catch (error) {
      if (attempt >= 4) throw new Error(`PostgreSQL did not start: ${String(error)}\n${readLog(dir)}`);
    }
  }

  const processIds = (): number[] => {
    const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return [postmaster, ...childrenOf(postmaster)];
  };
  let frozen: number[] = [];

  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: () => void run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']),
    start: () => void startOn(port),
    freeze: () => {
      frozen = processIds();
      for (const pid of frozen) process.kill(pid, 'SIGSTOP');
    },
    thaw: () => {
      for (const pid of frozen) process.kill(pid, 'SIGCONT');
      frozen = [];
    },
    destroy: () => {
      for (const pid of frozen) process.kill(pid, 'SIGCONT');
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // Already stopped.
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** From /proc: the processes whose parent is `parent` (the postmaster's backends and workers). */
function childrenOf(parent: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name is in parentheses and may hold spaces; the parent pid follows the state.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === parent) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

function readLog(dir: string): string {
  try {
    return readFileSync(join(dir, 'server.log'), 'utf8');
  } catch {
    return '';
  }
}
