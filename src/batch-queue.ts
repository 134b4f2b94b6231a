// Group commit: items queued during one turn of the event loop are written together, so a burst
// of webhooks costs one transaction instead of one each, and every caller still learns when its
// own item is written.

interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class BatchQueue<T> {
  #waiting: Waiting<T>[] = [];
  #scheduled = false;
  #writing = 0;
  #idle: (() => void)[] = [];

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly maxBatch = 500,
  ) {}

  /** Resolves once the item is written; rejects with the write's error. */
  enqueue(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({ item, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  get pending(): number {
    return this.#waiting.length + this.#writing;
  }

  /** Resolves when everything queued so far has been written or has failed. */
  drained(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #flush(): void {
    this.#scheduled = false;
    while (this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0, this.maxBatch);
      this.#writing += batch.length;
      let written: Promise<void>;
      try {
        written = this.write(batch.map((w) => w.item));
      } catch (error) {
        written = Promise.reject(error);
      }
      written.then(
        () => this.#settle(batch, (w) => w.resolve()),
        (error: unknown) => this.#settle(batch, (w) => w.reject(error)),
      );
    }
  }

  #settle(batch: Waiting<T>[], settle: (waiting: Waiting<T>) => void): void {
    this.#writing -= batch.length;
    for (const waiting of batch) settle(waiting);
    if (this.pending === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }
}
