// Callers' data rights: everything held about one caller, and its erasure. Mounted behind
// requireAdmin. The number is in the path; the access log shows the route instead (access-log.ts)
// and no log line or audit entry names it.

import { Router } from 'express';
import { HttpError } from '../http-error.js';
import { recordAdminChange } from '../audit.js';
import type { SpoolStatus } from '../../durability/spool.js';
import { newErasureMarker } from '../../privacy/erasure.js';
import type { CallStore } from '../../store/call-store.js';
import { attributeCalls } from '../../domain/attribution/call-attribution.js';
import { callToJson } from './call-json.js';
import { parseNumberParam } from './admin-query.js';

export function callersApiRoutes(store: CallStore, spoolStatus: () => SpoolStatus): Router {
  const router = Router();

  router.get('/api/callers/:number', async (req, res) => {
    const caller = parseNumberParam('number', String(req.params.number));
    const data = await store.findCallerData(caller);
    const attributions = await attributeCalls(store.dni, data.calls);
    res.json({
      caller,
      // Each call with the website visit that brought it, when number pools are in use.
      calls: data.calls.map((call, i) => callToJson(call, attributions[i])),
      events: data.events.map((event) => ({ ...event, occurredAt: event.occurredAt.toISOString() })),
      webhookDeliveries: data.deliveries.map((delivery) => ({
        eventId: delivery.eventId, subscriptionId: delivery.subscriptionId, type: delivery.type, status: delivery.status,
        createdAt: delivery.createdAt.toISOString(), body: JSON.parse(delivery.body) as unknown,
      })),
    });
  });

  router.delete('/api/callers/:number', async (req, res) => {
    const caller = parseNumberParam('number', String(req.params.number));
    // Spooled calls reach the store later, with the number: erase once they have.
    if (spoolStatus().depth > 0) {
      throw new HttpError('unavailable', 'calls are waiting in the spool for the database; retry the erasure once they are stored');
    }
    const calls = await store.eraseCaller(caller, newErasureMarker());
    await recordAdminChange(store, res, 'caller.erased', null, { calls });
    res.json({ erasedCalls: calls });
  });

  return router;
}
