// GET /healthz for load balancers and monitoring: whether the store answers, and how much waits
// in the spool. No auth and no personal data; `GET /` stays the plain liveness answer.

import { Router } from 'express';
import type { SpoolStatus } from '../../durability/spool.js';
import type { CallStore } from '../../store/call-store.js';

/** A frozen database must not hang the health check: past this, the store counts as down. */
export const STORE_CHECK_TIMEOUT_MS = 500;

type StoreHealth =
  | { ok: true; kind: CallStore['kind']; latencyMs: number }
  | { ok: false; kind: CallStore['kind']; error: string };

export function healthRoutes(store: CallStore, spoolStatus: () => SpoolStatus): Router {
  const router = Router();
  // One ping at a time: checks arriving while the store hangs wait on the same ping.
  let ping: Promise<boolean> | null = null;

  async function checkStore(): Promise<StoreHealth> {
    const started = performance.now();
    ping ??= store.ping().then(
      () => true,
      () => false,
    ).finally(() => {
      ping = null;
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), STORE_CHECK_TIMEOUT_MS);
    });
    try {
      const result = await Promise.race([ping, timedOut]);
      if (result === 'timeout') return { ok: false, kind: store.kind, error: `no answer within ${STORE_CHECK_TIMEOUT_MS} ms` };
      // The driver's message may name hosts or users; the log of the failing writes has it.
      if (!result) return { ok: false, kind: store.kind, error: 'the store refused the check' };
      return { ok: true, kind: store.kind, latencyMs: Math.round(performance.now() - started) };
    } finally {
      clearTimeout(timer);
    }
  }

  router.get('/healthz', async (_req, res) => {
    const storeHealth = await checkStore();
    const spool = spoolStatus();
    // Degraded: the store is down or slow, records wait in the spool, or the spool is full (then
    // what the store cannot take is lost). Callers are connected in every case.
    const healthy = storeHealth.ok && spool.depth === 0 && !spool.full;
    res
      .status(healthy ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({ status: healthy ? 'ok' : 'degraded', store: storeHealth, spool });
  });

  return router;
}
