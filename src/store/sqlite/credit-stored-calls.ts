// Credits the calls stored before calls kept their attribution (migration 26) to website visits,
// once, when the store opens such a database: the same rule (creditCall) as every new call, over
// the calls to numbers that ever had a hold, before the report buckets are rebuilt from them.

import type Database from 'better-sqlite3';
import { creditCall } from '../../domain/attribution/call-attribution.js';
import type { SqliteDniStore } from './sqlite-dni-store.js';

export function creditStoredCalls(db: Database.Database, dni: SqliteDniStore): void {
  const pending = db.prepare<[], number>('SELECT 1 FROM call_attribution_backfill').pluck();
  if (pending.get() === undefined) return;
  const callsOfHeldNumbers = db.prepare<[], { uuid: string; tracking_number: string; started_at: number }>(`
    SELECT uuid, tracking_number, started_at FROM calls
    WHERE started_at >= (SELECT min(held_from) FROM dni_holds) AND tracking_number IN (SELECT number FROM dni_holds)`);
  const setAttribution = db.prepare<[string, string]>('UPDATE calls SET attribution = ? WHERE uuid = ?');
  // IMMEDIATE: two processes opening the file credit the calls once.
  db.transaction(() => {
    if (pending.get() === undefined) return;
    for (const call of callsOfHeldNumbers.all()) {
      const attribution = creditCall(dni.holdsOn({ number: call.tracking_number, at: new Date(call.started_at) }));
      if (attribution !== null) setAttribution.run(JSON.stringify(attribution), call.uuid);
    }
    db.prepare('DELETE FROM call_attribution_backfill').run();
  }).immediate();
}
