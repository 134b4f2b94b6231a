// Writes calls and events to the store in batches, and never lets a slow or failing store hold
// up the answer to Vonage longer than the configured deadline.

import { BatchQueue } from './batch-queue.js';
import type { CallEvent, InboundCall } from './calls.js';
import type { Logger } from './logger.js';
import type { CallStore } from './store/call-store.js';

/** stored: in the store; delayed: still being written after the deadline; failed: the store refused it. */
export type RecordOutcome = 'stored' | 'delayed' | 'failed';

export class CallRecorder {
  readonly #calls: BatchQueue<InboundCall>;
  readonly #events: BatchQueue<CallEvent>;

  constructor(
    store: CallStore,
    private readonly logger: Logger,
    private readonly deadlineMs: number,
  ) {
    this.#calls = new BatchQueue((calls) => store.recordCalls(calls));
    this.#events = new BatchQueue((events) => store.recordEvents(events));
  }

  recordCall(call: InboundCall): Promise<RecordOutcome> {
    return this.#withDeadline(this.#calls.enqueue(call), 'call', call.uuid);
  }

  recordEvent(event: CallEvent): Promise<RecordOutcome> {
    return this.#withDeadline(this.#events.enqueue(event), 'event', event.legUuid);
  }

  /** Resolves when every call and event handed over so far has been written or has failed. */
  async drain(): Promise<void> {
    await Promise.all([this.#calls.drained(), this.#events.drained()]);
  }

  #withDeadline(written: Promise<void>, what: string, uuid: string): Promise<RecordOutcome> {
    return new Promise<RecordOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.logger.warn(`${what} not stored within ${this.deadlineMs} ms; answering anyway`, { uuid });
        resolve('delayed');
      }, this.deadlineMs);
      written.then(
        () => {
          clearTimeout(timer);
          resolve('stored');
        },
        (error: unknown) => {
          clearTimeout(timer);
          this.logger.error(`${what} not stored`, { uuid, error: String(error) });
          resolve('failed');
        },
      );
    });
  }
}
