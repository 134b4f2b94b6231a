// The storage interface every backend (memory, SQLite, PostgreSQL) implements, and the query
// shapes it answers with; the reports' part is report-store.ts.

import type { CallEvent, CallOutcome, CallRecord, InboundCall } from '../domain/calls.js';
import type { BlockList } from '../domain/block-list.js';
import type { TrackingNumber } from '../domain/tracking-numbers.js';
import type { DniStore } from './dni-store.js';
import type { MediaStore } from './media-store.js';
import type { ReportStore } from './report-store.js';
import type { WebhookStore } from './webhook-records.js';

export type { TimeRange } from './report-store.js';
import type { TeamStore } from './team-store.js';
import type { CallBatches } from './bulk-load.js';

export interface CallQuery {
  trackingNumber?: string;
  /** Exact campaign name; null asks for calls of numbers without a campaign. */
  campaign?: string | null;
  outcome?: CallOutcome;
  /** E.164 digits of the caller. */
  caller?: string;
  since?: Date;
  until?: Date;
  limit: number;
  /** Opaque keyset cursor from a previous page's `nextCursor`. */
  cursor?: CallCursor;
}

/** Position after the last call of a page: calls are ordered by (startedAt, uuid), newest first. */
export interface CallCursor {
  startedAt: Date;
  uuid: string;
}

export interface CallPage {
  calls: CallRecord[];
  nextCursor: CallCursor | null;
}

/** Calls, numbers and reports; the outbox, audit log and callers' data come from WebhookStore. */
export interface CallStore extends WebhookStore {
  readonly kind: 'memory' | 'sqlite' | 'postgres';
  /** Number pools, website visits and their holds, in the same database. */
  readonly dni: DniStore;
  /** Users, sessions, API tokens and call-back marks. */
  readonly team: TeamStore;
  /** Recordings, voicemails and transcripts, in the same database. */
  readonly media: MediaStore;
  /** Records calls; a uuid already stored is left as it is (a retried webhook). */
  recordCalls(calls: readonly InboundCall[]): Promise<void>;
  /** Keeps events (a repeated one once) and updates the lifecycle of the calls they concern. */
  recordEvents(events: readonly CallEvent[]): Promise<void>;
  /**
   * Bulk path for complete records (imports, benchmark fills): inserts calls with their
   * lifecycle as given, skipping uuids already stored. Not used by the webhooks. Resolves to
   * the number of calls stored (the others were there already).
   */
  importCalls(calls: readonly CallRecord[]): Promise<number>;
  /**
   * Imports many batches: into a store that holds no calls, as one bulk load (bulk-load.ts),
   * which holds the calls for writing until it is done; into one that does, batch by batch as
   * importCalls. Resolves to the number of calls stored.
   */
  importCallBatches(batches: CallBatches): Promise<number>;
  findCall(uuid: string): Promise<CallRecord | null>;
  /** The events of the call's leg and of its conversation (the legs it connected), in no set order. */
  findCallEvents(call: Pick<CallRecord, 'uuid' | 'conversationUuid'>): Promise<CallEvent[]>;
  listCalls(query: CallQuery): Promise<CallPage>;

  listTrackingNumbers(): Promise<TrackingNumber[]>;
  saveTrackingNumber(entry: TrackingNumber): Promise<void>;
  /** Returns false when the number had no entry. */
  deleteTrackingNumber(number: string): Promise<boolean>;

  /** The block list for every tracking number; empty until one is saved. */
  getBlockList(): Promise<BlockList>;
  saveBlockList(list: BlockList): Promise<void>;
  /**
   * Takes a round-robin number's next turn: 0 for its first call, then 1, 2, …, each turn given
   * out once however many instances share the store.
   */
  takeRoundRobinTurn(trackingNumber: string): Promise<number>;

  /** What the reports read: the buckets of report-figures.ts. */
  readonly reports: ReportStore;

  /** Resolves when the store answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
