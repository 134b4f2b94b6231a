// New calls as Server-Sent Events, for open pages. Each connection polls the store (so it sees
// calls taken by every instance sharing it) and sends each call started since it opened, again
// whenever the call changes (answered, ended), with callers as the role may see them. A stream
// outlives the request that signed it in: it ends once that credential no longer would.

import { Router } from 'express';
import { principalOf } from '../../security/admin-auth.js';
import type { CallStore } from '../../store/call-store.js';
import { callerFor, callToJson } from './call-json.js';

/** How often a connection looks for new calls; a person does not notice a second. */
const POLL_MS = 1000;
/** Calls started this long before the connection opened still count as new: the page loaded its list just before. */
const OVERLAP_MS = 10_000;
/** The newest calls watched per connection. */
const WATCHED_CALLS = 100;
/** A comment line this often keeps proxies from closing a quiet connection. */
const KEEP_ALIVE_POLLS = 15;
/** How often the credential is checked again: a revoked session, a disabled user or a new role ends the stream this soon. */
const RECHECK_POLLS = 5;

export function liveCallRoutes(store: CallStore): Router {
  const router = Router();
  router.get('/api/calls/live', (req, res) => {
    const principal = principalOf(res);
    const caller = callerFor(principal.role);
    res.status(200).set({ 'content-type': 'text/event-stream', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    // EventSource reconnects by itself after a drop; this says how soon.
    res.write('retry: 3000\n\n');
    const since = new Date(Date.now() - OVERLAP_MS);
    /** Each watched call as last sent. */
    let sent = new Map<string, string>();
    let polls = 0;
    let polling = false;
    const poll = async () => {
      if (polling) return;
      polling = true;
      try {
        if (++polls % RECHECK_POLLS === 0 && !(await principal.stillValid())) {
          // The page's EventSource tries again, is refused, and sends the person to sign in.
          clearInterval(timer);
          res.end();
          return;
        }
        const { calls } = await store.listCalls({ since, limit: WATCHED_CALLS });
        const now = new Map<string, string>();
        for (const call of calls.reverse()) {
          const json = JSON.stringify(callToJson(call, caller));
          now.set(call.uuid, json);
          if (sent.get(call.uuid) !== json) res.write(`event: call\ndata: ${json}\n\n`);
        }
        sent = now;
      } catch {
        // The store is unavailable for now: the page keeps what it has, the next poll retries.
      } finally {
        polling = false;
      }
      if (polls % KEEP_ALIVE_POLLS === 0) res.write(': keep-alive\n\n');
    };
    const timer = setInterval(poll, POLL_MS);
    req.on('close', () => clearInterval(timer));
  });
  return router;
}
