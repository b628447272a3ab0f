/** What one queued item came to after its batch was written: a result, or an error for it alone. */
export type BatchOutcome<R> =
  { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

interface Entry<T, R> {
  readonly item: T;
  resolve(value: R): void;
  reject(error: unknown): void;
}

/**
 * Gathers appends into batches, each written as one transaction with one commit. Writing is
 * asynchronous: up to `maxInFlight` batches are in flight at once (PostgreSQL flushes the WAL of
 * concurrent commits together), and whatever arrives meanwhile waits for the next free slot, so the
 * busier the store, the larger the batches. A key (stream) is in at most one batch in flight, once:
 * appends to one stream are written in the order they were made, each decided against its stream as
 * committed, and two batches of this process never wait for each other's row locks.
 */
export class AsyncGroupCommit<T, R> {
  private queue: Array<Entry<T, R>> = [];
  private readonly busy = new Set<string>();
  private inFlight = 0;
  private scheduled = false;
  private batchCount = 0;
  private itemCount = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly writeBatch: (items: readonly T[]) => Promise<ReadonlyArray<BatchOutcome<R>>>,
    private readonly onBatchError: (error: unknown, items: readonly T[]) => (item: T) => unknown,
    private readonly keyOf: (item: T) => string,
    private readonly maxBatch: number,
    private readonly maxInFlight: number,
  ) {}

  /** Queues an item; resolves once the batch holding it has been committed. */
  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // Appends made in this turn of the event loop join the same batch.
        setImmediate(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  /** Batches written so far and the items they held. */
  get stats(): { readonly batches: number; readonly items: number } {
    return { batches: this.batchCount, items: this.itemCount };
  }

  /** Resolves once nothing is queued or in flight. */
  idle(): Promise<void> {
    if (this.inFlight === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch: Array<Entry<T, R>> = [];
      const rest: Array<Entry<T, R>> = [];
      const keys = new Set<string>();
      for (const entry of this.queue) {
        const key = this.keyOf(entry.item);
        if (batch.length < this.maxBatch && !keys.has(key) && !this.busy.has(key)) batch.push(entry);
        else rest.push(entry);
        keys.add(key);
      }
      if (batch.length === 0) return;
      this.queue = rest;
      for (const entry of batch) this.busy.add(this.keyOf(entry.item));
      this.inFlight++;
      void this.write(batch);
    }
  }

  private async write(batch: Array<Entry<T, R>>): Promise<void> {
    const items = batch.map((entry) => entry.item);
    try {
      const outcomes = await this.writeBatch(items);
      this.batchCount++;
      this.itemCount += batch.length;
      batch.forEach((entry, i) => {
        const outcome = outcomes[i];
        if (outcome === undefined) entry.reject(new Error('group commit: no outcome for a queued item'));
        else if (outcome.ok) entry.resolve(outcome.value);
        else entry.reject(outcome.error);
      });
    } catch (error) {
      const mapped = this.onBatchError(error, items);
      for (const entry of batch) entry.reject(mapped(entry.item));
    } finally {
      for (const item of items) this.busy.delete(this.keyOf(item));
      this.inFlight--;
      this.pump();
      if (this.inFlight === 0 && this.queue.length === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const wake of waiters) wake();
      }
    }
  }
}
