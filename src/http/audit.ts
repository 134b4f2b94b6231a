// Writes one audit log entry for an admin change, after the change itself is stored.

import type { Response } from 'express';
import { actorOf } from '../security/actor.js';
import type { CallStore } from '../store/call-store.js';

export function recordAdminChange(
  store: CallStore, res: Response, action: string, target: string | null, details: Record<string, unknown> = {},
): Promise<void> {
  return store.appendAudit({ at: new Date(), actor: actorOf(res), action, target, details });
}
