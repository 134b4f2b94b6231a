// The access log: morgan, one line per request, in the format
// `:remote-addr [:date[iso]] ":method :path" :status :res[content-length] :response-time ms`.
// Callers' numbers are personal data and arrive in the answer webhook's query string, so the log
// records the path only, never the query.
//
// It sits in front of every answer webhook. Stock morgan (a compiled token format, a WriteStream
// written once per line) cost a fifth of the server's time (bench/findings.md); here morgan gets
// a format function and a sink that gathers the lines of one event-loop turn into one write.

import { mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Request, RequestHandler, Response } from 'express';
import morgan from 'morgan';
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

/** Characters that would break a line or its quoting, escaped as morgan escapes its tokens. */
const UNSAFE_IN_LINE = /["\\\u0000-\u001f\u007f]/;

function pathOf(req: Request): string {
  const url = req.originalUrl;
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  return UNSAFE_IN_LINE.test(path) ? JSON.stringify(path).slice(1, -1) : path;
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

type Tokens = morgan.TokenIndexer<Request, Response>;

/** A morgan token's value, or '-' when it has none (status and times of an aborted request). */
const token = (tokens: Tokens, name: string, req: Request, res: Response, arg?: string): string =>
  tokens[name]?.(req, res, arg) ?? '-';

/** Morgan's line from its own tokens, except the path (never the query) and a cached date. */
function formatLine(tokens: Tokens, req: Request, res: Response): string {
  return `${token(tokens, 'remote-addr', req, res)} [${isoNow()}] "${req.method} ${pathOf(req)}" ` +
    `${token(tokens, 'status', req, res)} ${token(tokens, 'res', req, res, 'content-length')} ${token(tokens, 'response-time', req, res)} ms`;
}

export function accessLog(target: AccessLogTarget): RequestHandler | null {
  if (target.kind === 'off') return null;
  const lines = new LineBatcher(target.kind === 'stdout' ? stdoutWriter : fileWriter(target.path));
  // morgan writes each line with its newline; an aborted request is logged when it closes.
  return morgan<Request, Response>(formatLine, { stream: { write: (line: string) => lines.add(line) } });
}
