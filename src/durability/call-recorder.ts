// Writes calls and events to the store in batches, and never lets a slow or failing store hold
// up the answer to Vonage longer than the configured deadline: what the store has not taken by
// then goes to the durable spool, and a replay loop hands it to the store once it is back.
//
// Order: while the spool holds anything, new records go to the spool behind it, and the spool
// replays oldest first, so the store sees records in the order they arrived. A write that missed
// its deadline may still land later; that only repeats a record, which the uuid keys absorb.
// A full spool gives up the order rather than records: new ones go to the store first (a call's
// lifecycle does not depend on the order its events arrive in), and only what the store refuses
// is lost.

import { BatchQueue } from './batch-queue.js';
import type { CallEvent, InboundCall } from '../domain/calls.js';
import type { Logger } from '../logger.js';
import type { MediaJob } from '../domain/recordings.js';
import { SpoolReadError, type Spool, type SpooledRecord, type SpoolStatus } from './spool.js';
import type { CallStore } from '../store/call-store.js';

/** stored: in the store; spooled: on disk, for the store later; lost: neither would take it. */
export type RecordOutcome = 'stored' | 'spooled' | 'lost';

/** How often a non-empty spool is offered to the store again. */
const REPLAY_INTERVAL_MS = 1000;
/** How long a stop waits for a last replay of the spool before leaving it for the next start. */
const FINAL_REPLAY_MS = 2000;

type StoreAttempt = { ok: true } | { ok: false; reason: string };

function uuidOf(record: SpooledRecord): string {
  switch (record.kind) {
    case 'call':
      return record.call.uuid;
    case 'event':
      return record.event.legUuid;
    case 'media':
      return record.job.id;
  }
}

export class CallRecorder {
  readonly #calls: BatchQueue<InboundCall, RecordOutcome>;
  readonly #events: BatchQueue<CallEvent, RecordOutcome>;
  /** The batches (and spool appends) under way: what drain() waits for. */
  readonly #outstanding = new Set<Promise<RecordOutcome>>();
  #replayTimer: NodeJS.Timeout | null = null;
  /** The replay under way; a hung store gets one replay at a time, never a pile of them. */
  #replay: Promise<void> | null = null;

  constructor(
    private readonly store: CallStore,
    private readonly spool: Spool,
    private readonly logger: Logger,
    private readonly deadlineMs: number,
  ) {
    // One deadline per batch: every call of a batch waits for the same write.
    this.#calls = new BatchQueue((calls, deadlineMs) =>
      this.#storeOrSpool(() => store.recordCalls(calls), () => calls.map((call) => ({ kind: 'call', call })), deadlineMs));
    this.#events = new BatchQueue((events) =>
      this.#storeOrSpool(() => store.recordEvents(events), () => events.map((event) => ({ kind: 'event', event }))));
  }

  /**
   * Resolves within about the deadline (or `deadlineMs`, when the answer has already spent part
   * of it), whatever the store does; never rejects. The outcome is the batch's: "lost" if any
   * record of the batch was.
   */
  recordCall(call: InboundCall, deadlineMs?: number): Promise<RecordOutcome> {
    // Behind spooled records a new one waits its turn in the spool, so the store keeps the order.
    if (this.#behindSpool()) return this.#track(this.#spoolRecords([{ kind: 'call', call }]));
    return this.#track(this.#calls.enqueue(call, deadlineMs));
  }

  /** Whether the store is known to be failing: records wait in the spool for it. */
  storeFailing(): boolean {
    return this.spool.depth > 0;
  }

  recordEvent(event: CallEvent): Promise<RecordOutcome> {
    if (this.#behindSpool()) return this.#track(this.#spoolRecords([{ kind: 'event', event }]));
    return this.#track(this.#events.enqueue(event));
  }

  /** A recording or transcription job: to the store within the deadline, else to the spool. */
  recordMediaJob(job: MediaJob): Promise<RecordOutcome> {
    const spooled: SpooledRecord[] = [{ kind: 'media', job }];
    if (this.#behindSpool()) return this.#track(this.#spoolRecords(spooled));
    return this.#track(this.#storeOrSpool(() => this.store.media.saveMediaJob(job), () => spooled));
  }

  #behindSpool(): boolean {
    return this.spool.depth > 0 && !this.spool.full;
  }

  spoolStatus(): SpoolStatus {
    return this.spool.status();
  }

  /** Replays the spool now (start-up) and then every second while it holds anything. */
  startReplaying(): void {
    if (this.#replayTimer) return;
    this.replaySpool();
    this.#replayTimer = setInterval(() => this.replaySpool(), REPLAY_INTERVAL_MS);
    this.#replayTimer.unref();
  }

  /** Starts a replay unless one is under way or nothing waits; resolves when that replay ends. */
  replaySpool(): Promise<void> {
    if (this.#replay) return this.#replay;
    if (this.spool.depth === 0) return Promise.resolve();
    const replay = this.spool.replay((records) => this.#writeRun(records)).then(
      (count) => {
        if (count > 0) this.logger.info('spooled records written to the store', { count, left: this.spool.depth });
      },
      (error: unknown) => {
        if (error instanceof SpoolReadError) {
          this.logger.error('cannot read the spool; its records stay there and are tried again', { left: this.spool.depth, error: error.message });
        } else {
          this.logger.warn('the store still refuses spooled records; retrying', { left: this.spool.depth, error: String(error) });
        }
      },
    );
    this.#replay = replay.finally(() => {
      this.#replay = null;
    });
    return this.#replay;
  }

  /**
   * Waits for every call and event handed over so far to be stored or spooled, tries one last
   * replay within a bound, and closes the spool. What is still spooled is replayed at next start.
   */
  async stop(): Promise<void> {
    if (this.#replayTimer) clearInterval(this.#replayTimer);
    this.#replayTimer = null;
    await this.drain();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.replaySpool(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, FINAL_REPLAY_MS);
      }),
    ]);
    clearTimeout(timer);
    await this.spool.close();
  }

  /** Resolves when every call and event handed over so far is stored, spooled or lost. */
  async drain(): Promise<void> {
    while (this.#outstanding.size > 0) await Promise.all(this.#outstanding);
  }

  #track(recording: Promise<RecordOutcome>): Promise<RecordOutcome> {
    // The calls of one batch share its promise: it is tracked once.
    if (!this.#outstanding.has(recording)) {
      this.#outstanding.add(recording);
      void recording.finally(() => this.#outstanding.delete(recording));
    }
    return recording;
  }

  async #storeOrSpool(write: () => Promise<void>, records: () => SpooledRecord[], deadlineMs = this.deadlineMs): Promise<RecordOutcome> {
    const attempt = await this.#withDeadline(write, deadlineMs);
    if (attempt.ok) return 'stored';
    return this.#spoolRecords(records(), attempt.reason);
  }

  /** `refusedBecause`: why the store did not take them, logged for each record once the spool has it. */
  async #spoolRecords(records: SpooledRecord[], refusedBecause?: string): Promise<RecordOutcome> {
    const appended = await Promise.allSettled(records.map((record) => this.spool.append(record)));
    let outcome: RecordOutcome = 'spooled';
    appended.forEach((result, i) => {
      const record = records[i]!;
      if (result.status === 'fulfilled') {
        if (refusedBecause !== undefined) this.logger.warn(`${record.kind} spooled: ${refusedBecause}`, { uuid: uuidOf(record) });
        return;
      }
      this.logger.error(`${record.kind} lost: neither the store nor the spool took it`, { uuid: uuidOf(record), error: String(result.reason) });
      outcome = 'lost';
    });
    return outcome;
  }

  #withDeadline(write: () => Promise<void>, deadlineMs: number): Promise<StoreAttempt> {
    return new Promise<StoreAttempt>((resolve) => {
      const timer = setTimeout(() => resolve({ ok: false, reason: `the store did not answer within ${deadlineMs} ms` }), deadlineMs);
      const failed = (error: unknown) => {
        clearTimeout(timer);
        resolve({ ok: false, reason: `the store failed: ${String(error)}` });
      };
      let written: Promise<void>;
      try {
        written = write();
      } catch (error) {
        failed(error);
        return;
      }
      written.then(() => {
        clearTimeout(timer);
        resolve({ ok: true });
      }, failed);
    });
  }

  async #writeRun(records: SpooledRecord[]): Promise<void> {
    const calls: InboundCall[] = [];
    const events: CallEvent[] = [];
    const jobs: MediaJob[] = [];
    for (const record of records) {
      if (record.kind === 'call') calls.push(record.call);
      else if (record.kind === 'event') events.push(record.event);
      else jobs.push(record.job);
    }
    if (calls.length > 0) await this.store.recordCalls(calls);
    if (events.length > 0) await this.store.recordEvents(events);
    for (const job of jobs) await this.store.media.saveMediaJob(job);
  }
}
