// The access log: morgan, one line per request, in the format
// `address [ISO time] "METHOD /path" status content-length response-time ms`.
// Callers' numbers are personal data and arrive in the answer webhook's query string, so the log
// records the path only, never the query.
//
// It sits in front of every answer webhook, where stock morgan (per-request hooks, a WriteStream
// written once per line) cost a fifth of the server's time (bench/findings.md): here morgan's
// compiled format is called once the response closes, and a sink gathers the lines of one
// event-loop turn into one write.

import { openSync, writeSync } from 'node:fs';
import type { Request, RequestHandler, Response } from 'express';
import morgan from 'morgan';
import type { AccessLogTarget } from '../config.js';
import type { Logger } from '../logger.js';
import { PRIVATE_FILE_MODE, createPrivateParent, makeOpenFilePrivate } from '../security/private-files.js';
import { pathForLog } from './log-path.js';

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
function fileWriter(path: string, logger: Logger): WriteLines {
  // Client addresses, and paths that name tracking numbers: private, like the database.
  createPrivateParent(path);
  const fd = openSync(path, 'a', PRIVATE_FILE_MODE);
  makeOpenFilePrivate(fd, path, logger);
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
  const path = query === -1 ? url : url.slice(0, query);
  return pathForLog(path);
}

/** What the log notes as a request arrives, kept in res.locals for its line. */
interface Arrival {
  /** performance.now() */
  accessLogStartedMs?: number;
  accessLogAddress?: string;
}

const arrivalOf = (res: Response) => res.locals as Arrival;

// Tokens of this log's own: the client's address and the time since the request arrived (like
// morgan's response-time, none for a request whose response never started), and the path
// without the query. morgan escapes every token's value, quotes and control characters included.
morgan.token<Request, Response>('arrived-from', (_req, res) => arrivalOf(res).accessLogAddress);
morgan.token<Request, Response>('time-taken', (_req, res) => {
  const startedMs = arrivalOf(res).accessLogStartedMs;
  return res.headersSent && startedMs !== undefined ? (performance.now() - startedMs).toFixed(3) : undefined;
});
morgan.token<Request, Response>('path-only', (req) => pathOf(req));

const LINE_FORMAT = ':arrived-from [:date[iso]] ":method :path-only" :status :res[content-length] :time-taken ms';

/**
 * morgan formats every line: its compiled format, called once the response closes. Used as
 * ordinary middleware, morgan hooks writeHead and attaches on-finished listeners (an AsyncResource
 * and four listeners on the response and its socket) to every request, and even its `immediate`
 * mode stamps four properties on the request and response and works out the client's address
 * again: in A/B runs those cost ~35 and ~15 µs of CPU per answer webhook, while one 'close'
 * listener costs next to nothing. 'close' comes once after every response, finished or aborted.
 */
export function accessLog(target: AccessLogTarget, logger: Logger): RequestHandler | null {
  if (target.kind === 'off') return null;
  const lines = new LineBatcher(target.kind === 'stdout' ? stdoutWriter : fileWriter(target.path, logger));
  const formatLine = morgan.compile<Request, Response>(LINE_FORMAT);
  // The tokens are morgan's own properties, as morgan passes them to a format function; its
  // types describe them as an index without saying that morgan is one.
  const tokens = morgan as unknown as morgan.TokenIndexer<Request, Response>;
  // One listener function for all responses: `this` is the response, and the response knows its request.
  function writeLine(this: Response) {
    const line = formatLine(tokens, this.req, this);
    if (line != null) lines.add(`${line}\n`);
  }
  return (req, res, next) => {
    const arrival = arrivalOf(res);
    arrival.accessLogStartedMs = performance.now();
    // Read now: once a client has gone, its socket no longer tells its address.
    arrival.accessLogAddress = req.ip ?? req.socket.remoteAddress;
    res.on('close', writeLine);
    next();
  };
}
