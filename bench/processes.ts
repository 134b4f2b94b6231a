// Builds the code under test and runs each benchmarked server in a process of its own: the
// call-tracker as `npm start` runs it (`node dist/server.js`, compiled by `npm run build`), the
// bare Express baseline and the tutorial's server, all started, probed and stopped the same way.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

export const PROJECT_ROOT = resolve(import.meta.dirname, '..');
/** The admin token every benchmarked call-tracker is started with. */
export const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';
const BASELINE_BUILD_DIR = join(PROJECT_ROOT, 'bench', '.cache', 'build');

/** How the servers' code is run: compiled JavaScript (production) or TypeScript through tsx (smoke runs). */
export type Runtime = 'compiled' | 'tsx';

export interface Entrypoints {
  runtime: Runtime;
  server: string;
  bare: string;
  tutorial: string;
  probe: string;
  /** tsc's complaints, when a build emitted code in spite of type errors. */
  buildWarnings: string | null;
}

/** Runs tsc on a project; returns its complaints, or null when it had none. */
function compile(project: string): string | null {
  const tsc = join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const built = spawnSync(process.execPath, [tsc, '-p', project], { encoding: 'utf8', cwd: PROJECT_ROOT });
  return built.status === 0 ? null : `${built.stdout}${built.stderr}${built.error ?? ''}`.trim();
}

/** Compiles the baselines and the probe (bench/tsconfig.json). */
export function buildBaselines(): Pick<Entrypoints, 'bare' | 'tutorial' | 'probe'> & { warnings: string | null } {
  return {
    bare: join(BASELINE_BUILD_DIR, 'bench', 'bare-express.js'),
    tutorial: join(BASELINE_BUILD_DIR, 'bench', 'tutorial-server.js'),
    probe: join(BASELINE_BUILD_DIR, 'bench', 'memory-probe.js'),
    warnings: compile(join(PROJECT_ROOT, 'bench', 'tsconfig.json')),
  };
}

/** Compiles src/ as `npm run build` does for production (into dist/), and the baselines. */
export function buildEntrypoints(runtime: Runtime): Entrypoints {
  if (runtime === 'tsx') {
    return {
      runtime,
      server: join(PROJECT_ROOT, 'src', 'server.ts'),
      bare: join(PROJECT_ROOT, 'bench', 'bare-express.ts'),
      tutorial: join(PROJECT_ROOT, 'bench', 'tutorial-server.ts'),
      probe: join(PROJECT_ROOT, 'bench', 'memory-probe.ts'),
      buildWarnings: null,
    };
  }
  const serverWarnings = compile(join(PROJECT_ROOT, 'tsconfig.build.json'));
  const { warnings: baselineWarnings, ...baselines } = buildBaselines();
  const warnings = [serverWarnings, baselineWarnings].filter((w) => w !== null);
  const entrypoints: Entrypoints = {
    runtime,
    server: join(PROJECT_ROOT, 'dist', 'server.js'),
    ...baselines,
    buildWarnings: warnings.length > 0 ? warnings.join('\n') : null,
  };
  // tsc emits in spite of type errors; only a build that produced nothing stops the run.
  if (![entrypoints.server, entrypoints.bare, entrypoints.tutorial, entrypoints.probe].every((file) => existsSync(file))) {
    throw new Error(`the build failed:\n${entrypoints.buildWarnings ?? ''}`);
  }
  return entrypoints;
}

/** A loopback port nobody is listening on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

export interface MemoryReading {
  rss: number;
  heapUsed: number;
  external: number;
  gcRan: boolean;
}

export interface ServerProcess {
  name: string;
  url: string;
  pid: number;
  /** Memory after a full GC, measured inside the process by the preloaded probe. */
  measureMemory(): Promise<MemoryReading>;
  /** CPU time (user + system) the process has used so far, in µs. */
  cpuMicroseconds(): Promise<number>;
  /** The process's stderr so far (its application log). */
  log(): string;
  stop(): Promise<void>;
}

export interface ServerSpec {
  name: string;
  entry: 'server' | 'bare' | 'tutorial';
  /** Environment for the server; PORT is added. Nothing else is inherited but PATH and HOME. */
  env: Record<string, string>;
  /** Working directory: keeps a developer's .env out of the run. */
  cwd: string;
  logPath: string;
  /** More options for node, e.g. --cpu-prof while profiling. */
  nodeArgs?: string[];
}

const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 15_000;

export async function startServer(entrypoints: Entrypoints, spec: ServerSpec): Promise<ServerProcess> {
  const port = await freePort();
  const nodeArgs = ['--expose-gc', ...(spec.nodeArgs ?? [])];
  // Resolved here: the server's working directory is a temporary one, outside the project.
  if (entrypoints.runtime === 'tsx') nodeArgs.push('--import', import.meta.resolve('tsx'));
  // --import takes a URL or a specifier: an absolute path must be written as a file URL.
  nodeArgs.push('--import', pathToFileURL(entrypoints.probe).href, entrypoints[spec.entry]);
  const child = spawn(process.execPath, nodeArgs, {
    cwd: spec.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...spec.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const logFile = createWriteStream(spec.logPath);
  child.stdout?.pipe(logFile, { end: false });
  child.stderr?.pipe(logFile, { end: false });
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));

  const url = `http://127.0.0.1:${port}`;
  const log = () => (existsSync(spec.logPath) ? readFileSync(spec.logPath, 'utf8') : '');
  await waitUntilReady(url, child, exited, () => `${spec.name} did not start:\n${log().slice(-2000)}`);

  return {
    name: spec.name,
    url,
    pid: child.pid ?? 0,
    measureMemory: () => ask<MemoryReading>(child, 'measure', 'memory'),
    cpuMicroseconds: async () => (await ask<{ microseconds: number }>(child, 'cpu', 'cpu')).microseconds,
    log,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      await new Promise<void>((done) => logFile.end(done));
    },
  };
}

async function waitUntilReady(url: string, child: ChildProcess, exited: Promise<number | null>, describe: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  while (Date.now() < deadline) {
    if (gone) throw new Error(describe());
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(describe());
}

/** Asks the probe in the server (memory-probe.ts) and waits for its answer of the given kind. */
function ask<T>(child: ChildProcess, question: string, kind: string): Promise<T> {
  return new Promise((resolveAnswer, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`the server did not answer "${question}"`));
    }, 10_000);
    const onMessage = (message: unknown) => {
      if (typeof message !== 'object' || message === null || (message as { kind?: unknown }).kind !== kind) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolveAnswer(message as T);
    };
    child.on('message', onMessage);
    child.send(question);
  });
}
