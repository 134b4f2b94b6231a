// The audit log of admin changes, newest first. Mounted behind requireAdmin.

import { Router } from 'express';
import { badRequest } from '../http-error.js';
import type { CallStore } from '../../store/call-store.js';

const DEFAULT_ENTRIES = 100;
const MAX_ENTRIES = 1000;

export function auditApiRoutes(store: CallStore): Router {
  const router = Router();
  router.get('/api/audit', async (req, res) => {
    const raw = typeof req.query.limit === 'string' ? req.query.limit : undefined;
    const limit = raw === undefined ? DEFAULT_ENTRIES : Number(raw);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_ENTRIES) throw badRequest(`"limit" must be a whole number from 1 to ${MAX_ENTRIES}`);
    const entries = await store.listAudit(limit);
    res.json({ entries: entries.map((entry) => ({ ...entry, at: entry.at.toISOString() })) });
  });
  return router;
}
