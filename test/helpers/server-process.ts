// Runs src/server.ts as a real child process (dotenv, config, signals and exit code included),
// for tests of what only a process shows: restarts, kills, SIGTERM under load.

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('../../src/server.ts', import.meta.url));

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Everything the process wrote to stderr (its log lines). */
  stderr: string;
}

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  /** http://127.0.0.1:<port> */
  url: string;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  exited: Promise<ProcessExit>;
  /** Sends the signal and resolves once the process has exited. */
  stop(signal: NodeJS.Signals): Promise<ProcessExit>;
}

/** A loopback port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Starts the server on `port` with only `env` (and PATH) as its environment, in `cwd`. */
export async function startServerProcess(port: number, env: Record<string, string>, cwd: string): Promise<ServerProcess> {
  // A clean environment and a directory of its own: the child must not pick up this machine's
  // settings or a .env file.
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), SERVER], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
  await new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (/listening on port \d+/.test(stderr)) {
        child.stderr!.off('data', onData);
        resolve();
      }
    };
    child.stderr!.on('data', onData);
    void exited.then(({ code }) => reject(new Error(`the server exited (${code}) before listening:\n${stderr}`)));
  });
  const stop = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return { child, port, url: `http://127.0.0.1:${port}`, stderr: () => stderr, exited, stop };
}

/** Resolves once the process has logged a line matching `pattern`. */
export function waitForLog(server: ServerProcess, pattern: RegExp): Promise<void> {
  return new Promise((resolve) => {
    if (pattern.test(server.stderr())) return resolve();
    const onData = () => {
      if (pattern.test(server.stderr())) {
        server.child.stderr!.off('data', onData);
        resolve();
      }
    };
    server.child.stderr!.on('data', onData);
  });
}
