// The embedded default store: one SQLite file through better-sqlite3, in WAL mode. Its calls are
// synchronous and fast; they run inside one transaction per batch the recorder hands over.

import { closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { emptyBlockList, type BlockList } from '../../domain/block-list.js';
import { IN_PROGRESS, type CallEvent, type CallRecord, type InboundCall } from '../../domain/calls.js';
import {
  ExcessLog, MAX_CALLS_PER_CONVERSATION, MAX_EVENTS_PER_CONVERSATION, MAX_EVENTS_PER_LEG,
} from '../../domain/conversation-limits.js';
import { deriveLifecycle } from '../../domain/lifecycle.js';
import type { TrackingNumber } from '../../domain/tracking-numbers.js';
import { NO_HISTORY, withLifecycle, withRecording, type BucketDeltas } from '../../domain/report-figures.js';
import type { RecordingKind } from '../../domain/recording-urls.js';
import { creditCall, isPooledCall } from '../../domain/attribution/call-attribution.js';
import type { CallPage, CallQuery, CallStore } from '../call-store.js';
import { consoleLogger, type Logger } from '../../logger.js';
import { PRIVATE_FILE_MODE, createPrivateParent, makeFilePrivate, makeOpenFilePrivate } from '../../security/private-files.js';
import {
  callRowToCall, eventRowToEvent, historiedCallRowToCall, HISTORIED_CALL_COLUMNS, numberRowToTrackingNumber,
  type CallRow, type EventRow, type HistoriedCallRow, type NumberRow,
} from '../sql-rows.js';
import { BACKSTOP_CHECKPOINT_PAGES, Checkpointer } from './checkpointer.js';
import { sqliteMigrations } from './migrations.js';
import { SqliteDniStore } from './sqlite-dni-store.js';
import { SqliteMediaStore } from './sqlite-media-store.js';
import { creditStoredCalls } from './credit-stored-calls.js';
import { SqliteCallList } from './sqlite-call-list.js';
import { SqliteTeam } from './sqlite-team.js';
import { SqliteBucketWriter, SqliteReports, type InsertedCall } from './sqlite-reports.js';
import { SqliteWebhooks } from './sqlite-webhooks.js';
import { eventsOfCallChange, eventsOfStoredRecording, type OutboxEvent } from '../../webhooks/webhook-events.js';
import type { MediaRecord } from '../../domain/recordings.js';
import { importEachBatch, LOAD_STAGED_CALLS, STAGED_COLUMNS, STAGING_TABLE, type CallBatches } from '../bulk-load.js';
import type {
  AuditEntry, CallerData, ClaimedDelivery, DeliveryResult, WebhookDelivery, WebhookSubscription,
} from '../webhook-records.js';

/**
 * Opens (creating if needed) the database file, brings its schema up to date, and starts the
 * thread that checkpoints it (checkpointer.ts).
 */
export function openSqliteStore(path: string, logger: Logger = consoleLogger): SqliteStore {
  if (path !== ':memory:') createPrivateDatabaseFile(path, logger);
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    // SQLite gives the WAL and SHM it creates the database file's mode; older ones may be looser.
    if (path !== ':memory:') for (const suffix of ['-wal', '-shm']) makeFilePrivate(path + suffix, logger);
    // In WAL mode NORMAL survives a killed process (the WAL is in the OS's hands at commit);
    // only a power cut can lose the last commits.
    db.pragma('synchronous = NORMAL');
    // better-sqlite3 waits for a lock synchronously, freezing the whole server: a long wait
    // (another process holding the write lock) would hold every NCCO past Vonage's 3 s. Fail fast
    // instead; the recorder spools what the store refuses and replays it later.
    db.pragma('busy_timeout = 100');
    db.pragma('foreign_keys = ON');
    // An erased caller's number must not linger in freed space of the file (see eraseCaller).
    db.pragma('secure_delete = ON');
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  if (path === ':memory:') return new SqliteStore(db, null, logger);
  db.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
  return new SqliteStore(db, new Checkpointer(path, logger), logger);
}

/** Creates the database file (empty, which SQLite takes for a new database) private, or makes it so. */
function createPrivateDatabaseFile(path: string, logger: Logger): void {
  createPrivateParent(path);
  const fd = openSync(path, 'a', PRIVATE_FILE_MODE);
  try {
    makeOpenFilePrivate(fd, path, logger);
  } finally {
    closeSync(fd);
  }
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
  const apply = db.transaction((version: number, name: string, sql: string) => {
    db.exec(sql);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(version, name, Date.now());
  });
  for (const m of sqliteMigrations) {
    // IMMEDIATE takes the write lock first, so two processes opening one file apply it once.
    if (!applied.has(m.version)) apply.immediate(m.version, m.name, m.sql);
  }
}

/** An erasure's checkpoint waits for readers (the checkpoint thread) this many times at most. */
const ERASURE_CHECKPOINT_TRIES = 50;

export class SqliteStore implements CallStore {
  readonly kind = 'sqlite';
  readonly dni: SqliteDniStore;
  readonly media: SqliteMediaStore;
  readonly #db: Database.Database;
  readonly #statements;
  readonly #insertCalls: (calls: readonly InboundCall[]) => void;
  readonly #insertEvents: (events: readonly CallEvent[]) => void;
  readonly #importCalls: (calls: readonly CallRecord[]) => number;
  readonly reports: SqliteReports;
  readonly #callList: SqliteCallList;
  readonly #buckets: SqliteBucketWriter;
  readonly #checkpointer: Checkpointer | null;
  readonly #excess: ExcessLog;
  readonly team: SqliteTeam;
  readonly #webhooks: SqliteWebhooks;

  constructor(db: Database.Database, checkpointer: Checkpointer | null, logger: Logger) {
    this.#db = db;
    this.team = new SqliteTeam(db);
    this.#checkpointer = checkpointer;
    this.#excess = new ExcessLog(logger);
    this.dni = new SqliteDniStore(db);
    this.media = new SqliteMediaStore(
      db, (conversationUuid, kind) => this.#markRecording(conversationUuid, kind), (record) => this.#announceStored(record),
    );
    // Before the reports: the buckets rebuilt after an upgrade count the calls' sources.
    creditStoredCalls(db, this.dni);
    this.#buckets = new SqliteBucketWriter(db);
    this.#webhooks = new SqliteWebhooks(db);
    this.reports = new SqliteReports(db, this.#buckets);
    this.#callList = new SqliteCallList(db);
    this.#statements = {
      // Positional: the answer webhook's hot path, where building a parameter object per call costs.
      insertCall: db.prepare<[
        uuid: string, conversationUuid: string | null, trackingNumber: string | null, caller: string | null,
        campaign: string | null, forwardTo: string, startedAt: number, outcome: string, prevAnyAt: number | null,
        prevCampaignAt: number | null, prevNumberAt: number | null,
      ]>(`
        INSERT INTO calls (uuid, conversation_uuid, tracking_number, caller, campaign, forward_to, started_at, outcome,
          prev_any_at, prev_campaign_at, prev_number_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (uuid) DO NOTHING`),
      // The same for a call credited to a website visit: calls to other numbers bind nothing more.
      insertCreditedCall: db.prepare<[
        uuid: string, conversationUuid: string | null, trackingNumber: string | null, caller: string | null,
        campaign: string | null, forwardTo: string, startedAt: number, outcome: string, prevAnyAt: number | null,
        prevCampaignAt: number | null, prevNumberAt: number | null, attribution: string,
      ]>(`
        INSERT INTO calls (uuid, conversation_uuid, tracking_number, caller, campaign, forward_to, started_at, outcome,
          prev_any_at, prev_campaign_at, prev_number_at, attribution)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (uuid) DO NOTHING`),
      // Which of a batch's calls ([uuid, conversation uuid] pairs, as JSON) have events already.
      callsWithEvents: db.prepare<[pairs: string], number>(`
        SELECT pair.key FROM json_each(?) AS pair
        WHERE EXISTS (SELECT 1 FROM call_events WHERE leg_uuid = pair.value ->> 0)
          OR EXISTS (SELECT 1 FROM call_events WHERE conversation_uuid = pair.value ->> 1)`).pluck(),
      insertEvent: db.prepare(`
        INSERT INTO call_events (leg_uuid, status, occurred_at, conversation_uuid, direction, duration_seconds, to_number)
        VALUES (@legUuid, @status, @occurredAt, @conversationUuid, @direction, @durationSeconds, @to)
        ON CONFLICT DO NOTHING`),
      // The limits (conversation-limits.ts) bound these reads; LIMIT bounds them too over rows
      // stored before there were limits: the first ones stored, as the limits would have kept.
      eventsOfCall: db.prepare<{ uuid: string; conversationUuid: string | null }, EventRow>(`
        SELECT * FROM (SELECT * FROM call_events WHERE leg_uuid = @uuid LIMIT ${MAX_EVENTS_PER_LEG})
        UNION SELECT * FROM (SELECT * FROM call_events WHERE conversation_uuid = @conversationUuid LIMIT ${MAX_EVENTS_PER_CONVERSATION})`),
      callsConcerned: db.prepare<{ uuid: string; conversationUuid: string | null }, Pick<CallRow, 'uuid' | 'conversation_uuid' | 'outcome'>>(`
        SELECT uuid, conversation_uuid, outcome FROM calls WHERE uuid = @uuid
        UNION SELECT * FROM (
          SELECT uuid, conversation_uuid, outcome FROM calls WHERE conversation_uuid = @conversationUuid LIMIT ${MAX_CALLS_PER_CONVERSATION})`),
      // How many rows a conversation or leg has, counted no further than its limit.
      callsOfConversation: db.prepare<[conversationUuid: string], number>(`
        SELECT count(*) FROM (SELECT 1 FROM calls WHERE conversation_uuid = ? LIMIT ${MAX_CALLS_PER_CONVERSATION})`).pluck(),
      eventsOfConversation: db.prepare<[conversationUuid: string], number>(`
        SELECT count(*) FROM (SELECT 1 FROM call_events WHERE conversation_uuid = ? LIMIT ${MAX_EVENTS_PER_CONVERSATION})`).pluck(),
      eventsOfLeg: db.prepare<[legUuid: string], number>(`
        SELECT count(*) FROM (SELECT 1 FROM call_events WHERE leg_uuid = ? LIMIT ${MAX_EVENTS_PER_LEG})`).pluck(),
      eventExists: db.prepare<[legUuid: string, status: string, occurredAt: number], number>(
        'SELECT 1 FROM call_events WHERE leg_uuid = ? AND status = ? AND occurred_at = ?').pluck(),
      historiedCall: db.prepare<[uuid: string], HistoriedCallRow>(`SELECT ${HISTORIED_CALL_COLUMNS} FROM calls WHERE uuid = ?`),
      historiedCallsOfConversation: db.prepare<[conversationUuid: string], HistoriedCallRow & { uuid: string }>(`
        SELECT uuid, ${HISTORIED_CALL_COLUMNS} FROM calls WHERE conversation_uuid = ? LIMIT ${MAX_CALLS_PER_CONVERSATION}`),
      callUuidsOfConversation: db.prepare<[conversationUuid: string], string>(`
        SELECT uuid FROM calls WHERE conversation_uuid = ? LIMIT ${MAX_CALLS_PER_CONVERSATION}`).pluck(),
      markRecorded: db.prepare<[uuid: string]>('UPDATE calls SET recorded = 1 WHERE uuid = ?'),
      markVoicemail: db.prepare<[uuid: string]>('UPDATE calls SET voicemail = 1 WHERE uuid = ?'),
      updateLifecycle: db.prepare(`
        UPDATE calls SET outcome = @outcome, answered_at = @answeredAt, ended_at = @endedAt,
          duration_seconds = @durationSeconds, inbound_status = @inboundStatus, forwarded_status = @forwardedStatus,
          attempts = @attempts, answered_by = @answeredBy
        WHERE uuid = @uuid`),
      importCall: db.prepare<unknown[]>(`
        INSERT INTO calls (${STAGED_COLUMNS.join(', ')}, prev_any_at, prev_campaign_at, prev_number_at)
        VALUES (${STAGED_COLUMNS.map(() => '?').join(', ')}, ?, ?, ?)
        ON CONFLICT (uuid) DO NOTHING`),
      anyCall: db.prepare<[], number>('SELECT 1 FROM calls LIMIT 1').pluck(),
      findCall: db.prepare<[string], CallRow>('SELECT * FROM calls WHERE uuid = ?'),
      listNumbers: db.prepare<[], NumberRow>('SELECT * FROM tracking_numbers ORDER BY number'),
      saveNumber: db.prepare(`
        INSERT INTO tracking_numbers (number, campaign, forward_to, whisper, route) VALUES (@number, @campaign, @forwardTo, @whisper, @route)
        ON CONFLICT (number) DO UPDATE SET campaign = excluded.campaign, forward_to = excluded.forward_to,
          whisper = excluded.whisper, route = excluded.route`),
      deleteNumber: db.prepare('DELETE FROM tracking_numbers WHERE number = ?'),
      getBlockList: db.prepare<[], string>('SELECT list FROM block_list WHERE id = 1').pluck(),
      saveBlockList: db.prepare<[string]>('INSERT INTO block_list (id, list) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET list = excluded.list'),
      takeTurn: db.prepare<[string], number>(`
        INSERT INTO round_robin_turns (tracking_number, turn) VALUES (?, 0)
        ON CONFLICT (tracking_number) DO UPDATE SET turn = turn + 1 RETURNING turn`).pluck(),
    };
    this.#insertCalls = db.transaction((calls: readonly InboundCall[]) => {
      const batch = calls.map((call): InsertedCall & Pick<InboundCall, 'conversationUuid' | 'forwardTo'> & Pick<CallRecord, 'attribution'> => {
        const attribution = isPooledCall(call) ? creditCall(this.dni.holdsOn({ number: call.trackingNumber, at: call.startedAt })) : null;
        return {
          uuid: call.uuid, caller: call.caller, campaign: call.campaign, trackingNumber: call.trackingNumber,
          startedAt: call.startedAt.getTime(), outcome: call.blocked ? 'blocked' : 'in_progress', durationSeconds: null, answeredBy: null,
          source: attribution?.source ?? null, medium: attribution?.medium ?? null,
          ...NO_HISTORY, recorded: false, voicemail: false,
          conversationUuid: call.conversationUuid, forwardTo: call.forwardTo, attribution,
        };
      });
      const inserted = this.#buckets.insertBatch(batch, (call) => this.#acceptsCall(call) && (call.attribution === null
        ? this.#statements.insertCall.run(
          call.uuid, call.conversationUuid, call.trackingNumber, call.caller, call.campaign, call.forwardTo,
          call.startedAt, call.outcome, call.prevAnyAt, call.prevCampaignAt, call.prevNumberAt,
        )
        : this.#statements.insertCreditedCall.run(
          call.uuid, call.conversationUuid, call.trackingNumber, call.caller, call.campaign, call.forwardTo,
          call.startedAt, call.outcome, call.prevAnyAt, call.prevCampaignAt, call.prevNumberAt, JSON.stringify(call.attribution),
        )).changes > 0);
      if (inserted.length === 0) return;
      if (this.#webhooks.open) {
        const stored = new Map(calls.map((call) => [call.uuid, call]));
        this.#webhooks.writeOutbox(inserted.flatMap((call) => {
          const inbound = stored.get(call.uuid)!;
          return eventsOfCallChange(null, {
            ...inbound, ...IN_PROGRESS, outcome: call.outcome as CallRecord['outcome'], attribution: call.attribution,
          });
        }));
      }
      // Events can arrive before the answer webhook is stored: fold in any that are waiting. One
      // query tells which calls of the batch have any, since most have none.
      const keys = inserted.map((call) => [call.uuid, call.conversationUuid]);
      const deltas = this.#buckets.deltas();
      for (const position of this.#statements.callsWithEvents.all(JSON.stringify(keys))) {
        const call = inserted[position]!;
        this.#refreshLifecycle(call.uuid, call.conversationUuid, call.outcome === 'blocked', deltas);
      }
      this.#buckets.apply(deltas);
    });
    this.#importCalls = db.transaction((calls: readonly CallRecord[]) => {
      const batch = calls.map((call): Omit<CallRecord, 'startedAt'> & InsertedCall => ({
        ...call, startedAt: call.startedAt.getTime(), answeredBy: call.answeredBy ?? null,
        source: call.attribution?.source ?? null, medium: call.attribution?.medium ?? null, ...NO_HISTORY, recorded: false, voicemail: false,
      }));
      return this.#buckets.insertBatch(batch, (call) => this.#statements.importCall.run(
        ...stagedValues(call), call.prevAnyAt, call.prevCampaignAt, call.prevNumberAt,
      ).changes > 0).length;
    });
    this.#insertEvents = db.transaction((events: readonly CallEvent[]) => {
      // Each call once per batch, after all its events are in: its lifecycle depends only on them.
      const concerned = new Map<string, { conversationUuid: string | null; blocked: boolean }>();
      for (const event of events) {
        const occurredAt = event.occurredAt.getTime();
        if (!this.#acceptsEvent(event, occurredAt)) continue;
        const { changes } = this.#statements.insertEvent.run({ ...event, occurredAt, to: event.to ?? null });
        if (changes === 0) continue;
        for (const call of this.#statements.callsConcerned.all({ uuid: event.legUuid, conversationUuid: event.conversationUuid })) {
          concerned.set(call.uuid, { conversationUuid: call.conversation_uuid, blocked: call.outcome === 'blocked' });
        }
      }
      const deltas = this.#buckets.deltas();
      for (const [uuid, call] of concerned) this.#refreshLifecycle(uuid, call.conversationUuid, call.blocked, deltas);
      this.#buckets.apply(deltas);
    });
  }

  /** Whether the call's conversation has room for it (conversation-limits.ts). */
  #acceptsCall(call: Pick<InboundCall, 'uuid' | 'conversationUuid'>): boolean {
    if (call.conversationUuid === null || this.#statements.callsOfConversation.get(call.conversationUuid)! < MAX_CALLS_PER_CONVERSATION) return true;
    // A retried webhook of a call already stored is no excess.
    if (!this.#statements.findCall.get(call.uuid)) this.#excess.note({ kind: 'call', legUuid: call.uuid, conversationUuid: call.conversationUuid });
    return false;
  }

  /** Whether the event's leg and conversation have room for it (conversation-limits.ts). */
  #acceptsEvent(event: CallEvent, occurredAt: number): boolean {
    const full = this.#statements.eventsOfLeg.get(event.legUuid)! >= MAX_EVENTS_PER_LEG
      || (event.conversationUuid !== null && this.#statements.eventsOfConversation.get(event.conversationUuid)! >= MAX_EVENTS_PER_CONVERSATION);
    if (full && !this.#statements.eventExists.get(event.legUuid, event.status, occurredAt)) {
      this.#excess.note({ kind: 'event', legUuid: event.legUuid, conversationUuid: event.conversationUuid });
    }
    return !full;
  }

  /** Re-derives a call's lifecycle from its events; its bucket changes go into `deltas`. */
  #refreshLifecycle(uuid: string, conversationUuid: string | null, blocked: boolean, deltas: BucketDeltas): void {
    const events = this.#statements.eventsOfCall.all({ uuid, conversationUuid }).map(eventRowToEvent);
    if (events.length === 0) return;
    const lifecycle = deriveLifecycle({ uuid, blocked }, events);
    const before = historiedCallRowToCall(this.#statements.historiedCall.get(uuid)!);
    deltas.change(before, withLifecycle(before, lifecycle));
    // The outbox rows go in with the bucket deltas, in the caller's transaction.
    if (this.#webhooks.open) {
      const stored = callRowToCall(this.#statements.findCall.get(uuid)!);
      this.#webhooks.writeOutbox(eventsOfCallChange(stored, { ...stored, ...lifecycle }));
    }
    this.#statements.updateLifecycle.run({
      uuid,
      outcome: lifecycle.outcome,
      answeredAt: lifecycle.answeredAt?.getTime() ?? null,
      endedAt: lifecycle.endedAt?.getTime() ?? null,
      durationSeconds: lifecycle.durationSeconds,
      inboundStatus: lifecycle.inboundStatus,
      forwardedStatus: lifecycle.forwardedStatus,
      attempts: JSON.stringify(lifecycle.attempts),
      answeredBy: lifecycle.answeredBy,
    });
  }

  /**
   * Marks the conversation's stored calls recorded or voicemail, with their bucket changes, inside
   * the media store's transaction that keeps the recording's job.
   */
  #markRecording(conversationUuid: string, kind: RecordingKind): void {
    const deltas = this.#buckets.deltas();
    const mark = kind === 'call' ? this.#statements.markRecorded : this.#statements.markVoicemail;
    for (const row of this.#statements.historiedCallsOfConversation.all(conversationUuid)) {
      const before = historiedCallRowToCall(row);
      deltas.change(before, withRecording(before, kind));
      mark.run(row.uuid);
    }
    this.#buckets.apply(deltas);
  }

  /** A recording or voicemail now stored: its outgoing webhook events, in the media store's transaction. */
  #announceStored(record: MediaRecord): void {
    if (!this.#webhooks.open) return;
    this.#webhooks.writeOutbox(eventsOfStoredRecording(record, this.#statements.callUuidsOfConversation.all(record.conversationUuid)));
  }

  async recordCalls(calls: readonly InboundCall[]): Promise<void> {
    this.#insertCalls(calls);
  }

  async importCalls(calls: readonly CallRecord[]): Promise<number> {
    return this.#importCalls(calls);
  }

  /**
   * The bulk load (bulk-load.ts) holds the write lock from its start, so the store is still
   * empty when the calls go in, and runs as one transaction on this connection: it is for a
   * process of its own (the import command, the benchmark's fill), where nothing else writes
   * through this store meanwhile. Other processes wait, or spool, until it commits.
   */
  async importCallBatches(batches: CallBatches): Promise<number> {
    const db = this.#db;
    db.exec('BEGIN IMMEDIATE');
    try {
      if (this.#statements.anyCall.get() !== undefined) {
        db.exec('ROLLBACK');
        return await importEachBatch(this, batches);
      }
      const indexes = db.prepare<[], { name: string; sql: string }>(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'calls' AND sql IS NOT NULL").all();
      for (const index of indexes) db.exec(`DROP INDEX "${index.name}"`);
      db.exec(`CREATE TEMP TABLE ${STAGING_TABLE} AS SELECT ${STAGED_COLUMNS.join(', ')} FROM calls WHERE false`);
      const stage = db.prepare<unknown[]>(`INSERT INTO ${STAGING_TABLE} VALUES (${STAGED_COLUMNS.map(() => '?').join(', ')})`);
      for await (const batch of batches) for (const call of batch) stage.run(...stagedValues(call));
      // A uuid twice in the input: the first is kept, as batch by batch.
      db.exec(`DELETE FROM ${STAGING_TABLE} WHERE rowid NOT IN (SELECT min(rowid) FROM ${STAGING_TABLE} GROUP BY uuid)`);
      const stored = db.prepare(LOAD_STAGED_CALLS).run().changes;
      db.exec(`DROP TABLE ${STAGING_TABLE}`);
      for (const index of indexes) db.exec(index.sql);
      this.reports.rebuildBuckets();
      db.exec('COMMIT');
      return stored;
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw error;
    }
  }

  async recordEvents(events: readonly CallEvent[]): Promise<void> {
    this.#insertEvents(events);
  }

  async findCall(uuid: string): Promise<CallRecord | null> {
    const row = this.#statements.findCall.get(uuid);
    return row ? callRowToCall(row) : null;
  }

  async findCallEvents(call: Pick<CallRecord, 'uuid' | 'conversationUuid'>): Promise<CallEvent[]> {
    return this.#statements.eventsOfCall.all({ uuid: call.uuid, conversationUuid: call.conversationUuid }).map(eventRowToEvent);
  }

  async listCalls(query: CallQuery): Promise<CallPage> {
    return this.#callList.page(query);
  }

  async listTrackingNumbers(): Promise<TrackingNumber[]> {
    return this.#statements.listNumbers.all().map(numberRowToTrackingNumber);
  }

  async saveTrackingNumber(entry: TrackingNumber): Promise<void> {
    this.#statements.saveNumber.run({ ...entry, route: entry.route === null ? null : JSON.stringify(entry.route) });
  }

  async deleteTrackingNumber(number: string): Promise<boolean> {
    return this.#statements.deleteNumber.run(number).changes > 0;
  }

  async getBlockList(): Promise<BlockList> {
    const list = this.#statements.getBlockList.get();
    return list === undefined ? emptyBlockList() : (JSON.parse(list) as BlockList);
  }

  async saveBlockList(list: BlockList): Promise<void> {
    this.#statements.saveBlockList.run(JSON.stringify(list));
  }

  async takeRoundRobinTurn(trackingNumber: string): Promise<number> {
    return this.#statements.takeTurn.get(trackingNumber)!;
  }

  async listWebhookSubscriptions(): Promise<WebhookSubscription[]> {
    return this.#webhooks.listSubscriptions();
  }

  async saveWebhookSubscription(subscription: WebhookSubscription): Promise<void> {
    this.#webhooks.saveSubscription(subscription);
  }

  async deleteWebhookSubscription(id: string): Promise<boolean> {
    return this.#webhooks.deleteSubscription(id);
  }

  async disableWebhookSubscription(id: string): Promise<void> {
    this.#webhooks.disableSubscription(id);
  }

  async enqueueWebhookEvent(event: OutboxEvent, subscriptionId: string): Promise<void> {
    this.#webhooks.enqueue(event, subscriptionId);
  }

  async claimWebhookDeliveries(now: Date, leaseMs: number, limit: number): Promise<ClaimedDelivery[]> {
    return this.#webhooks.claim(now.getTime(), leaseMs, limit);
  }

  async finishWebhookDelivery(eventId: string, subscriptionId: string, result: DeliveryResult): Promise<void> {
    this.#webhooks.finish(eventId, subscriptionId, result);
  }

  async listWebhookDeliveries(subscriptionId: string, limit: number): Promise<WebhookDelivery[]> {
    return this.#webhooks.listDeliveries(subscriptionId, limit);
  }

  async redeliverWebhook(eventId: string, subscriptionId: string, now: Date): Promise<boolean> {
    return this.#webhooks.redeliver(eventId, subscriptionId, now.getTime());
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    this.#webhooks.appendAudit(entry);
  }

  async listAudit(limit: number): Promise<AuditEntry[]> {
    return this.#webhooks.listAudit(limit);
  }

  async findCallerData(caller: string): Promise<CallerData> {
    return this.#webhooks.findCallerData(caller);
  }

  /**
   * secure_delete (set at open) zeroes what the update frees in the pages it writes; a TRUNCATE
   * checkpoint then copies those pages into the database file and empties the WAL, which still
   * held the old ones. A reader in the way (the checkpoint thread) makes it busy: try again.
   */
  async eraseCaller(caller: string, marker: string): Promise<number> {
    const changed = this.#webhooks.eraseCaller(caller, marker);
    if (changed === 0 || this.#checkpointer === null) return changed;
    for (let attempt = 0; attempt < ERASURE_CHECKPOINT_TRIES; attempt += 1) {
      const [result] = this.#db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      if (result?.busy === 0) return changed;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error('the erasure is committed but the WAL could not be emptied yet: retry the request');
  }

  async deleteCallsBefore(cutoff: Date, limit: number): Promise<number> {
    return this.#webhooks.deleteCallsBefore(cutoff.getTime(), limit);
  }

  async ping(): Promise<void> {
    this.#db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    await this.#checkpointer?.stop();
    if (this.#db.open) this.#db.close();
  }
}

/** An imported call's values for STAGED_COLUMNS, in that order. */
function stagedValues(call: Omit<CallRecord, 'startedAt'> & { startedAt: Date | number }): unknown[] {
  return [
    call.uuid, call.conversationUuid, call.trackingNumber, call.caller, call.campaign, call.forwardTo,
    typeof call.startedAt === 'number' ? call.startedAt : call.startedAt.getTime(), call.outcome,
    call.answeredAt?.getTime() ?? null, call.endedAt?.getTime() ?? null, call.durationSeconds, call.inboundStatus, call.forwardedStatus,
    JSON.stringify(call.attempts ?? []), call.answeredBy ?? null, call.attribution ? JSON.stringify(call.attribution) : null,
  ];
}
