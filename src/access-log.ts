// The access log: one line per request, in the format
// `:remote-addr [:date[iso]] ":method :path" :status :res[content-length] :response-time ms`.
// Callers' numbers are personal data and arrive in the answer webhook's query string, so the log
// records the path only, never the query.
//
// It sits in front of every answer webhook, where morgan cost a fifth of the server's time
// (bench/findings.md): here a line is one template string, and the lines of one turn of the
// event loop reach the file in one write.

import { mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Request, RequestHandler, Response } from 'express';
import type { AccessLogTarget } from './config.js';

/** Past this many characters waiting, the lines are written without waiting for the turn to end. */
const FLUSH_AT_CHARS = 64 * 1024;

type WriteLines = (chunk: string) => void;

/** Appends lines to a writer, gathering those of one event-loop turn into one write. */
class LineBatcher {
  #pending = '';
  #scheduled = false;

  constructor(private readonly write: WriteLines) {}

  add(line: string): void {
    this.#pending += line;
    if (this.#pending.length >= FLUSH_AT_CHARS) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.#scheduled = false;
    if (this.#pending === '') return;
    const chunk = this.#pending;
    this.#pending = '';
    this.write(chunk);
  }
}

/**
 * Appends to the file with a synchronous write: one system call per batch, nothing in flight
 * that a process.exit could cut off. A failing disk loses log lines, never requests.
 */
function fileWriter(path: string): WriteLines {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'a');
  let failing = false;
  return (chunk) => {
    try {
      writeSync(fd, chunk);
      failing = false;
    } catch (error) {
      if (!failing) process.stderr.write(`access log: cannot write ${path}, dropping lines: ${String(error)}\n`);
      failing = true;
    }
  };
}

const stdoutWriter: WriteLines = (chunk) => {
  process.stdout.write(chunk);
};

function pathOf(req: Request): string {
  const url = req.originalUrl;
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

let isoMs = 0;
let isoTime = '';
/** The time as ISO 8601; lines written within one millisecond share one formatting. */
function isoNow(): string {
  const nowMs = Date.now();
  if (nowMs !== isoMs) {
    isoMs = nowMs;
    isoTime = new Date(nowMs).toISOString();
  }
  return isoTime;
}

function line(req: Request, res: Response, remoteAddress: string, startedMs: number): string {
  // Status, length and time exist only once the response's headers went out (not on an abort).
  let status = '-';
  let length = '-';
  let responseTime = '-';
  if (res.headersSent) {
    status = String(res.statusCode);
    const contentLength = res.getHeader('content-length');
    if (contentLength !== undefined) length = Array.isArray(contentLength) ? contentLength.join(', ') : String(contentLength);
    responseTime = (performance.now() - startedMs).toFixed(3);
  }
  return `${remoteAddress} [${isoNow()}] "${req.method} ${pathOf(req)}" ${status} ${length} ${responseTime} ms\n`;
}

export function accessLog(target: AccessLogTarget): RequestHandler | null {
  if (target.kind === 'off') return null;
  const lines = new LineBatcher(target.kind === 'stdout' ? stdoutWriter : fileWriter(target.path));
  return (req, res, next) => {
    const startedMs = performance.now();
    // Read now: by the time the response closes, the socket may be gone.
    const remoteAddress = req.ip ?? req.socket.remoteAddress ?? '-';
    // 'close' comes once after every response, finished or aborted: every request gets its line.
    res.on('close', () => lines.add(line(req, res, remoteAddress, startedMs)));
    next();
  };
}
