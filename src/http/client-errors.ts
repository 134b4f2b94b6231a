// Requests that Node's HTTP parser refuses before Express sees them (headers or URL too large,
// not HTTP, too slow to arrive): answered as Node answers them, and logged like every other
// refused request. Only the reason is logged: the request line may hold a caller's number.

import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../logger.js';

interface Refusal {
  status: number;
  statusText: string;
  reason: string;
}

const REFUSALS: Record<string, Refusal> = {
  HPE_HEADER_OVERFLOW: { status: 431, statusText: 'Request Header Fields Too Large', reason: 'the request line or headers are too large' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, statusText: 'Request Timeout', reason: 'the request did not arrive in time' },
};
const NOT_HTTP: Refusal = { status: 400, statusText: 'Bad Request', reason: 'the request is not valid HTTP' };

/** Node keeps the response in flight on its socket; an answer must not cut into one already begun. */
type ServerSocket = Socket & { _httpMessage?: ServerResponse | null };

export function logClientErrors(server: Server, logger: Logger): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: ServerSocket) => {
    // A client that went away has nothing to be told.
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const refusal = REFUSALS[error.code ?? ''] ?? NOT_HTTP;
    logger.info('request refused', { status: refusal.status, reason: refusal.reason });
    if (!socket._httpMessage?.headersSent) socket.write(`HTTP/1.1 ${refusal.status} ${refusal.statusText}\r\nConnection: close\r\n\r\n`);
    // Closed at once, as Node does: a client that will not finish its request must not keep the socket.
    socket.destroy();
  });
}
