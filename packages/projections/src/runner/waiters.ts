/**
 * Promises that resolve when a condition becomes true, re-checked whenever the owner says something
 * changed (`recheck`), never by polling. Each wait has a timeout.
 */
export class Waiters {
  private readonly pending = new Set<{
    readonly condition: () => boolean;
    readonly resolve: () => void;
    readonly reject: (error: unknown) => void;
  }>();

  /** Resolves once `condition()` holds; rejects with `timeout()` after `timeoutMs`. */
  wait(condition: () => boolean, timeoutMs: number, timeout: () => Error): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const entry = {
        condition,
        resolve: () => {
          clearTimeout(timer);
          this.pending.delete(entry);
          resolve();
        },
        reject: (error: unknown) => {
          clearTimeout(timer);
          this.pending.delete(entry);
          reject(error);
        },
      };
      const timer = setTimeout(() => entry.reject(timeout()), timeoutMs);
      this.pending.add(entry);
    });
  }

  /** How many waits are pending. */
  get size(): number {
    return this.pending.size;
  }

  /** Re-checks every pending condition. */
  recheck(): void {
    for (const entry of [...this.pending]) if (entry.condition()) entry.resolve();
  }

  /** Fails every pending wait. */
  failAll(error: () => Error): void {
    for (const entry of [...this.pending]) entry.reject(error());
  }
}
