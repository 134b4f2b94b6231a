// Group commit: items queued while the previous write is under way are written together when it
// ends, so a burst of webhooks costs one transaction instead of one each, however fast or slow
// the store is: a store on another thread or server gets batches that grow with the load rather
// than one small write per turn of the event loop. Every item of a batch shares the one promise
// of its write: a call waiting for its answer costs an array slot, not promises of its own.

interface Batch<T, R> {
  items: T[];
  /** performance.now() when its first item came. */
  queuedAt: number;
  result: Promise<R>;
  settle: (written: Promise<R>) => void;
}

export class BatchQueue<T, R> {
  /** Batches waiting to be written, oldest first; the last one still takes items. */
  #queued: Batch<T, R>[] = [];
  #writing = false;
  #scheduled = false;

  /** `write` gets each batch and when its first item was queued (performance.now()). */
  constructor(
    private readonly write: (items: T[], queuedAt: number) => Promise<R>,
    private readonly maxBatch = 500,
  ) {}

  /** The result of the write that will take this item. */
  enqueue(item: T): Promise<R> {
    let batch = this.#queued[this.#queued.length - 1];
    if (!batch || batch.items.length >= this.maxBatch) {
      batch = newBatch<T, R>();
      this.#queued.push(batch);
    }
    batch.items.push(item);
    // Items of this turn of the event loop go together even when nothing is being written.
    if (!this.#writing && !this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.#writeNext();
      });
    }
    return batch.result;
  }

  #writeNext(): void {
    const batch = this.#queued.shift();
    if (!batch) return;
    this.#writing = true;
    let written: Promise<R>;
    try {
      written = this.write(batch.items, batch.queuedAt);
    } catch (error) {
      written = Promise.reject(error);
    }
    batch.settle(written);
    const next = () => {
      this.#writing = false;
      this.#writeNext();
    };
    written.then(next, next);
  }
}

function newBatch<T, R>(): Batch<T, R> {
  let settle!: (written: Promise<R>) => void;
  const result = new Promise<R>((resolve) => {
    settle = resolve;
  });
  return { items: [], queuedAt: performance.now(), result, settle };
}
