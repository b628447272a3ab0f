/** What one queued item came to after its batch was written: a result, or an error for it alone. */
export type BatchOutcome<R> =
  { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

/**
 * Gathers appends submitted while a batch is being written into the next batch (one transaction, one
 * commit for all of them). Unlike SQLite's synchronous group commit, writing is asynchronous: one batch
 * is in flight per store, and whatever arrives meanwhile waits for the next. A batch holds at most one
 * append per key (stream): a second append to the same stream waits for the next batch, so every
 * append in a batch is decided against its stream as committed.
 */
export class AsyncGroupCommit<T, R> {
  private queue: Array<{ item: T; resolve(value: R): void; reject(error: unknown): void }> = [];
  private running = false;
  private batchCount = 0;
  private itemCount = 0;

  constructor(
    private readonly writeBatch: (items: readonly T[]) => Promise<ReadonlyArray<BatchOutcome<R>>>,
    private readonly onBatchError: (error: unknown, items: readonly T[]) => (item: T) => unknown,
    private readonly keyOf: (item: T) => string,
    private readonly maxBatch: number,
  ) {}

  /** Queues an item; resolves once the batch holding it has been committed. */
  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.running) {
        this.running = true;
        // Appends made in this turn of the event loop join the first batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  /** Batches written so far and the items they held. */
  get stats(): { readonly batches: number; readonly items: number } {
    return { batches: this.batchCount, items: this.itemCount };
  }

  /** Resolves once nothing is queued or in flight. */
  async idle(): Promise<void> {
    while (this.running) await new Promise((resolve) => setImmediate(resolve));
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch: typeof this.queue = [];
        const rest: typeof this.queue = [];
        const keys = new Set<string>();
        for (const entry of this.queue) {
          const key = this.keyOf(entry.item);
          if (batch.length < this.maxBatch && !keys.has(key)) {
            keys.add(key);
            batch.push(entry);
          } else rest.push(entry);
        }
        this.queue = rest;
        const items = batch.map((entry) => entry.item);
        let outcomes: ReadonlyArray<BatchOutcome<R>>;
        try {
          outcomes = await this.writeBatch(items);
        } catch (error) {
          const mapped = this.onBatchError(error, items);
          for (const entry of batch) entry.reject(mapped(entry.item));
          continue;
        }
        this.batchCount++;
        this.itemCount += batch.length;
        batch.forEach((entry, i) => {
          const outcome = outcomes[i];
          if (outcome === undefined) entry.reject(new Error('group commit: no outcome for a queued item'));
          else if (outcome.ok) entry.resolve(outcome.value);
          else entry.reject(outcome.error);
        });
      }
    } finally {
      this.running = false;
    }
  }
}
