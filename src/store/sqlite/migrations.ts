// The SQLite schema, as numbered migrations applied in order at start-up. Times are integer
// milliseconds since the epoch (UTC): compact, and compared without parsing.

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const sqliteMigrations: Migration[] = [
  {
    version: 1,
    name: 'calls, events and tracking numbers',
    sql: `
      CREATE TABLE calls (
        uuid TEXT PRIMARY KEY,
        conversation_uuid TEXT,
        tracking_number TEXT,
        caller TEXT,
        campaign TEXT,
        forward_to TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        outcome TEXT NOT NULL DEFAULT 'in_progress',
        answered_at INTEGER,
        ended_at INTEGER,
        duration_seconds INTEGER,
        inbound_status TEXT,
        forwarded_status TEXT
      );
      CREATE INDEX calls_by_time ON calls (started_at, uuid);
      CREATE INDEX calls_by_number ON calls (tracking_number, started_at);
      CREATE INDEX calls_by_campaign ON calls (campaign, started_at);
      CREATE INDEX calls_by_caller ON calls (caller, started_at);
      CREATE INDEX calls_by_conversation ON calls (conversation_uuid);

      CREATE TABLE call_events (
        leg_uuid TEXT NOT NULL,
        status TEXT NOT NULL,
        occurred_at INTEGER NOT NULL,
        conversation_uuid TEXT,
        direction TEXT,
        duration_seconds INTEGER,
        PRIMARY KEY (leg_uuid, status, occurred_at)
      );
      CREATE INDEX call_events_by_conversation ON call_events (conversation_uuid);

      CREATE TABLE tracking_numbers (
        number TEXT PRIMARY KEY,
        campaign TEXT,
        forward_to TEXT,
        whisper TEXT
      );
    `,
  },
];
