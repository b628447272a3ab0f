/**
 * Runs a store's transactions one at a time, in the order they were asked for, and counts the ones
 * still waiting: what a long transaction (a catch-up window) reads through
 * `ReadModelTransaction.pressure` to know whether it holds anyone up. For stores that run one
 * transaction at a time (SQLite, in memory).
 */
export class TransactionQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;

  /** Transactions asked for that have not started yet. */
  get waiting(): number {
    return this.queued;
  }

  /** Runs `work` once everything queued before it has ended; resolves or rejects with its outcome. */
  run<T>(work: () => Promise<T> | T): Promise<T> {
    this.queued++;
    const run = this.tail.then(() => {
      this.queued--;
      return work();
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Resolves once everything queued so far has ended (whatever its outcome). */
  async drained(): Promise<void> {
    await this.tail;
  }
}
