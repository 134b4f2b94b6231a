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
  {
    // Reports over a million calls must not scan them (see sqlite-reports.ts). Each call keeps
    // when its caller last called before it, to any number and to its campaign: the distinct
    // callers of a range are then the calls in it whose previous call is absent or before the
    // range. Additive figures are kept per hour, campaign and number in call_rollup by triggers.
    version: 2,
    name: 'report rollups',
    sql: `
      ALTER TABLE calls ADD COLUMN prev_any_at INTEGER;
      ALTER TABLE calls ADD COLUMN prev_campaign_at INTEGER;
      UPDATE calls SET prev_any_at = ordered.prev_any_at, prev_campaign_at = ordered.prev_campaign_at
      FROM (
        SELECT uuid,
          lag(started_at) OVER (PARTITION BY caller ORDER BY started_at, uuid) AS prev_any_at,
          lag(started_at) OVER (PARTITION BY caller, campaign ORDER BY started_at, uuid) AS prev_campaign_at
        FROM calls WHERE caller IS NOT NULL
      ) AS ordered
      WHERE calls.uuid = ordered.uuid;

      DROP INDEX calls_by_caller;
      CREATE INDEX calls_by_caller ON calls (caller, started_at, uuid);
      CREATE INDEX calls_by_caller_campaign ON calls (caller, campaign, started_at, uuid);
      CREATE INDEX calls_returning ON calls (started_at, prev_any_at, prev_campaign_at, campaign) WHERE prev_any_at IS NOT NULL;

      -- The threshold call_rollup.qualified_count counts at; reports asking another rebuild it.
      CREATE TABLE report_settings (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        qualified_call_seconds INTEGER NOT NULL
      );
      INSERT INTO report_settings (id, qualified_call_seconds) VALUES (1, 60);

      -- campaign_key is '' for calls without a campaign, 'c:' || campaign otherwise (primary key
      -- columns cannot be NULL); tracking_number is '' when Vonage sent none; hour is
      -- started_at / 3600000.
      CREATE TABLE call_rollup (
        campaign_key TEXT NOT NULL,
        tracking_number TEXT NOT NULL,
        hour INTEGER NOT NULL,
        call_count INTEGER NOT NULL,
        answered_count INTEGER NOT NULL,
        missed_count INTEGER NOT NULL,
        talk_seconds INTEGER NOT NULL,
        qualified_count INTEGER NOT NULL,
        first_time_count INTEGER NOT NULL,
        new_to_campaign_count INTEGER NOT NULL,
        PRIMARY KEY (campaign_key, tracking_number, hour)
      ) WITHOUT ROWID;
      INSERT INTO call_rollup
      SELECT coalesce('c:' || campaign, ''), coalesce(tracking_number, ''), started_at / 3600000,
        count(*),
        count(*) FILTER (WHERE outcome = 'answered'),
        count(*) FILTER (WHERE outcome = 'missed'),
        coalesce(sum(duration_seconds) FILTER (WHERE outcome = 'answered'), 0),
        count(*) FILTER (WHERE outcome = 'answered' AND coalesce(duration_seconds, 0) >= 60),
        count(*) FILTER (WHERE caller IS NOT NULL AND prev_any_at IS NULL),
        count(*) FILTER (WHERE caller IS NOT NULL AND prev_campaign_at IS NULL)
      FROM calls GROUP BY 1, 2, 3;

      CREATE TRIGGER calls_insert_reports AFTER INSERT ON calls BEGIN
        INSERT INTO call_rollup VALUES (
          coalesce('c:' || NEW.campaign, ''), coalesce(NEW.tracking_number, ''), NEW.started_at / 3600000, 1,
          NEW.outcome = 'answered', NEW.outcome = 'missed',
          iif(NEW.outcome = 'answered', coalesce(NEW.duration_seconds, 0), 0),
          NEW.outcome = 'answered' AND coalesce(NEW.duration_seconds, 0) >= (SELECT qualified_call_seconds FROM report_settings),
          NEW.caller IS NOT NULL AND NEW.prev_any_at IS NULL,
          NEW.caller IS NOT NULL AND NEW.prev_campaign_at IS NULL)
        ON CONFLICT DO UPDATE SET
          call_count = call_count + 1,
          answered_count = answered_count + excluded.answered_count,
          missed_count = missed_count + excluded.missed_count,
          talk_seconds = talk_seconds + excluded.talk_seconds,
          qualified_count = qualified_count + excluded.qualified_count,
          first_time_count = first_time_count + excluded.first_time_count,
          new_to_campaign_count = new_to_campaign_count + excluded.new_to_campaign_count;
        -- A call stored after a later one of its caller (an import, a late webhook) comes
        -- between that call and its previous one.
        UPDATE calls SET prev_any_at = NEW.started_at
        WHERE NEW.caller IS NOT NULL AND uuid = (
          SELECT uuid FROM calls WHERE caller = NEW.caller AND (started_at, uuid) > (NEW.started_at, NEW.uuid)
          ORDER BY started_at, uuid LIMIT 1);
        UPDATE calls SET prev_campaign_at = NEW.started_at
        WHERE NEW.caller IS NOT NULL AND uuid = (
          SELECT uuid FROM calls WHERE caller = NEW.caller AND campaign IS NEW.campaign AND (started_at, uuid) > (NEW.started_at, NEW.uuid)
          ORDER BY started_at, uuid LIMIT 1);
      END;

      CREATE TRIGGER calls_update_reports
      AFTER UPDATE OF campaign, tracking_number, started_at, caller, outcome, duration_seconds, prev_any_at, prev_campaign_at ON calls
      WHEN OLD.campaign IS NOT NEW.campaign OR OLD.tracking_number IS NOT NEW.tracking_number
        OR OLD.started_at IS NOT NEW.started_at OR OLD.caller IS NOT NEW.caller
        OR OLD.outcome IS NOT NEW.outcome OR OLD.duration_seconds IS NOT NEW.duration_seconds
        OR (OLD.prev_any_at IS NULL) <> (NEW.prev_any_at IS NULL) OR (OLD.prev_campaign_at IS NULL) <> (NEW.prev_campaign_at IS NULL)
      BEGIN
        UPDATE call_rollup SET
          call_count = call_count - 1,
          answered_count = answered_count - (OLD.outcome = 'answered'),
          missed_count = missed_count - (OLD.outcome = 'missed'),
          talk_seconds = talk_seconds - iif(OLD.outcome = 'answered', coalesce(OLD.duration_seconds, 0), 0),
          qualified_count = qualified_count - (OLD.outcome = 'answered'
            AND coalesce(OLD.duration_seconds, 0) >= (SELECT qualified_call_seconds FROM report_settings)),
          first_time_count = first_time_count - (OLD.caller IS NOT NULL AND OLD.prev_any_at IS NULL),
          new_to_campaign_count = new_to_campaign_count - (OLD.caller IS NOT NULL AND OLD.prev_campaign_at IS NULL)
        WHERE campaign_key = coalesce('c:' || OLD.campaign, '') AND tracking_number = coalesce(OLD.tracking_number, '')
          AND hour = OLD.started_at / 3600000;
        INSERT INTO call_rollup VALUES (
          coalesce('c:' || NEW.campaign, ''), coalesce(NEW.tracking_number, ''), NEW.started_at / 3600000, 1,
          NEW.outcome = 'answered', NEW.outcome = 'missed',
          iif(NEW.outcome = 'answered', coalesce(NEW.duration_seconds, 0), 0),
          NEW.outcome = 'answered' AND coalesce(NEW.duration_seconds, 0) >= (SELECT qualified_call_seconds FROM report_settings),
          NEW.caller IS NOT NULL AND NEW.prev_any_at IS NULL,
          NEW.caller IS NOT NULL AND NEW.prev_campaign_at IS NULL)
        ON CONFLICT DO UPDATE SET
          call_count = call_count + 1,
          answered_count = answered_count + excluded.answered_count,
          missed_count = missed_count + excluded.missed_count,
          talk_seconds = talk_seconds + excluded.talk_seconds,
          qualified_count = qualified_count + excluded.qualified_count,
          first_time_count = first_time_count + excluded.first_time_count,
          new_to_campaign_count = new_to_campaign_count + excluded.new_to_campaign_count;
      END;
    `,
  },
  {
    // Version 2 made the answer webhook's batched insert cost 27 µs a call instead of 11 (at
    // 200,000 calls): a write trigger on insert makes SQLite keep a statement journal for each
    // one, and one more index on a random key means more pages written at each commit. The
    // store now adds inserted calls to call_rollup itself, once per batch (CallRollupWriter),
    // and finds a caller's previous call to a campaign through calls_by_caller.
    version: 3,
    name: 'report rollup written by the store on insert',
    sql: `
      DROP TRIGGER calls_insert_reports;
      DROP INDEX calls_by_caller_campaign;
    `,
  },
  {
    // The answer webhook's insert cost ~29 µs a call with calls_by_number and calls_by_campaign,
    // ~19 without: each has one insertion point per number or campaign, so a batch of calls
    // dirtied a page per campaign in both. Listings of one number or campaign now find their
    // hours in call_rollup (sqlite-call-list.ts); this index does that for a number.
    version: 4,
    name: 'calls listed by number or campaign through the rollup',
    sql: `
      DROP INDEX calls_by_number;
      DROP INDEX calls_by_campaign;
      CREATE INDEX call_rollup_by_number ON call_rollup (tracking_number, hour);
    `,
  },
  {
    // Report figures are defined once, in domain/report-figures.ts, and kept per 15-minute slot
    // (local days and hours in every zone are whole slots), hour and UTC day (width 1, 4 or 96
    // slots: reports read the widest that fit) by the store's own writes: the update
    // trigger and the hourly rollup go. The buckets start empty; the store fills them from the
    // calls when it opens a database whose report_bucket_settings row holds no threshold.
    // prev_number_at: the caller's previous call to the same number in the same campaign, for
    // exact distinct callers per tracking number.
    version: 5,
    name: 'report buckets per 15-minute slot, figures from the domain',
    sql: `
      DROP TRIGGER calls_update_reports;
      DROP TABLE call_rollup;
      DROP TABLE report_settings;

      ALTER TABLE calls ADD COLUMN prev_number_at INTEGER;
      UPDATE calls SET prev_number_at = ordered.prev_number_at
      FROM (
        SELECT uuid, lag(started_at) OVER (PARTITION BY caller, campaign, tracking_number ORDER BY started_at, uuid) AS prev_number_at
        FROM calls WHERE caller IS NOT NULL
      ) AS ordered
      WHERE calls.uuid = ordered.uuid AND ordered.prev_number_at IS NOT NULL;
      DROP INDEX calls_returning;
      CREATE INDEX calls_returning ON calls (started_at, prev_any_at, prev_campaign_at, prev_number_at, campaign, tracking_number)
        WHERE prev_any_at IS NOT NULL;

      -- The talk time report_buckets.qualified counts at; NULL until the store has built them.
      CREATE TABLE report_bucket_settings (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        qualified_call_seconds INTEGER
      );
      INSERT INTO report_bucket_settings (id, qualified_call_seconds) VALUES (1, NULL);

      -- slot is floor(started_at / 900000), rounded down to a multiple of width; keys as
      -- bucket-sql.ts writes them.
      CREATE TABLE report_buckets (
        width INTEGER NOT NULL,
        slot INTEGER NOT NULL,
        campaign_key TEXT NOT NULL,
        number_key TEXT NOT NULL,
        calls INTEGER NOT NULL,
        answered INTEGER NOT NULL,
        missed INTEGER NOT NULL,
        talk_seconds INTEGER NOT NULL,
        qualified INTEGER NOT NULL,
        first_time INTEGER NOT NULL,
        new_to_campaign INTEGER NOT NULL,
        new_to_number INTEGER NOT NULL,
        PRIMARY KEY (width, slot, campaign_key, number_key)
      ) WITHOUT ROWID;
      -- Listings of one number or campaign find the slots holding its calls here (sqlite-call-list.ts).
      CREATE INDEX report_buckets_by_number ON report_buckets (number_key, slot) WHERE width = 1;
      CREATE INDEX report_buckets_by_campaign ON report_buckets (campaign_key, slot) WHERE width = 1;
    `,
  },
  {
    // Routing (domain/route.ts): a number's route is read whole into memory, so it is kept as
    // the JSON the numbers API accepted; the global block list likewise, in one row. Round-robin
    // turns are counted per number, one row each.
    version: 12,
    name: 'routes, block list and round-robin turns',
    sql: `
      ALTER TABLE tracking_numbers ADD COLUMN route TEXT;
      CREATE TABLE block_list (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        list TEXT NOT NULL
      );
      CREATE TABLE round_robin_turns (
        tracking_number TEXT PRIMARY KEY,
        turn INTEGER NOT NULL
      );
    `,
  },
  {
    // Each forwarded leg's events name the destination it rang (their "to"); a call keeps the
    // destinations it rang, in order, as JSON, and the one that answered. Calls from before
    // routing had one destination, forward_to, so an answered one was answered there.
    version: 13,
    name: 'call attempts and the destination that answered',
    sql: `
      ALTER TABLE call_events ADD COLUMN to_number TEXT;
      ALTER TABLE calls ADD COLUMN attempts TEXT;
      ALTER TABLE calls ADD COLUMN answered_by TEXT;
      UPDATE calls SET answered_by = forward_to WHERE outcome = 'answered';
    `,
  },
  {
    // Dynamic number insertion: a pool's numbers each carry their latest hold, so a visit asking
    // for a number reads only its pool's rows.
    version: 15,
    name: 'number pools',
    sql: `
      CREATE TABLE dni_pools (
        id TEXT PRIMARY KEY,
        campaign TEXT,
        replaces_number TEXT NOT NULL,
        hold_seconds INTEGER NOT NULL
      );
      CREATE TABLE dni_pool_numbers (
        number TEXT PRIMARY KEY,
        pool_id TEXT NOT NULL REFERENCES dni_pools (id) ON DELETE CASCADE,
        hold_id TEXT,
        held_until INTEGER,
        last_seen_at INTEGER
      );
      CREATE INDEX dni_pool_numbers_by_pool ON dni_pool_numbers (pool_id);
    `,
  },
  {
    // Holds outlive their pool: calls are credited from them after the pool is gone. reused marks
    // a hold given while its number was still held.
    version: 16,
    name: 'website visits, number holds and Google Ads exports',
    sql: `
      CREATE TABLE dni_visits (
        id TEXT PRIMARY KEY,
        started_at INTEGER NOT NULL,
        source TEXT NOT NULL,
        medium TEXT NOT NULL,
        campaign TEXT,
        term TEXT,
        content TEXT,
        gclid TEXT,
        referrer TEXT,
        landing_page TEXT
      );
      CREATE TABLE dni_holds (
        id TEXT PRIMARY KEY,
        visit_id TEXT NOT NULL REFERENCES dni_visits (id),
        pool_id TEXT NOT NULL,
        number TEXT NOT NULL,
        held_from INTEGER NOT NULL,
        held_until INTEGER NOT NULL,
        reused INTEGER NOT NULL
      );
      CREATE INDEX dni_holds_by_number ON dni_holds (number, held_from);
      CREATE INDEX dni_holds_by_visit ON dni_holds (visit_id, held_from);
      CREATE INDEX dni_holds_live ON dni_holds (pool_id, held_until);
      CREATE INDEX dni_holds_by_time ON dni_holds (held_from);
      CREATE TABLE dni_conversion_exports (
        call_uuid TEXT PRIMARY KEY,
        exported_at INTEGER NOT NULL
      );
    `,
  },
  {
    // Recordings, voicemails and transcripts (domain/recordings.ts): each row is both the job the
    // webhook stored and, once fetched, the file's place in the media storage. A claim leases a
    // row to one instance (lease_owner, lease_until) so two never download the same file.
    version: 17,
    name: 'recordings, voicemails and transcripts',
    sql: `
      CREATE TABLE media (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('call', 'voicemail', 'transcript')),
        conversation_uuid TEXT NOT NULL,
        recording_id TEXT,
        url TEXT NOT NULL,
        size_bytes INTEGER,
        started_at INTEGER,
        ended_at INTEGER,
        received_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'stored', 'failed')),
        attempts INTEGER NOT NULL,
        next_attempt_at INTEGER NOT NULL,
        lease_owner TEXT,
        lease_until INTEGER,
        file_key TEXT,
        stored_bytes INTEGER,
        content_type TEXT,
        last_error TEXT
      );
      CREATE INDEX media_by_conversation ON media (conversation_uuid);
      CREATE INDEX media_due ON media (next_attempt_at) WHERE status = 'pending';
      CREATE INDEX media_by_received ON media (received_at);
    `,
  },
  {
    // Outgoing webhooks (src/webhooks/): subscriptions, and the outbox of deliveries, one row per
    // event and subscription, written in the transaction of the call change that causes it.
    // next_attempt_at is both when a pending delivery is due and, while a worker holds it, when
    // its claim lapses.
    version: 19,
    name: 'webhook subscriptions and outbox',
    sql: `
      CREATE TABLE webhook_subscriptions (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        event_types TEXT NOT NULL,
        secret TEXT NOT NULL,
        enabled INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE webhook_deliveries (
        event_id TEXT NOT NULL,
        subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
        type TEXT NOT NULL,
        call_uuid TEXT,
        body TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt_at INTEGER NOT NULL,
        last_error TEXT,
        last_status_code INTEGER,
        created_at INTEGER NOT NULL,
        delivered_at INTEGER,
        PRIMARY KEY (event_id, subscription_id)
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
      CREATE INDEX webhook_deliveries_by_subscription ON webhook_deliveries (subscription_id, created_at);
    `,
  },
  {
    version: 20,
    name: 'audit log of admin changes',
    sql: `
      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        details TEXT NOT NULL
      );
    `,
  },
  {
    // Erasure and retention find the deliveries about a call, and retention the oldest ones.
    version: 21,
    name: 'webhook deliveries by call and by age',
    sql: `
      CREATE INDEX webhook_deliveries_by_call ON webhook_deliveries (call_uuid);
      CREATE INDEX webhook_deliveries_by_age ON webhook_deliveries (created_at);
    `,
  },
  {
    // Team logins (domain/team.ts). Sessions and API tokens share one table: each is a secret
    // its holder presents, kept only as its SHA-256, and revoking either is deleting its row.
    version: 22,
    name: 'users, sessions and API tokens',
    sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'viewer')),
        password_hash TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE credentials (
        token_hash TEXT PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('session', 'token')),
        label TEXT,
        created_at INTEGER NOT NULL,
        expires_at INTEGER
      );
      CREATE INDEX credentials_by_user ON credentials (user_id);
    `,
  },
  {
    // Missed calls someone called back; the list of calls to return finds a caller's later
    // answered call through calls_by_caller.
    version: 23,
    name: 'call-back marks',
    sql: `
      CREATE TABLE call_backs (
        call_uuid TEXT PRIMARY KEY REFERENCES calls (uuid) ON DELETE CASCADE,
        marked_at INTEGER NOT NULL,
        marked_by TEXT
      );
    `,
  },
  {
    // Blocked calls become a report figure; emptying the threshold makes the store rebuild the
    // buckets from the calls when it opens the database.
    version: 24,
    name: 'blocked calls in the report buckets',
    sql: `
      ALTER TABLE report_buckets ADD COLUMN blocked INTEGER NOT NULL DEFAULT 0;
      UPDATE report_bucket_settings SET qualified_call_seconds = NULL;
    `,
  },
  {
    // Buckets keyed also by the destination that answered (calls.answered_by; '' for nobody).
    // SQLite cannot change a primary key, so the table is made again; emptying the threshold
    // makes the store rebuild it from the calls when it opens the database.
    version: 25,
    name: 'report buckets by the destination that answered',
    sql: `
      DROP TABLE report_buckets;
      CREATE TABLE report_buckets (
        width INTEGER NOT NULL,
        slot INTEGER NOT NULL,
        campaign_key TEXT NOT NULL,
        number_key TEXT NOT NULL,
        destination_key TEXT NOT NULL,
        calls INTEGER NOT NULL,
        answered INTEGER NOT NULL,
        missed INTEGER NOT NULL,
        blocked INTEGER NOT NULL,
        talk_seconds INTEGER NOT NULL,
        qualified INTEGER NOT NULL,
        first_time INTEGER NOT NULL,
        new_to_campaign INTEGER NOT NULL,
        new_to_number INTEGER NOT NULL,
        PRIMARY KEY (width, slot, campaign_key, number_key, destination_key)
      ) WITHOUT ROWID;
      CREATE INDEX report_buckets_by_number ON report_buckets (number_key, slot) WHERE width = 1;
      CREATE INDEX report_buckets_by_campaign ON report_buckets (campaign_key, slot) WHERE width = 1;
      UPDATE report_bucket_settings SET qualified_call_seconds = NULL;
    `,
  },
  {
    // Calls keep the website visit they are credited to (call-attribution.ts) as JSON, settled
    // when they are stored, and the buckets are keyed also by its source and medium ('' for
    // none). The row in call_attribution_backfill has the store credit the calls stored before,
    // once, when it opens the database (in JS: the rule is creditCall's alone), before it
    // rebuilds the buckets, which emptying the threshold asks for. A call is credited as it is
    // stored, so the holds live on its number are found by their end: the few not over yet,
    // rather than every hold the number ever had.
    version: 26,
    name: 'call attribution and report buckets by website source',
    sql: `
      ALTER TABLE calls ADD COLUMN attribution TEXT;
      CREATE TABLE call_attribution_backfill (id INTEGER PRIMARY KEY CHECK (id = 1));
      INSERT INTO call_attribution_backfill (id) VALUES (1);
      DROP INDEX dni_holds_by_number;
      CREATE INDEX dni_holds_by_number ON dni_holds (number, held_until);

      DROP TABLE report_buckets;
      CREATE TABLE report_buckets (
        width INTEGER NOT NULL,
        slot INTEGER NOT NULL,
        campaign_key TEXT NOT NULL,
        number_key TEXT NOT NULL,
        destination_key TEXT NOT NULL,
        source_key TEXT NOT NULL,
        calls INTEGER NOT NULL,
        answered INTEGER NOT NULL,
        missed INTEGER NOT NULL,
        blocked INTEGER NOT NULL,
        talk_seconds INTEGER NOT NULL,
        qualified INTEGER NOT NULL,
        first_time INTEGER NOT NULL,
        new_to_campaign INTEGER NOT NULL,
        new_to_number INTEGER NOT NULL,
        PRIMARY KEY (width, slot, campaign_key, number_key, destination_key, source_key)
      ) WITHOUT ROWID;
      CREATE INDEX report_buckets_by_number ON report_buckets (number_key, slot) WHERE width = 1;
      CREATE INDEX report_buckets_by_campaign ON report_buckets (campaign_key, slot) WHERE width = 1;
      UPDATE report_bucket_settings SET qualified_call_seconds = NULL;
    `,
  },
  {
    // Whether a call's caller calls again after it (to any number, in its campaign, on its
    // number in that campaign), and the "between calls" figures made of it, so that a report
    // finds its returning callers in the buckets (domain/report-figures.ts). Emptying the
    // threshold makes the store rebuild the buckets from the calls when it opens the database.
    version: 27,
    name: 'callers who call again, in the calls and the report buckets',
    sql: `
      ALTER TABLE calls ADD COLUMN has_next_any INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE calls ADD COLUMN has_next_campaign INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE calls ADD COLUMN has_next_number INTEGER NOT NULL DEFAULT 0;
      UPDATE calls SET has_next_any = 1, has_next_campaign = ordered.has_next_campaign, has_next_number = ordered.has_next_number
      FROM (
        SELECT uuid,
          lead(uuid) OVER (PARTITION BY caller ORDER BY started_at, uuid) IS NOT NULL AS has_next_any,
          lead(uuid) OVER (PARTITION BY caller, campaign ORDER BY started_at, uuid) IS NOT NULL AS has_next_campaign,
          lead(uuid) OVER (PARTITION BY caller, campaign, tracking_number ORDER BY started_at, uuid) IS NOT NULL AS has_next_number
        FROM calls WHERE caller IS NOT NULL
      ) AS ordered
      WHERE calls.uuid = ordered.uuid AND ordered.has_next_any;
      ALTER TABLE report_buckets ADD COLUMN between_calls INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE report_buckets ADD COLUMN between_calls_in_campaign INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE report_buckets ADD COLUMN between_calls_on_number INTEGER NOT NULL DEFAULT 0;
      UPDATE report_bucket_settings SET qualified_call_seconds = NULL;
    `,
  },
  {
    // Voicemails and recorded calls become report figures: each call says whether a recording
    // (media kind 'call') or a voicemail arrived for its conversation, set from the recordings
    // kept so far; emptying the threshold makes the store rebuild the buckets from the calls.
    version: 32,
    name: 'voicemails and recorded calls in the reports',
    sql: `
      ALTER TABLE calls ADD COLUMN recorded INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE calls ADD COLUMN voicemail INTEGER NOT NULL DEFAULT 0;
      UPDATE calls SET recorded = 1 WHERE conversation_uuid IN (SELECT conversation_uuid FROM media WHERE kind = 'call');
      UPDATE calls SET voicemail = 1 WHERE conversation_uuid IN (SELECT conversation_uuid FROM media WHERE kind = 'voicemail');
      ALTER TABLE report_buckets ADD COLUMN voicemails INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE report_buckets ADD COLUMN recorded INTEGER NOT NULL DEFAULT 0;
      UPDATE report_bucket_settings SET qualified_call_seconds = NULL;
    `,
  },
];
