// The access log, through morgan. Callers' numbers are personal data and arrive in the answer
// webhook's query string, so the log records the path only, never the query.

import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import morgan from 'morgan';
import type { AccessLogTarget } from './config.js';

morgan.token('path', (req: IncomingMessage & { originalUrl?: string }) => {
  const url = req.originalUrl ?? req.url ?? '';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
});

const FORMAT = ':remote-addr [:date[iso]] ":method :path" :status :res[content-length] :response-time ms';

export function accessLog(target: AccessLogTarget): RequestHandler | null {
  if (target.kind === 'off') return null;
  if (target.kind === 'stdout') return morgan(FORMAT);
  mkdirSync(dirname(target.path), { recursive: true });
  return morgan(FORMAT, { stream: createWriteStream(target.path, { flags: 'a' }) });
}
