// The server's own store, opened by the setup CLI to register tracking numbers. The store, not the
// admin API: setup runs before the server's first start as well as beside a running server (which
// re-reads its numbers every NUMBERS_REFRESH_MS), and needs no admin token.

import { existsSync } from 'node:fs';
import type { DatabaseLocation } from '../../config.js';
import type { TrackingNumber } from '../../domain/tracking-numbers.js';
import type { Logger } from '../../logger.js';
import type { CallStore } from '../../store/call-store.js';
import { openStore } from '../../store/open-store.js';
import type { CampaignMap } from './campaigns.js';

export type TrackingNumberStore = Pick<CallStore, 'listTrackingNumbers' | 'saveTrackingNumber' | 'close'>;

/**
 * Opens the store, or answers null where registering makes no sense: `memory:` keeps nothing, and
 * when `mustExist` a SQLite file that does not exist yet is not created (the doctor changes nothing).
 */
export async function openTrackingNumbers(location: DatabaseLocation, logger: Logger, mustExist: boolean): Promise<TrackingNumberStore | null> {
  if (location.kind === 'memory') return null;
  if (mustExist && location.kind === 'sqlite' && !existsSync(location.path)) return null;
  return openStore(location, logger);
}

/** The entries to write so that each number is a tracking number with its campaign; others stay as they are. */
export function trackingNumberChanges(existing: TrackingNumber[], numbers: string[], campaigns: CampaignMap): TrackingNumber[] {
  const byNumber = new Map(existing.map((entry) => [entry.number, entry]));
  const changes: TrackingNumber[] = [];
  for (const number of numbers) {
    const entry = byNumber.get(number);
    const campaign = campaigns.get(number) ?? entry?.campaign ?? null;
    if (entry && entry.campaign === campaign) continue;
    changes.push({ number, campaign, forwardTo: entry?.forwardTo ?? null, whisper: entry?.whisper ?? null, route: entry?.route ?? null });
  }
  return changes;
}
