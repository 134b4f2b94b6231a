// A request path as log lines show it: the callers' data routes carry a caller's number in the
// path, which a log must never hold, so those lines show the route instead.

const CALLER_PATH = /^\/api\/callers\/[^/]*/;

export function pathForLog(path: string): string {
  return path.replace(CALLER_PATH, '/api/callers/:number');
}
