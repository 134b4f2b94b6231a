// Bounds how many batches of one kind an instance writes to PostgreSQL at once. Batches handed
// over while that many are under way wait, and are written together when one of them is done:
// under load the instance sends fewer, larger transactions instead of many small ones that queue
// for the pool's connections, each paying its round trips and the server its commit.
// Waiting counts against the recorder's deadline like any slow write: past it the calls are
// spooled, and the write that still comes only repeats them, which the uuid keys absorb.

interface Group<T> {
  items: T[];
  settle: { resolve: () => void; reject: (error: unknown) => void }[];
}

export class CoalescedWrites<T> {
  #inFlight = 0;
  readonly #waiting: Group<T>[] = [];

  constructor(
    private readonly writeBatch: (items: readonly T[]) => Promise<void>,
    private readonly maxInFlight: number,
    private readonly maxBatch: number,
  ) {}

  write(items: readonly T[]): Promise<void> {
    if (this.#inFlight < this.maxInFlight) return this.#run(items);
    let group = this.#waiting[this.#waiting.length - 1];
    if (!group || group.items.length >= this.maxBatch) {
      group = { items: [], settle: [] };
      this.#waiting.push(group);
    }
    group.items.push(...items);
    const joined = group;
    return new Promise((resolve, reject) => joined.settle.push({ resolve, reject }));
  }

  async #run(items: readonly T[]): Promise<void> {
    this.#inFlight += 1;
    try {
      await this.writeBatch(items);
    } finally {
      this.#inFlight -= 1;
      this.#startWaiting();
    }
  }

  #startWaiting(): void {
    const group = this.#waiting.shift();
    if (!group) return;
    this.#run(group.items).then(
      () => group.settle.forEach(({ resolve }) => resolve()),
      (error: unknown) => group.settle.forEach(({ reject }) => reject(error)),
    );
  }
}
