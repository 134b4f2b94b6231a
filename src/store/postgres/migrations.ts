// The PostgreSQL schema, as numbered migrations applied in order at start-up under an advisory
// lock, so instances starting together against one database apply each migration once.

import type pg from 'pg';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Any fixed 64-bit number, the same in every instance: the session lock guarding migrations. */
const MIGRATION_LOCK_KEY = '4315829067712003';

/** Waiting for another instance's migration, or running a long one, may take this long. */
const MIGRATION_TIMEOUT_MS = 120_000;

// The same tables and indexes as SQLite's v1. Identifiers and numbers use the "C" collation so
// text sorts by bytes, as SQLite's does: the keyset order (started_at, uuid) must be identical
// whichever store answers. Times are timestamptz; bigint where SQLite's INTEGER is 64-bit.
export const postgresMigrations: Migration[] = [
  {
    version: 1,
    name: 'calls, events and tracking numbers',
    sql: `
      CREATE TABLE calls (
        uuid text COLLATE "C" PRIMARY KEY,
        conversation_uuid text COLLATE "C",
        tracking_number text COLLATE "C",
        caller text COLLATE "C",
        campaign text COLLATE "C",
        forward_to text NOT NULL,
        started_at timestamptz NOT NULL,
        outcome text NOT NULL DEFAULT 'in_progress',
        answered_at timestamptz,
        ended_at timestamptz,
        duration_seconds bigint,
        inbound_status text,
        forwarded_status text
      );
      CREATE INDEX calls_by_time ON calls (started_at, uuid);
      CREATE INDEX calls_by_number ON calls (tracking_number, started_at);
      CREATE INDEX calls_by_campaign ON calls (campaign, started_at);
      CREATE INDEX calls_by_caller ON calls (caller, started_at);
      CREATE INDEX calls_by_conversation ON calls (conversation_uuid);

      CREATE TABLE call_events (
        leg_uuid text COLLATE "C" NOT NULL,
        status text NOT NULL,
        occurred_at timestamptz NOT NULL,
        conversation_uuid text COLLATE "C",
        direction text,
        duration_seconds bigint,
        PRIMARY KEY (leg_uuid, status, occurred_at)
      );
      CREATE INDEX call_events_by_conversation ON call_events (conversation_uuid);

      CREATE TABLE tracking_numbers (
        number text COLLATE "C" PRIMARY KEY,
        campaign text COLLATE "C",
        forward_to text,
        whisper text
      );
    `,
  },
  {
    // Reports from buckets (domain/report-figures.ts) instead of scans of the calls: each call
    // keeps when its caller last called before it (to any number, to its campaign, to its number
    // in that campaign) for exact distinct callers, and report_buckets holds the figures per
    // 15-minute slot, hour and UTC day, campaign and number. The buckets start empty; the store fills them from the
    // calls when it opens a database whose report_bucket_settings row holds no threshold.
    version: 2,
    name: 'report buckets per 15-minute slot, figures from the domain',
    sql: `
      ALTER TABLE calls ADD COLUMN prev_any_at timestamptz, ADD COLUMN prev_campaign_at timestamptz,
        ADD COLUMN prev_number_at timestamptz;
      UPDATE calls SET prev_any_at = ordered.prev_any_at, prev_campaign_at = ordered.prev_campaign_at,
        prev_number_at = ordered.prev_number_at
      FROM (
        SELECT uuid,
          lag(started_at) OVER (PARTITION BY caller ORDER BY started_at, uuid) AS prev_any_at,
          lag(started_at) OVER (PARTITION BY caller, campaign ORDER BY started_at, uuid) AS prev_campaign_at,
          lag(started_at) OVER (PARTITION BY caller, campaign, tracking_number ORDER BY started_at, uuid) AS prev_number_at
        FROM calls WHERE caller IS NOT NULL
      ) AS ordered
      WHERE calls.uuid = ordered.uuid AND ordered.prev_any_at IS NOT NULL;

      DROP INDEX calls_by_caller;
      CREATE INDEX calls_by_caller ON calls (caller, started_at, uuid);
      CREATE INDEX calls_returning ON calls (started_at)
        INCLUDE (prev_any_at, prev_campaign_at, prev_number_at, campaign, tracking_number) WHERE prev_any_at IS NOT NULL;

      -- The talk time report_buckets.qualified counts at; NULL until the store has built them.
      CREATE TABLE report_bucket_settings (
        id integer PRIMARY KEY CHECK (id = 1),
        qualified_call_seconds integer
      );
      INSERT INTO report_bucket_settings (id, qualified_call_seconds) VALUES (1, NULL);

      -- slot is floor(started_at in ms / 900000), rounded down to a multiple of width (1, 4 or 96:
      -- 15 minutes, an hour, a UTC day); keys as bucket-sql.ts writes them.
      CREATE TABLE report_buckets (
        width integer NOT NULL,
        slot bigint NOT NULL,
        campaign_key text COLLATE "C" NOT NULL,
        number_key text COLLATE "C" NOT NULL,
        calls bigint NOT NULL,
        answered bigint NOT NULL,
        missed bigint NOT NULL,
        talk_seconds bigint NOT NULL,
        qualified bigint NOT NULL,
        first_time bigint NOT NULL,
        new_to_campaign bigint NOT NULL,
        new_to_number bigint NOT NULL,
        PRIMARY KEY (width, slot, campaign_key, number_key)
      );
    `,
  },
  {
    // As SQLite's 12: routes and the global block list as the JSON the API accepted, read whole.
    version: 9,
    name: 'routes, block list and round-robin turns',
    sql: `
      ALTER TABLE tracking_numbers ADD COLUMN route jsonb;
      CREATE TABLE block_list (
        id integer PRIMARY KEY CHECK (id = 1),
        list jsonb NOT NULL
      );
      CREATE TABLE round_robin_turns (
        tracking_number text COLLATE "C" PRIMARY KEY,
        turn bigint NOT NULL
      );
    `,
  },
  {
    // As SQLite's 13.
    version: 10,
    name: 'call attempts and the destination that answered',
    sql: `
      ALTER TABLE call_events ADD COLUMN to_number text;
      ALTER TABLE calls ADD COLUMN attempts jsonb;
      ALTER TABLE calls ADD COLUMN answered_by text COLLATE "C";
      UPDATE calls SET answered_by = forward_to WHERE outcome = 'answered';
    `,
  },
  {
    // As SQLite's 15: each pool number carries its latest hold, which a visit taking the number
    // compares and locks (postgres-dni-store.ts).
    version: 12,
    name: 'number pools',
    sql: `
      CREATE TABLE dni_pools (
        id text COLLATE "C" PRIMARY KEY,
        campaign text COLLATE "C",
        replaces_number text NOT NULL,
        hold_seconds integer NOT NULL
      );
      CREATE TABLE dni_pool_numbers (
        number text COLLATE "C" PRIMARY KEY,
        pool_id text COLLATE "C" NOT NULL REFERENCES dni_pools (id) ON DELETE CASCADE,
        hold_id text COLLATE "C",
        held_until timestamptz,
        last_seen_at timestamptz
      );
      CREATE INDEX dni_pool_numbers_by_pool ON dni_pool_numbers (pool_id);
    `,
  },
  {
    version: 13,
    name: 'website visits, number holds and Google Ads exports',
    sql: `
      CREATE TABLE dni_visits (
        id text COLLATE "C" PRIMARY KEY,
        started_at timestamptz NOT NULL,
        source text NOT NULL,
        medium text NOT NULL,
        campaign text,
        term text,
        content text,
        gclid text,
        referrer text,
        landing_page text
      );
      CREATE TABLE dni_holds (
        id text COLLATE "C" PRIMARY KEY,
        visit_id text COLLATE "C" NOT NULL REFERENCES dni_visits (id),
        pool_id text COLLATE "C" NOT NULL,
        number text COLLATE "C" NOT NULL,
        held_from timestamptz NOT NULL,
        held_until timestamptz NOT NULL,
        reused boolean NOT NULL
      );
      CREATE INDEX dni_holds_by_number ON dni_holds (number, held_from);
      CREATE INDEX dni_holds_by_visit ON dni_holds (visit_id, held_from);
      CREATE INDEX dni_holds_live ON dni_holds (pool_id, held_until);
      CREATE INDEX dni_holds_by_time ON dni_holds (held_from);
      CREATE TABLE dni_conversion_exports (
        call_uuid text COLLATE "C" PRIMARY KEY,
        exported_at timestamptz NOT NULL
      );
    `,
  },
  {
    // As SQLite's 17.
    version: 14,
    name: 'recordings, voicemails and transcripts',
    sql: `
      CREATE TABLE media (
        id text COLLATE "C" PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('call', 'voicemail', 'transcript')),
        conversation_uuid text COLLATE "C" NOT NULL,
        recording_id text,
        url text NOT NULL,
        size_bytes bigint,
        started_at timestamptz,
        ended_at timestamptz,
        received_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'stored', 'failed')),
        attempts integer NOT NULL,
        next_attempt_at timestamptz NOT NULL,
        lease_owner text,
        lease_until timestamptz,
        file_key text,
        stored_bytes bigint,
        content_type text,
        last_error text
      );
      CREATE INDEX media_by_conversation ON media (conversation_uuid);
      CREATE INDEX media_due ON media (next_attempt_at) WHERE status = 'pending';
      CREATE INDEX media_by_received ON media (received_at);
    `,
  },
  {
    // As SQLite's 19, with the event types as an array.
    version: 16,
    name: 'webhook subscriptions and outbox',
    sql: `
      CREATE TABLE webhook_subscriptions (
        id text COLLATE "C" PRIMARY KEY,
        url text NOT NULL,
        event_types text[] NOT NULL,
        secret text NOT NULL,
        enabled boolean NOT NULL,
        created_at timestamptz NOT NULL
      );
      CREATE TABLE webhook_deliveries (
        event_id text COLLATE "C" NOT NULL,
        subscription_id text COLLATE "C" NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
        type text NOT NULL,
        call_uuid text COLLATE "C",
        body text NOT NULL,
        status text NOT NULL,
        attempts integer NOT NULL,
        next_attempt_at timestamptz NOT NULL,
        last_error text,
        last_status_code integer,
        created_at timestamptz NOT NULL,
        delivered_at timestamptz,
        PRIMARY KEY (event_id, subscription_id)
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
      CREATE INDEX webhook_deliveries_by_subscription ON webhook_deliveries (subscription_id, created_at);
    `,
  },
  {
    version: 17,
    name: 'audit log of admin changes',
    sql: `
      CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL,
        actor text NOT NULL,
        action text NOT NULL,
        target text,
        details jsonb NOT NULL
      );
    `,
  },
  {
    // As SQLite's 21.
    version: 18,
    name: 'webhook deliveries by call and by age',
    sql: `
      CREATE INDEX webhook_deliveries_by_call ON webhook_deliveries (call_uuid);
      CREATE INDEX webhook_deliveries_by_age ON webhook_deliveries (created_at);
    `,
  },
  {
    // As SQLite's 22.
    version: 19,
    name: 'users, sessions and API tokens',
    sql: `
      CREATE TABLE users (
        id text COLLATE "C" PRIMARY KEY,
        username text COLLATE "C" NOT NULL UNIQUE,
        role text NOT NULL CHECK (role IN ('owner', 'manager', 'viewer')),
        password_hash text NOT NULL,
        disabled boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL
      );
      CREATE TABLE credentials (
        token_hash text COLLATE "C" PRIMARY KEY,
        id text COLLATE "C" NOT NULL UNIQUE,
        user_id text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('session', 'token')),
        label text,
        created_at timestamptz NOT NULL,
        expires_at timestamptz
      );
      CREATE INDEX credentials_by_user ON credentials (user_id);
    `,
  },
  {
    // As SQLite's 23.
    version: 20,
    name: 'call-back marks',
    sql: `
      CREATE TABLE call_backs (
        call_uuid text COLLATE "C" PRIMARY KEY REFERENCES calls (uuid) ON DELETE CASCADE,
        marked_at timestamptz NOT NULL,
        marked_by text
      );
    `,
  },
  {
    // As SQLite's 24: blocked calls become a report figure, and the buckets are rebuilt.
    version: 21,
    name: 'blocked calls in the report buckets',
    sql: `
      ALTER TABLE report_buckets ADD COLUMN blocked bigint NOT NULL DEFAULT 0;
      UPDATE report_bucket_settings SET qualified_call_seconds = NULL;
    `,
  },
  {
    // As SQLite's 25: buckets keyed also by the destination that answered, rebuilt from the calls.
    version: 22,
    name: 'report buckets by the destination that answered',
    sql: `
      TRUNCATE report_buckets;
      ALTER TABLE report_buckets ADD COLUMN destination_key text COLLATE "C" NOT NULL,
        DROP CONSTRAINT report_buckets_pkey,
        ADD PRIMARY KEY (width, slot, campaign_key, number_key, destination_key);
      UPDATE report_bucket_settings SET qualified_call_seconds = NULL;
    `,
  },
  {
    // As SQLite's 26: calls keep their attribution (jsonb), credited once at open for the calls
    // stored before; holds found by their end; buckets keyed also by website source, rebuilt.
    version: 23,
    name: 'call attribution and report buckets by website source',
    sql: `
      ALTER TABLE calls ADD COLUMN attribution jsonb;
      CREATE TABLE call_attribution_backfill (id integer PRIMARY KEY CHECK (id = 1));
      INSERT INTO call_attribution_backfill (id) VALUES (1);
      DROP INDEX dni_holds_by_number;
      CREATE INDEX dni_holds_by_number ON dni_holds (number, held_until);

      TRUNCATE report_buckets;
      ALTER TABLE report_buckets ADD COLUMN source_key text COLLATE "C" NOT NULL,
        DROP CONSTRAINT report_buckets_pkey,
        ADD PRIMARY KEY (width, slot, campaign_key, number_key, destination_key, source_key);
      UPDATE report_bucket_settings SET qualified_call_seconds = NULL;
    `,
  },
  {
    // As SQLite's 27: whether the caller calls again after each call, and the "between calls"
    // figures made of it; the buckets are rebuilt.
    version: 24,
    name: 'callers who call again, in the calls and the report buckets',
    sql: `
      ALTER TABLE calls ADD COLUMN has_next_any boolean NOT NULL DEFAULT false,
        ADD COLUMN has_next_campaign boolean NOT NULL DEFAULT false, ADD COLUMN has_next_number boolean NOT NULL DEFAULT false;
      UPDATE calls SET has_next_any = true, has_next_campaign = ordered.has_next_campaign, has_next_number = ordered.has_next_number
      FROM (
        SELECT uuid,
          lead(uuid) OVER (PARTITION BY caller ORDER BY started_at, uuid) IS NOT NULL AS has_next_any,
          lead(uuid) OVER (PARTITION BY caller, campaign ORDER BY started_at, uuid) IS NOT NULL AS has_next_campaign,
          lead(uuid) OVER (PARTITION BY caller, campaign, tracking_number ORDER BY started_at, uuid) IS NOT NULL AS has_next_number
        FROM calls WHERE caller IS NOT NULL
      ) AS ordered
      WHERE calls.uuid = ordered.uuid AND ordered.has_next_any;
      ALTER TABLE report_buckets ADD COLUMN between_calls bigint NOT NULL DEFAULT 0,
        ADD COLUMN between_calls_in_campaign bigint NOT NULL DEFAULT 0, ADD COLUMN between_calls_on_number bigint NOT NULL DEFAULT 0;
      UPDATE report_bucket_settings SET qualified_call_seconds = NULL;
    `,
  },
  {
    // PostgreSQL only: SQLite counts calls as it stores them.
    version: 26,
    name: 'calls not yet counted in the report buckets',
    sql: 'CREATE TABLE report_pending (uuid text COLLATE "C" PRIMARY KEY)',
  },
  {
    // As SQLite's 32.
    version: 29,
    name: 'voicemails and recorded calls in the reports',
    sql: `
      ALTER TABLE calls ADD COLUMN recorded boolean NOT NULL DEFAULT false,
        ADD COLUMN voicemail boolean NOT NULL DEFAULT false;
      UPDATE calls SET recorded = true WHERE conversation_uuid IN (SELECT conversation_uuid FROM media WHERE kind = 'call');
      UPDATE calls SET voicemail = true WHERE conversation_uuid IN (SELECT conversation_uuid FROM media WHERE kind = 'voicemail');
      ALTER TABLE report_buckets ADD COLUMN voicemails bigint NOT NULL DEFAULT 0, ADD COLUMN recorded bigint NOT NULL DEFAULT 0;
      UPDATE report_bucket_settings SET qualified_call_seconds = NULL;
    `,
  },
];

/** Applies the migrations this database has not seen yet. */
export async function migratePostgres(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
    // node-postgres honours a per-query `query_timeout`; its type declarations lack the field.
  const query = (text: string, values?: unknown[]) =>
    client.query(Object.assign({ text, values }, { query_timeout: MIGRATION_TIMEOUT_MS }) as pg.QueryConfig);
  try {
    // A session lock, held across the per-migration transactions; a second instance waits
    // here and then finds everything applied.
    await query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
    await query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await query('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((row: { version: number }) => row.version));
    for (const migration of postgresMigrations) {
      if (applied.has(migration.version)) continue;
      await query('BEGIN');
      await query(migration.sql);
      await query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      await query('COMMIT');
    }
    await query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
    client.release();
  } catch (error) {
    // Dropping the connection rolls back the open transaction and frees the lock.
    client.release(error instanceof Error ? error : true);
    throw error;
  }
}
