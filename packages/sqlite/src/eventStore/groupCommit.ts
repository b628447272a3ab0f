/** What one queued item came to after its batch was written: a result, or an error for it alone. */
export type BatchOutcome<R> =
  { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

/**
 * Gathers work submitted in the same turn of the event loop into batches and writes each batch with
 * one call (for SQLite: one transaction, one fsync). `writeBatch` returns one outcome per item, so one
 * item's failure fails that item's caller alone; if `writeBatch` throws, every item of the batch fails
 * with the error `onBatchError` makes of it.
 */
export class GroupCommit<T, R> {
  private queue: Array<{ item: T; resolve(value: R): void; reject(error: unknown): void }> = [];
  private scheduled = false;
  private batchCount = 0;
  private itemCount = 0;

  constructor(
    private readonly writeBatch: (items: readonly T[]) => ReadonlyArray<BatchOutcome<R>>,
    private readonly onBatchError: (error: unknown, items: readonly T[]) => unknown,
    private readonly maxBatch = 1024,
  ) {}

  /** Queues an item; resolves once the batch holding it has been written. */
  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // Every submit made in this turn of the event loop (and by callbacks it wakes) joins the batch.
        setImmediate(() => this.flush());
      }
    });
  }

  /** Items waiting for the next batch. */
  get pending(): number {
    return this.queue.length;
  }

  /** Batches written so far and the items they held. */
  get stats(): { readonly batches: number; readonly items: number } {
    return { batches: this.batchCount, items: this.itemCount };
  }

  /** Writes everything queued now, in batches of at most `maxBatch`. Synchronous. */
  flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      const items = batch.map((entry) => entry.item);
      let outcomes: ReadonlyArray<BatchOutcome<R>>;
      try {
        outcomes = this.writeBatch(items);
      } catch (error) {
        const mapped = this.onBatchError(error, items);
        for (const entry of batch) entry.reject(mapped);
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
  }
}
