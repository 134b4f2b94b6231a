// Whether an error means the database could not be reached or used for now (down, frozen,
// restarting, out of connections, write-locked), as opposed to a fault in the request or in our
// code. Admin requests that fail this way are answered 503 and may simply be tried again.

/** Node's socket errors when the server is down, unreachable or cuts the connection. */
const SOCKET_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * PostgreSQL's SQLSTATEs for a server shutting down, restarting or out of connections; class 08
 * (connection exceptions) is matched by its prefix.
 */
const POSTGRES_UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** SQLite's codes when another connection holds the lock past the busy timeout. */
const SQLITE_LOCKED_CODE = /^SQLITE_(BUSY|LOCKED)/;

/** node-postgres reports its own timeouts and dropped connections without a code, by message. */
const NODE_POSTGRES_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error)/;

export function isStoreUnavailable(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 4) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (SOCKET_ERROR_CODES.has(code) || POSTGRES_UNAVAILABLE_STATES.has(code) || code.startsWith('08') || SQLITE_LOCKED_CODE.test(code)) return true;
  }
  if (NODE_POSTGRES_MESSAGES.test(error.message)) return true;
  // Node reports each address of a host name it tried; a wrapper keeps the driver's error as cause.
  if (error instanceof AggregateError && error.errors.some((inner) => isStoreUnavailable(inner, depth + 1))) return true;
  return isStoreUnavailable(error.cause, depth + 1);
}
