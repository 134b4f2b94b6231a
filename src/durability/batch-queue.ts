// Group commit: items queued during one turn of the event loop are written together, so a burst
// of webhooks costs one transaction instead of one each. Every item of a batch shares the one
// promise of its write: a call waiting for its answer costs an array slot, not a promise and
// closures of its own.

interface Batch<T, R> {
  items: T[];
  /** The shortest wait any item of the batch allows its write; undefined: the writer's own. */
  deadlineMs: number | undefined;
  result: Promise<R>;
  settle: (written: Promise<R>) => void;
}

export class BatchQueue<T, R> {
  /** Batches filled this turn, written at its end; the last one still takes items. */
  #filling: Batch<T, R>[] = [];

  constructor(
    private readonly write: (items: T[], deadlineMs: number | undefined) => Promise<R>,
    private readonly maxBatch = 500,
  ) {}

  /** The result of the write that will take this item; `deadlineMs` caps that write's wait. */
  enqueue(item: T, deadlineMs?: number): Promise<R> {
    let batch = this.#filling[this.#filling.length - 1];
    if (!batch || batch.items.length >= this.maxBatch) {
      if (this.#filling.length === 0) setImmediate(() => this.#flush());
      batch = newBatch<T, R>();
      this.#filling.push(batch);
    }
    batch.items.push(item);
    if (deadlineMs !== undefined) batch.deadlineMs = Math.min(deadlineMs, batch.deadlineMs ?? deadlineMs);
    return batch.result;
  }

  #flush(): void {
    for (const batch of this.#filling.splice(0)) {
      let written: Promise<R>;
      try {
        written = this.write(batch.items, batch.deadlineMs);
      } catch (error) {
        written = Promise.reject(error);
      }
      batch.settle(written);
    }
  }
}

function newBatch<T, R>(): Batch<T, R> {
  let settle!: (written: Promise<R>) => void;
  const result = new Promise<R>((resolve) => {
    settle = resolve;
  });
  return { items: [], deadlineMs: undefined, result, settle };
}
