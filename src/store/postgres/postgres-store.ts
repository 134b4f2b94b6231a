// The store for several instances on one database: PostgreSQL through a node-postgres pool. Calls
// and events are written one statement per batch, each committed on its own, and a call's
// lifecycle is re-derived from its events under a lock on the call's row, so instances sharing
// the events of one call never lose an update.

import pg from 'pg';
import { emptyBlockList, type BlockList } from '../../domain/block-list.js';
import { IN_PROGRESS, type CallEvent, type CallLifecycle, type CallRecord, type InboundCall } from '../../domain/calls.js';
import {
  ExcessLog, MAX_CALLS_PER_CONVERSATION, MAX_EVENTS_PER_CONVERSATION, MAX_EVENTS_PER_LEG,
} from '../../domain/conversation-limits.js';
import { deriveLifecycle } from '../../domain/lifecycle.js';
import { consoleLogger, type Logger } from '../../logger.js';
import type { TrackingNumber } from '../../domain/tracking-numbers.js';
import {
  withLifecycle, withRecording, type HistoriedCall,
} from '../../domain/report-figures.js';
import type { RecordingKind } from '../../domain/recording-urls.js';
import type { CallPage, CallQuery, CallStore } from '../call-store.js';
import { creditCalls } from '../../domain/attribution/call-attribution.js';
import {
  callRowToCall, eventRowToEvent, historiedCallRowToCall, HISTORIED_CALL_COLUMNS, numberRowToTrackingNumber,
  type CallRow, type EventRow, type HistoriedCallRow, type NumberRow,
} from '../sql-rows.js';
import { migratePostgres } from './migrations.js';
import { creditStoredCalls } from './credit-stored-calls.js';
import { PostgresDniStore } from './postgres-dni-store.js';
import { PostgresMediaStore } from './postgres-media-store.js';
import { fanOutSql, outboxParameters, PostgresWebhooks } from './postgres-webhooks.js';
import { eventsOfCallChange, eventsOfStoredRecording, type OutboxEvent } from '../../webhooks/webhook-events.js';
import type { MediaRecord } from '../../domain/recordings.js';
import type {
  AuditEntry, CallerData, ClaimedDelivery, DeliveryResult, WebhookDelivery, WebhookSubscription,
} from '../webhook-records.js';
import { CoalescedWrites } from './coalesced-writes.js';
import { addCountedChanges, ReportRollup, type CallChange } from './report-rollup.js';
import {
  applyDeltas, BUCKET_THRESHOLD_SQL, deltasAtThreshold, INITIAL_QUALIFIED_SECONDS, PostgresReports, readThreshold, REPORT_TIMEOUT_MS, rebuildBuckets,
  startDeltas, withTimeout,
} from './postgres-reports.js';
import { importEachBatch, LOAD_STAGED_CALLS, STAGED_COLUMNS, STAGING_TABLE, type CallBatches } from '../bulk-load.js';
import { PostgresTeam } from './postgres-team.js';

/** A server that accepts connections but never answers (frozen, overloaded) fails us this fast. */
const CONNECT_TIMEOUT_MS = 3000;
/** Webhook writes and reads; a hung server makes them fail instead of waiting for ever. */
const QUERY_TIMEOUT_MS = 5000;
const POOL_SIZE = 10;
/** Batches of calls one instance writes at once (coalesced-writes.ts), and the most calls one takes. */
const CALL_WRITES_IN_FLIGHT = 2;
const MAX_CALLS_PER_WRITE = 500;
/**
 * Connections kept open even when idle, and opened at start-up: a call after a quiet spell must
 * not pay for a new connection (TLS included) within the answer webhook's deadline.
 */
const WARM_CONNECTIONS = 2;

/** A call or event a statement refused, as the excess log names it. */
interface RefusedRow {
  leg_uuid: string;
  conversation_uuid: string | null;
}

/** A call's identity, enough to find its events, and whether it was blocked. */
interface CallKey {
  uuid: string;
  conversationUuid: string | null;
  blocked: boolean;
  /** The call as stored, for the outbox's events of its change. */
  stored: CallRecord;
}

const byUuid = (a: { uuid: string }, b: { uuid: string }) => (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0);

const eventKey = (e: CallEvent) => `${e.legUuid}|${e.status}|${e.occurredAt.getTime()}`;

/** First of each uuid, in uuid order: concurrent batches insert rows in one order and cannot deadlock. */
function uniqueByUuid<T extends { uuid: string }>(items: readonly T[]): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(item.uuid)) seen.set(item.uuid, item);
  return [...seen.values()].sort(byUuid);
}

function uniqueEvents(events: readonly CallEvent[]): CallEvent[] {
  const seen = new Map<string, CallEvent>();
  for (const event of events) if (!seen.has(eventKey(event))) seen.set(eventKey(event), event);
  return [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, event]) => event);
}

/** What went wrong reaching the server, as one line for the start-up error. */
function describeFailure(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    // Node tries every address of a host name (::1, 127.0.0.1) and reports each failure.
    return [...new Set(error.errors.map(describeFailure))].join('; ');
  }
  if (!(error instanceof Error)) return String(error);
  if (/timeout/i.test(error.message) && /connect/i.test(error.message)) {
    return `the server did not answer within ${CONNECT_TIMEOUT_MS / 1000} s`;
  }
  const code = (error as { code?: unknown }).code;
  return (error.message || (typeof code === 'string' ? code : error.name)).replace(/\s+/g, ' ');
}

/** Connects, brings the schema up to date, and fails (one clear message) if the server cannot be used. */
export async function openPostgresStore(url: string, logger: Logger = consoleLogger): Promise<PostgresStore> {
  const pool = new pg.Pool({
    connectionString: url,
    max: POOL_SIZE,
    min: WARM_CONNECTIONS,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    // Our process frozen or cut off mid-transaction must not hold its locks for long.
    idle_in_transaction_session_timeout: 15_000,
    application_name: 'call-tracker',
  });
  // An idle connection that drops (server restarted, network cut) is discarded by the pool; the
  // next query then reports the outage. Without a listener the 'error' event would end the process.
  pool.on('error', () => {});
  try {
    await migratePostgres(pool);
    await Promise.all(Array.from({ length: WARM_CONNECTIONS }, () => pool.query('SELECT 1')));
    const store = new PostgresStore(pool, logger);
    // Before the buckets: those rebuilt after an upgrade count the calls' sources.
    await store.creditStoredCalls();
    await store.reports.buildIfMissing();
    return store;
  } catch (error) {
    // Not awaited: ending waits for connections a hung server may never close.
    pool.end().catch(() => {});
    throw new Error(describeFailure(error), { cause: error });
  }
}

// The limits of conversation-limits.ts, enforced by the statements that insert: a row is admitted
// when the rows its conversation (or leg) has stored, counted no further than the limit, plus its
// rank among the batch's rows of that conversation, stay within the limit. Instances inserting at
// once do not see each other's uncommitted rows, so a conversation can exceed a limit by what
// the statements running together admit; it stays bounded, as the next statement sees them all.
// Each statement returns the rows it refused that were not stored already (a retry is no excess);
// this one also the uuids it stored.
const insertCallsSql = (outbox: string) => `
  WITH incoming AS (
    SELECT v.*, row_number() OVER (PARTITION BY v.conversation_uuid ORDER BY v.uuid) AS rank_in_conversation
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::text[], $9::jsonb[])
      AS v (uuid, conversation_uuid, tracking_number, caller, campaign, forward_to, started_at, outcome, attribution)
  ), judged AS (
    SELECT i.*, i.conversation_uuid IS NULL OR i.rank_in_conversation + (
      SELECT count(*) FROM (SELECT 1 FROM calls c WHERE c.conversation_uuid = i.conversation_uuid LIMIT $10::int) AS stored
    ) <= $10::int AS admitted
    FROM incoming i
  ), inserted AS (
    INSERT INTO calls (uuid, conversation_uuid, tracking_number, caller, campaign, forward_to, started_at, outcome, attribution)
    SELECT uuid, conversation_uuid, tracking_number, caller, campaign, forward_to, started_at, outcome, attribution FROM judged WHERE admitted
    ON CONFLICT (uuid) DO NOTHING RETURNING uuid, conversation_uuid
  ), pending AS (INSERT INTO report_pending (uuid) SELECT uuid FROM inserted)${outbox}
  SELECT uuid AS leg_uuid, conversation_uuid, false AS stored FROM judged j
  WHERE NOT admitted AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.uuid = j.uuid)
  UNION ALL SELECT uuid, conversation_uuid, true FROM inserted`;
const INSERT_CALLS = insertCallsSql('');
// The same, with the outbox rows of the calls it inserts (a retried call's are not written again).
const INSERT_CALLS_WITH_OUTBOX = insertCallsSql(`, outbox AS (${fanOutSql(11, 'inserted')})`);

/** Starts a transaction that writes buckets: BEGIN and the threshold (deltasAtThreshold), in one round trip. */
const BEGIN_WITH_THRESHOLD = `BEGIN; ${BUCKET_THRESHOLD_SQL}`;

const LOCK_CALLS_OF_CONVERSATION = `
  SELECT uuid, ${HISTORIED_CALL_COLUMNS} FROM calls WHERE conversation_uuid = $1 ORDER BY uuid LIMIT $2 FOR UPDATE`;
const CALLS_OF_CONVERSATION = 'SELECT uuid FROM calls WHERE conversation_uuid = $1 LIMIT $2';
// Outbox rows of events about calls already stored: every event's call is "changed".
const WRITE_OUTBOX = `WITH changed AS (SELECT DISTINCT unnest($3::text[]) AS uuid) ${fanOutSql(1, 'changed')}`;
const MARK_RECORDED = 'UPDATE calls SET recorded = true WHERE uuid = ANY($1::text[])';
const MARK_VOICEMAIL = 'UPDATE calls SET voicemail = true WHERE uuid = ANY($1::text[])';

// Which of these calls have events stored: run after the calls are committed (see recordCalls).
const CALLS_WITH_EVENTS = `
  SELECT c.uuid, c.conversation_uuid FROM unnest($1::text[], $2::text[]) AS c (uuid, conversation_uuid)
  WHERE EXISTS (SELECT 1 FROM call_events WHERE leg_uuid = c.uuid)
    OR EXISTS (SELECT 1 FROM call_events WHERE conversation_uuid = c.conversation_uuid)`;

/** Imported calls as rows of STAGED_COLUMNS, from the arrays of importedCallArrays. */
const IMPORTED_ROWS = `
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[],
    $8::text[], $9::timestamptz[], $10::timestamptz[], $11::bigint[], $12::text[], $13::text[], $14::jsonb[], $15::text[], $16::jsonb[])`;

// With their marks for the report rollup, which counts them.
const IMPORT_CALLS = `
  WITH inserted AS (INSERT INTO calls (${STAGED_COLUMNS.join(', ')}) ${IMPORTED_ROWS} ON CONFLICT (uuid) DO NOTHING RETURNING uuid),
    pending AS (INSERT INTO report_pending (uuid) SELECT uuid FROM inserted)
  SELECT uuid FROM inserted`;

/** The calls' values for IMPORTED_ROWS: one array per column of STAGED_COLUMNS. */
function importedCallArrays(batch: readonly CallRecord[]): unknown[][] {
  return [
    batch.map((c) => c.uuid), batch.map((c) => c.conversationUuid), batch.map((c) => c.trackingNumber),
    batch.map((c) => c.caller), batch.map((c) => c.campaign), batch.map((c) => c.forwardTo), batch.map((c) => c.startedAt),
    batch.map((c) => c.outcome), batch.map((c) => c.answeredAt), batch.map((c) => c.endedAt), batch.map((c) => c.durationSeconds),
    batch.map((c) => c.inboundStatus), batch.map((c) => c.forwardedStatus),
    batch.map((c) => JSON.stringify(c.attempts ?? [])), batch.map((c) => c.answeredBy ?? null),
    batch.map((c) => (c.attribution ? JSON.stringify(c.attribution) : null)),
  ];
}

/** A bulk load's statements may each take minutes at millions of calls. */
const BULK_LOAD_TIMEOUT_MS = 3_600_000;

const INSERT_EVENTS = `
  WITH incoming AS (
    SELECT v.*,
      row_number() OVER (PARTITION BY v.leg_uuid ORDER BY v.status, v.occurred_at) AS rank_in_leg,
      row_number() OVER (PARTITION BY v.conversation_uuid ORDER BY v.leg_uuid, v.status, v.occurred_at) AS rank_in_conversation
    FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::bigint[], $7::text[])
      AS v (leg_uuid, status, occurred_at, conversation_uuid, direction, duration_seconds, to_number)
  ), judged AS (
    SELECT i.*,
      i.rank_in_leg + (
        SELECT count(*) FROM (SELECT 1 FROM call_events e WHERE e.leg_uuid = i.leg_uuid LIMIT $8::int) AS stored
      ) <= $8::int
      AND (i.conversation_uuid IS NULL OR i.rank_in_conversation + (
        SELECT count(*) FROM (SELECT 1 FROM call_events e WHERE e.conversation_uuid = i.conversation_uuid LIMIT $9::int) AS stored
      ) <= $9::int) AS admitted
    FROM incoming i
  ), inserted AS (
    INSERT INTO call_events (leg_uuid, status, occurred_at, conversation_uuid, direction, duration_seconds, to_number)
    SELECT leg_uuid, status, occurred_at, conversation_uuid, direction, duration_seconds, to_number FROM judged WHERE admitted
    ON CONFLICT DO NOTHING
  )
  SELECT leg_uuid, status, occurred_at, conversation_uuid FROM judged j
  WHERE NOT admitted AND NOT EXISTS (
    SELECT 1 FROM call_events e WHERE e.leg_uuid = j.leg_uuid AND e.status = j.status AND e.occurred_at = j.occurred_at)`;

// FOR UPDATE: two transactions re-deriving one call take turns, and the second one's next
// statement sees the events the first committed. The limits bound the rows of a conversation;
// LIMIT bounds them too over rows stored before there were limits.
const LOCK_CALLS_CONCERNED = `
  SELECT *, attribution ->> 'source' AS source, attribution ->> 'medium' AS medium FROM calls
  WHERE uuid IN (
    SELECT unnest($1::text[])
    UNION SELECT c.uuid FROM unnest($2::text[]) AS k (conversation_uuid),
      LATERAL (SELECT uuid FROM calls WHERE calls.conversation_uuid = k.conversation_uuid LIMIT $3::int) AS c)
  ORDER BY uuid FOR UPDATE`;

const EVENTS_OF_CALLS = `
  SELECT e.* FROM unnest($1::text[]) AS k (leg_uuid),
    LATERAL (SELECT * FROM call_events WHERE call_events.leg_uuid = k.leg_uuid LIMIT $3::int) AS e
  UNION SELECT e.* FROM unnest($2::text[]) AS k (conversation_uuid),
    LATERAL (SELECT * FROM call_events WHERE call_events.conversation_uuid = k.conversation_uuid LIMIT $4::int) AS e`;

const UPDATE_LIFECYCLES = `
  UPDATE calls SET outcome = v.outcome, answered_at = v.answered_at, ended_at = v.ended_at,
    duration_seconds = v.duration_seconds, inbound_status = v.inbound_status, forwarded_status = v.forwarded_status,
    attempts = v.attempts, answered_by = v.answered_by
  FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::bigint[], $6::text[], $7::text[],
    $8::jsonb[], $9::text[])
    AS v (uuid, outcome, answered_at, ended_at, duration_seconds, inbound_status, forwarded_status, attempts, answered_by)
  WHERE calls.uuid = v.uuid`;

// The same, with the outbox rows of the changes it makes, in the one statement.
const UPDATE_LIFECYCLES_WITH_OUTBOX = `WITH changed AS (${UPDATE_LIFECYCLES} RETURNING calls.uuid) ${fanOutSql(10, 'changed')}`;

export class PostgresStore implements CallStore {
  readonly kind = 'postgres';
  readonly dni: PostgresDniStore;
  readonly media: PostgresMediaStore;
  readonly #pool: pg.Pool;
  readonly #excess: ExcessLog;
  readonly #webhooks: PostgresWebhooks;
  readonly #callWrites = new CoalescedWrites<InboundCall>((calls) => this.#writeCalls(calls), CALL_WRITES_IN_FLIGHT, MAX_CALLS_PER_WRITE);
  readonly reports: PostgresReports;
  readonly #rollup: ReportRollup;
  #closed: Promise<void> | null = null;
  readonly team: PostgresTeam;

  constructor(pool: pg.Pool, logger: Logger) {
    this.#pool = pool;
    this.team = new PostgresTeam(pool);
    this.#excess = new ExcessLog(logger);
    this.dni = new PostgresDniStore(pool, (work) => this.#transaction(work));
    this.media = new PostgresMediaStore(
      pool, (work) => this.#transaction(work), (client, conversationUuid, kind) => this.#markRecording(client, conversationUuid, kind),
      (client, record) => this.#announceStored(client, record),
    );
    this.reports = new PostgresReports(pool, (work, opening) => this.#transaction(work, opening));
    this.#rollup = new ReportRollup((work, opening) => this.#transaction(work, opening), logger);
    this.#webhooks = new PostgresWebhooks(pool);
  }

  /**
   * Runs `work` in one transaction on one connection. `opening` starts it: BEGIN, and maybe more
   * statements without parameters sent with it in one round trip, whose results `work` gets.
   * On any failure the connection is discarded rather than reused: its transaction may still be
   * open, or a timed-out query may still be running on a hung server; closing it rolls back.
   */
  async #transaction<T>(work: (client: pg.PoolClient, opened: pg.QueryResult[]) => Promise<T>, opening = 'BEGIN'): Promise<T> {
    const client = await this.#pool.connect();
    // A checked-out connection has no pool listener; its failure surfaces as the query's error.
    const ignore = () => {};
    client.on('error', ignore);
    try {
      // Several statements in one query: pg answers with one result each.
      const opened = [await client.query(opening) as pg.QueryResult | pg.QueryResult[]].flat();
      const result = await work(client, opened);
      await client.query('COMMIT');
      client.removeListener('error', ignore);
      client.release();
      return result;
    } catch (error) {
      client.release(error instanceof Error ? error : true);
      throw error;
    }
  }

  /** Marks the conversation's stored calls recorded or voicemail, with their bucket changes, in `client`'s transaction. */
  async #markRecording(client: pg.PoolClient, conversationUuid: string, kind: RecordingKind): Promise<void> {
    const deltas = await startDeltas(client);
    const { rows } = await client.query<HistoriedCallRow & { uuid: string }>({
      name: 'lock-calls-of-conversation', text: LOCK_CALLS_OF_CONVERSATION, values: [conversationUuid, MAX_CALLS_PER_CONVERSATION],
    });
    if (rows.length === 0) return;
    const changes = rows.map((row) => {
      const before = historiedCallRowToCall(row);
      return { uuid: row.uuid, before, after: withRecording(before, kind) };
    });
    await client.query({
      name: kind === 'call' ? 'mark-recorded' : 'mark-voicemail',
      text: kind === 'call' ? MARK_RECORDED : MARK_VOICEMAIL,
      values: [rows.map((row) => row.uuid)],
    });
    await addCountedChanges(client, deltas, changes);
    await applyDeltas(client, deltas);
  }

  /** A recording or voicemail now stored: its outgoing webhook events, in `client`'s transaction. */
  async #announceStored(client: pg.PoolClient, record: MediaRecord): Promise<void> {
    if (!this.#webhooks.open) return;
    const { rows } = await client.query<{ uuid: string }>({
      name: 'calls-of-conversation', text: CALLS_OF_CONVERSATION, values: [record.conversationUuid, MAX_CALLS_PER_CONVERSATION],
    });
    const events = eventsOfStoredRecording(record, rows.map((row) => row.uuid));
    if (events.length === 0) return;
    await client.query({ name: 'write-outbox', text: WRITE_OUTBOX, values: outboxParameters(events) });
  }

  /** After an upgrade, credits the calls stored before calls kept their attribution (credit-stored-calls.ts). */
  async creditStoredCalls(): Promise<void> {
    await this.#transaction((client) => creditStoredCalls(client, this.dni));
  }

  /**
   * Re-derives the lifecycle of the calls that are, or share a conversation with, the legs and
   * conversations named, in one transaction that first locks their rows. Two transactions
   * re-deriving one call take turns, and the second reads every event the first read, and any
   * committed since. It must run after the events that prompted it are committed.
   */
  async #refreshCallsConcerned(legs: readonly string[], conversations: readonly string[]): Promise<void> {
    await this.#transaction(async (client, [, threshold]) => {
      const deltas = deltasAtThreshold(threshold!.rows);
      const { rows: concerned } = await client.query<HistoriedCallRow & CallRow>({
        name: 'lock-calls-concerned', text: LOCK_CALLS_CONCERNED, values: [legs, conversations, MAX_CALLS_PER_CONVERSATION],
      });
      const changes = await this.#refreshLifecycles(client, concerned.map((row) => ({
        uuid: row.uuid, conversationUuid: row.conversation_uuid, blocked: row.outcome === 'blocked', before: historiedCallRowToCall(row),
        stored: callRowToCall(row),
      })));
      await addCountedChanges(client, deltas, changes);
      await applyDeltas(client, deltas);
    }, BEGIN_WITH_THRESHOLD);
  }

  /** Re-derives the lifecycle of each call from every event stored for it; returns the calls it changed, as the reports see them. */
  async #refreshLifecycles(client: pg.PoolClient, calls: readonly (CallKey & { before: HistoriedCall })[]): Promise<CallChange[]> {
    if (calls.length === 0) return [];
    const conversations = calls.flatMap((c) => (c.conversationUuid === null ? [] : [c.conversationUuid]));
    const { rows } = await client.query<EventRow>({
      name: 'events-of-calls',
      text: EVENTS_OF_CALLS,
      values: [calls.map((c) => c.uuid), conversations, MAX_EVENTS_PER_LEG, MAX_EVENTS_PER_CONVERSATION],
    });
    const byLeg = new Map<string, CallEvent[]>();
    const byConversation = new Map<string, CallEvent[]>();
    const add = (map: Map<string, CallEvent[]>, key: string, event: CallEvent) => {
      const list = map.get(key);
      if (list) list.push(event);
      else map.set(key, [event]);
    };
    for (const event of rows.map(eventRowToEvent)) {
      add(byLeg, event.legUuid, event);
      if (event.conversationUuid !== null) add(byConversation, event.conversationUuid, event);
    }
    const updates: (CallLifecycle & { uuid: string })[] = [];
    const changes: CallChange[] = [];
    const outbox: OutboxEvent[] = [];
    for (const call of calls) {
      const events = new Set([
        ...(byLeg.get(call.uuid) ?? []),
        ...(call.conversationUuid === null ? [] : byConversation.get(call.conversationUuid) ?? []),
      ]);
      if (events.size === 0) continue;
      const lifecycle = deriveLifecycle(call, [...events]);
      updates.push({ uuid: call.uuid, ...lifecycle });
      changes.push({ uuid: call.uuid, before: call.before, after: withLifecycle(call.before, lifecycle) });
      if (this.#webhooks.open) outbox.push(...eventsOfCallChange(call.stored, { ...call.stored, ...lifecycle }));
    }
    if (updates.length === 0) return [];
    // The outbox rows ride in the update: one statement, in the transaction with the bucket deltas.
    await client.query({
      name: outbox.length > 0 ? 'update-lifecycles-with-outbox' : 'update-lifecycles',
      text: outbox.length > 0 ? UPDATE_LIFECYCLES_WITH_OUTBOX : UPDATE_LIFECYCLES,
      values: [
        updates.map((u) => u.uuid), updates.map((u) => u.outcome), updates.map((u) => u.answeredAt), updates.map((u) => u.endedAt),
        updates.map((u) => u.durationSeconds), updates.map((u) => u.inboundStatus), updates.map((u) => u.forwardedStatus),
        updates.map((u) => JSON.stringify(u.attempts ?? [])), updates.map((u) => u.answeredBy ?? null),
        ...(outbox.length > 0 ? outboxParameters(outbox) : []),
      ],
    });
    return changes;
  }

  /** Written by #writeCalls, at most CALL_WRITES_IN_FLIGHT batches at once. */
  recordCalls(calls: readonly InboundCall[]): Promise<void> {
    return this.#callWrites.write(calls);
  }

  /**
   * A call and its events can reach two instances at once, events first or the call first. Each
   * side commits its rows, and only then looks for the other's: whichever looks second sees the
   * rows of the first, so at least one of them folds the events into the call.
   */
  async #writeCalls(calls: readonly InboundCall[]): Promise<void> {
    if (calls.length === 0) return;
    const batch = uniqueByUuid(calls);
    const uuids = batch.map((c) => c.uuid);
    const conversations = batch.map((c) => c.conversationUuid);
    const attributions = await creditCalls(batch, this.dni);
    const outbox = this.#webhooks.open
      ? batch.flatMap((c, i) => eventsOfCallChange(null, {
        ...c, ...IN_PROGRESS, outcome: c.blocked ? 'blocked' : 'in_progress', attribution: attributions[i] ?? null,
      }))
      : [];
    // One statement, committed on its own: the calls and their marks for the report rollup.
    const { rows: written } = await this.#pool.query<RefusedRow & { stored: boolean }>({
      name: outbox.length > 0 ? 'insert-calls-with-outbox' : 'insert-calls',
      text: outbox.length > 0 ? INSERT_CALLS_WITH_OUTBOX : INSERT_CALLS,
      values: [
        uuids, conversations, batch.map((c) => c.trackingNumber),
        batch.map((c) => c.caller), batch.map((c) => c.campaign), batch.map((c) => c.forwardTo), batch.map((c) => c.startedAt),
        batch.map((c) => (c.blocked ? 'blocked' : 'in_progress')),
        attributions.map((a) => a && JSON.stringify(a)),
        MAX_CALLS_PER_CONVERSATION,
        ...(outbox.length > 0 ? outboxParameters(outbox) : []),
      ],
    });
    if (written.some((row) => row.stored)) this.#rollup.schedule();
    const refused = written.filter((row) => !row.stored);
    for (const row of refused) this.#excess.note({ kind: 'call', legUuid: row.leg_uuid, conversationUuid: row.conversation_uuid });
    // Every call of the batch, not only those just inserted: a batch stored before an outage cut
    // this step short comes back from the spool, and is then found already stored.
    const { rows } = await this.#pool.query<Pick<CallRow, 'uuid' | 'conversation_uuid'>>({
      name: 'calls-with-events', text: CALLS_WITH_EVENTS, values: [uuids, conversations],
    });
    if (rows.length === 0) return;
    await this.#refreshCallsConcerned(rows.map((row) => row.uuid), rows.flatMap((row) => row.conversation_uuid ?? []));
  }

  /** Stores the calls, then counts them into the buckets before it returns, unless another instance's rollup is counting them. */
  async importCalls(calls: readonly CallRecord[]): Promise<number> {
    if (calls.length === 0) return 0;
    const batch = uniqueByUuid(calls);
    const { rows } = await this.#pool.query<{ uuid: string }>(withTimeout({
      text: IMPORT_CALLS, values: importedCallArrays(batch),
    }, REPORT_TIMEOUT_MS));
    await this.#rollup.rollUp(false);
    return rows.length;
  }

  /**
   * The bulk load (bulk-load.ts) locks the calls against writes first, so the store is still
   * empty when they go in, and dropping their indexes locks them against reads too: other
   * instances' writes wait until it commits, or spool past their deadline.
   */
  async importCallBatches(batches: CallBatches): Promise<number> {
    const stored = await this.#rollup.heldBack(() => this.#transaction(async (client) => {
      await client.query('LOCK TABLE calls IN EXCLUSIVE MODE');
      const threshold = await readThreshold(client, 'FOR UPDATE');
      const { rows: [calls] } = await client.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM calls) AS any');
      if (calls!.any) return null;
      // Sorts for the windows and the index builds, in memory rather than in many small runs on disk.
      await client.query("SET LOCAL work_mem = '256MB'; SET LOCAL maintenance_work_mem = '512MB'");
      const { rows: indexes } = await client.query<{ name: string; definition: string }>(`
        SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS definition
        FROM pg_index WHERE indrelid = 'calls'::regclass AND NOT indisunique`);
      for (const index of indexes) await client.query(`DROP INDEX ${index.name}`);
      await client.query(`CREATE TEMP TABLE ${STAGING_TABLE} ON COMMIT DROP AS SELECT ${STAGED_COLUMNS.join(', ')} FROM calls WITH NO DATA`);
      for await (const batch of batches) {
        if (batch.length === 0) continue;
        await client.query(withTimeout({
          text: `INSERT INTO ${STAGING_TABLE} ${IMPORTED_ROWS}`, values: importedCallArrays(batch),
        }, REPORT_TIMEOUT_MS));
      }
      const bulk = (text: string) => client.query(withTimeout({ text }, BULK_LOAD_TIMEOUT_MS));
      // A uuid twice in the input: the first is kept, as batch by batch.
      await bulk(`DELETE FROM ${STAGING_TABLE} AS later USING ${STAGING_TABLE} AS earlier
        WHERE later.uuid = earlier.uuid AND later.ctid > earlier.ctid`);
      const { rowCount } = await bulk(LOAD_STAGED_CALLS);
      for (const index of indexes) await bulk(index.definition);
      await bulk('ANALYZE calls');
      await rebuildBuckets(client, threshold ?? INITIAL_QUALIFIED_SECONDS);
      return rowCount ?? 0;
    }));
    return stored ?? importEachBatch(this, batches);
  }

  /** Events follow the same order as calls (see recordCalls): committed first, then folded in. */
  async recordEvents(events: readonly CallEvent[]): Promise<void> {
    if (events.length === 0) return;
    const batch = uniqueEvents(events);
    const { rows: refused } = await this.#pool.query<RefusedRow & { status: string; occurred_at: Date }>({
      name: 'insert-events',
      text: INSERT_EVENTS,
      values: [
        batch.map((e) => e.legUuid), batch.map((e) => e.status), batch.map((e) => e.occurredAt),
        batch.map((e) => e.conversationUuid), batch.map((e) => e.direction), batch.map((e) => e.durationSeconds),
        batch.map((e) => e.to ?? null),
        MAX_EVENTS_PER_LEG, MAX_EVENTS_PER_CONVERSATION,
      ],
    });
    const refusedKeys = new Set(refused.map((row) => {
      this.#excess.note({ kind: 'event', legUuid: row.leg_uuid, conversationUuid: row.conversation_uuid });
      return `${row.leg_uuid}|${row.status}|${row.occurred_at.getTime()}`;
    }));
    // Every event of the batch but those refused, duplicates too: a batch stored before an outage
    // cut this step short comes back from the spool, and is then found already stored.
    const kept = batch.filter((e) => !refusedKeys.has(eventKey(e)));
    if (kept.length === 0) return;
    const legs = [...new Set(kept.map((e) => e.legUuid))];
    const conversations = [...new Set(kept.flatMap((e) => (e.conversationUuid === null ? [] : [e.conversationUuid])))];
    await this.#refreshCallsConcerned(legs, conversations);
  }

  async findCall(uuid: string): Promise<CallRecord | null> {
    const { rows } = await this.#pool.query<CallRow>({ name: 'find-call', text: 'SELECT * FROM calls WHERE uuid = $1', values: [uuid] });
    return rows[0] ? callRowToCall(rows[0]) : null;
  }

  async findCallEvents(call: Pick<CallRecord, 'uuid' | 'conversationUuid'>): Promise<CallEvent[]> {
    const { rows } = await this.#pool.query<EventRow>({
      text: EVENTS_OF_CALLS,
      values: [[call.uuid], call.conversationUuid === null ? [] : [call.conversationUuid], MAX_EVENTS_PER_LEG, MAX_EVENTS_PER_CONVERSATION],
    });
    return rows.map(eventRowToEvent);
  }

  async listCalls(query: CallQuery): Promise<CallPage> {
    const where: string[] = [];
    const values: unknown[] = [];
    const param = (value: unknown) => `$${values.push(value)}`;
    if (query.trackingNumber !== undefined) where.push(`tracking_number = ${param(query.trackingNumber)}`);
    if (query.campaign === null) where.push('campaign IS NULL');
    else if (query.campaign !== undefined) where.push(`campaign = ${param(query.campaign)}`);
    if (query.outcome !== undefined) where.push(`outcome = ${param(query.outcome)}`);
    if (query.caller !== undefined) where.push(`caller = ${param(query.caller)}`);
    if (query.since) where.push(`started_at >= ${param(query.since)}`);
    if (query.until) where.push(`started_at < ${param(query.until)}`);
    if (query.cursor) where.push(`(started_at, uuid) < (${param(query.cursor.startedAt)}, ${param(query.cursor.uuid)})`);
    const text = `SELECT * FROM calls ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY started_at DESC, uuid DESC LIMIT ${param(query.limit + 1)}`;
    const { rows } = await this.#pool.query<CallRow>(withTimeout({ text, values }, REPORT_TIMEOUT_MS));
    const calls = rows.slice(0, query.limit).map(callRowToCall);
    const last = calls[calls.length - 1];
    const nextCursor = rows.length > query.limit && last ? { startedAt: last.startedAt, uuid: last.uuid } : null;
    return { calls, nextCursor };
  }

  async listTrackingNumbers(): Promise<TrackingNumber[]> {
    const { rows } = await this.#pool.query<NumberRow>('SELECT * FROM tracking_numbers ORDER BY number');
    return rows.map(numberRowToTrackingNumber);
  }

  async saveTrackingNumber(entry: TrackingNumber): Promise<void> {
    await this.#pool.query(
      `INSERT INTO tracking_numbers (number, campaign, forward_to, whisper, route) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (number) DO UPDATE SET campaign = excluded.campaign, forward_to = excluded.forward_to,
         whisper = excluded.whisper, route = excluded.route`,
      [entry.number, entry.campaign, entry.forwardTo, entry.whisper, entry.route === null ? null : JSON.stringify(entry.route)],
    );
  }

  async getBlockList(): Promise<BlockList> {
    const { rows } = await this.#pool.query<{ list: BlockList }>('SELECT list FROM block_list WHERE id = 1');
    return rows[0]?.list ?? emptyBlockList();
  }

  async saveBlockList(list: BlockList): Promise<void> {
    await this.#pool.query(
      'INSERT INTO block_list (id, list) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET list = excluded.list',
      [JSON.stringify(list)],
    );
  }

  /** One statement: the row lock of the upsert makes concurrent instances take turns, each a new one. */
  async takeRoundRobinTurn(trackingNumber: string): Promise<number> {
    const { rows } = await this.#pool.query<{ turn: string }>({
      name: 'take-round-robin-turn',
      text: `INSERT INTO round_robin_turns (tracking_number, turn) VALUES ($1, 0)
        ON CONFLICT (tracking_number) DO UPDATE SET turn = round_robin_turns.turn + 1 RETURNING turn`,
      values: [trackingNumber],
    });
    return Number(rows[0]!.turn);
  }

  async deleteTrackingNumber(number: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query('DELETE FROM tracking_numbers WHERE number = $1', [number]);
    return (rowCount ?? 0) > 0;
  }

  async listWebhookSubscriptions(): Promise<WebhookSubscription[]> {
    return this.#webhooks.listSubscriptions();
  }

  async saveWebhookSubscription(subscription: WebhookSubscription): Promise<void> {
    await this.#webhooks.saveSubscription(subscription);
  }

  async deleteWebhookSubscription(id: string): Promise<boolean> {
    return this.#webhooks.deleteSubscription(id);
  }

  async disableWebhookSubscription(id: string): Promise<void> {
    await this.#webhooks.disableSubscription(id);
  }

  async enqueueWebhookEvent(event: OutboxEvent, subscriptionId: string): Promise<void> {
    await this.#webhooks.enqueue(event, subscriptionId);
  }

  async claimWebhookDeliveries(now: Date, leaseMs: number, limit: number): Promise<ClaimedDelivery[]> {
    return this.#webhooks.claim(now, leaseMs, limit);
  }

  async finishWebhookDelivery(eventId: string, subscriptionId: string, result: DeliveryResult): Promise<void> {
    await this.#webhooks.finish(eventId, subscriptionId, result);
  }

  async listWebhookDeliveries(subscriptionId: string, limit: number): Promise<WebhookDelivery[]> {
    return this.#webhooks.listDeliveries(subscriptionId, limit);
  }

  async redeliverWebhook(eventId: string, subscriptionId: string, now: Date): Promise<boolean> {
    return this.#webhooks.redeliver(eventId, subscriptionId, now);
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    await this.#webhooks.appendAudit(entry);
  }

  async listAudit(limit: number): Promise<AuditEntry[]> {
    return this.#webhooks.listAudit(limit);
  }

  async findCallerData(caller: string): Promise<CallerData> {
    const { rows: callRows } = await this.#pool.query<CallRow>('SELECT * FROM calls WHERE caller = $1 ORDER BY started_at, uuid', [caller]);
    const calls = callRows.map(callRowToCall);
    const uuids = calls.map((c) => c.uuid);
    const conversations = calls.flatMap((c) => (c.conversationUuid === null ? [] : [c.conversationUuid]));
    const { rows: eventRows } = await this.#pool.query<EventRow>({
      text: `${EVENTS_OF_CALLS} ORDER BY occurred_at`, values: [uuids, conversations, MAX_EVENTS_PER_LEG, MAX_EVENTS_PER_CONVERSATION],
    });
    return { calls, events: eventRows.map(eventRowToEvent), deliveries: await this.#webhooks.deliveriesOfCalls(uuids) };
  }

  /**
   * The rows change at once; PostgreSQL keeps the old row versions in the table's files until
   * vacuum reclaims them, and in its WAL until it is recycled (README says so).
   */
  async eraseCaller(caller: string, marker: string): Promise<number> {
    return this.#webhooks.eraseCaller(caller, marker);
  }

  /** Counts the pending calls first: the report buckets keep counting the calls deleted. */
  async deleteCallsBefore(cutoff: Date, limit: number): Promise<number> {
    await this.#rollup.rollUp(true);
    return this.#webhooks.deleteCallsBefore(cutoff, limit);
  }

  async ping(): Promise<void> {
    await this.#pool.query('SELECT 1');
  }

  /** Counts every call stored so far into the report buckets now (reports count them either way; see report-rollup.ts). */
  async rollUpReports(): Promise<number> {
    return this.#rollup.rollUp(true);
  }

  async close(): Promise<void> {
    this.#closed ??= this.#rollup.close().then(() => this.#pool.end());
    await this.#closed;
  }
}
