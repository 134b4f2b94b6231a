// Credits the calls stored before calls kept their attribution (migration 23) to website visits,
// once, when an instance opens such a database: as SQLite's credit-stored-calls.ts. The first
// instance to lock the row does it; the others find it gone.

import type pg from 'pg';
import { creditCall } from '../../domain/attribution/call-attribution.js';
import type { DniStore } from '../dni-store.js';
import { REPORT_TIMEOUT_MS, withTimeout } from './postgres-reports.js';

/** Calls credited per statement. */
const PAGE = 10_000;

const CALLS_OF_HELD_NUMBERS = `
  SELECT uuid, tracking_number, started_at FROM calls
  WHERE started_at >= (SELECT min(held_from) FROM dni_holds) AND tracking_number IN (SELECT number FROM dni_holds)`;

const SET_ATTRIBUTIONS = `
  UPDATE calls SET attribution = v.attribution FROM unnest($1::text[], $2::jsonb[]) AS v (uuid, attribution) WHERE calls.uuid = v.uuid`;

export async function creditStoredCalls(client: pg.PoolClient, dni: Pick<DniStore, 'holdsAt'>): Promise<void> {
  const { rows: pending } = await client.query('SELECT 1 FROM call_attribution_backfill FOR UPDATE');
  if (pending.length === 0) return;
  const { rows: calls } = await client.query<{ uuid: string; tracking_number: string; started_at: Date }>(
    withTimeout({ text: CALLS_OF_HELD_NUMBERS }, REPORT_TIMEOUT_MS));
  for (let start = 0; start < calls.length; start += PAGE) {
    const page = calls.slice(start, start + PAGE);
    const holds = await dni.holdsAt(page.map((call) => ({ number: call.tracking_number, at: call.started_at })));
    const credited = page.flatMap((call, i) => {
      const attribution = creditCall(holds[i] ?? []);
      return attribution === null ? [] : [{ uuid: call.uuid, attribution: JSON.stringify(attribution) }];
    });
    await client.query(withTimeout({
      text: SET_ATTRIBUTIONS, values: [credited.map((c) => c.uuid), credited.map((c) => c.attribution)],
    }, REPORT_TIMEOUT_MS));
  }
  await client.query('DELETE FROM call_attribution_backfill');
}
