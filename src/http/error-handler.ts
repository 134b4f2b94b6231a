// The JSON 404 and the single error handler: a client's mistake gets its 4xx and a short reason,
// a database that cannot be reached a 503 to try again, anything else a generic 500 that never
// shows internals.

import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
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

/** What the client is told: the refusal's page when it has one, else its code and reason as JSON. */
function send(res: Response, error: HttpError): void {
  if (error.page !== null) res.status(error.status).type('html').send(error.page);
  else res.status(error.status).json({ error: error.code, message: error.message });
}

const STORE_UNAVAILABLE = new HttpError('unavailable', 'the database is not answering: try again in a moment');
/** Never the error itself: its message may show internals. */
const INTERNAL = new HttpError('internal', 'internal error');

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const known = error instanceof HttpError ? error : fromParserError(error);
    if (known) {
      logger.info('request refused', { method: req.method, path: pathForLog(req.path), status: known.status, reason: known.message });
      send(res, known);
      return;
    }
    const outage = isStoreUnavailable(error);
    if (outage) {
      // An outage, not a bug: one line without a stack; the spool and /healthz tell the rest.
      logger.warn('request failed: the database is unavailable', { method: req.method, path: pathForLog(req.path), error: String(error?.message ?? error) });
    } else {
      logger.error('request failed', { method: req.method, path: pathForLog(req.path), error: String(error?.stack ?? error) });
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (outage) res.set('Retry-After', String(STORE_RETRY_AFTER_SECONDS));
    send(res, outage ? STORE_UNAVAILABLE : INTERNAL);
  };
}
