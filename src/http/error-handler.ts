// The JSON 404 and the single error handler: a client's mistake gets its 4xx and a short reason,
// a database that cannot be reached a 503 to try again, anything else a generic 500 that never
// shows internals.

import type { ErrorRequestHandler, RequestHandler } from 'express';
import { HttpError } from './http-error.js';
import type { Logger } from '../logger.js';
import { pathForLog } from './log-path.js';
import { isStoreUnavailable } from '../store/store-unavailable.js';

/** How long a client is asked to wait before trying again while the database is unavailable. */
const STORE_RETRY_AFTER_SECONDS = 5;

export const notFound: RequestHandler = (req, _res, next) => {
  next(new HttpError('not_found', `no route for ${req.method} ${req.path}`));
};

/** Errors raised by body-parser and friends carry `status` and `type`; map the known ones. */
function fromParserError(error: unknown): HttpError | null {
  if (typeof error !== 'object' || error === null) return null;
  const { status, type } = error as { status?: unknown; type?: unknown };
  if (typeof status !== 'number' || status < 400 || status >= 500) return null;
  switch (type) {
    case 'entity.parse.failed':
      return new HttpError('bad_request', 'the body is not valid JSON');
    case 'entity.too.large':
      return new HttpError('payload_too_large', 'the body is too large');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError('unsupported_media_type', 'unsupported body encoding');
    default:
      return new HttpError('bad_request', 'the request could not be read');
  }
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const known = error instanceof HttpError ? error : fromParserError(error);
    if (known) {
      logger.info('request refused', { method: req.method, path: pathForLog(req.path), status: known.status, reason: known.message });
      if (known.page !== null) res.status(known.status).type('html').send(known.page);
      else res.status(known.status).json({ error: known.code, message: known.message });
      return;
    }
    const storeUnavailable = isStoreUnavailable(error);
    if (storeUnavailable) {
      // An outage, not a bug: one line without a stack; the spool and /healthz tell the rest.
      logger.warn('request failed: the database is unavailable', { method: req.method, path: pathForLog(req.path), error: String(error?.message ?? error) });
    } else {
      logger.error('request failed', { method: req.method, path: pathForLog(req.path), error: String(error?.stack ?? error) });
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (storeUnavailable) {
      res.status(503).set('Retry-After', String(STORE_RETRY_AFTER_SECONDS))
        .json({ error: 'unavailable', message: 'the database is not answering: try again in a moment' });
      return;
    }
    res.status(500).json({ error: 'internal', message: 'internal error' });
  };
}
