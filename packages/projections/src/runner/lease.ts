import { LockLostError } from '../readModel/readModelErrors';
import type { ReadModelStore } from '../readModel/readModelStore';

/** Why a lease was lost. */
export type LeaseLossReason = 'taken' | 'renewal-failed';

/**
 * A lease on a lock in the read-model store, renewed in the background while held: the one mechanism
 * behind "one runner per projection" and "one rebuild per projection". Renewal runs every third of the
 * lease. The lease counts as lost when a renewal finds another owner, or when renewals have failed
 * for as long as the lease lasts (it may have lapsed and been taken); from then on {@link check}
 * throws and the holder stops writing. Every commit also asks the store (`tx.assertLock`): this local
 * state only makes a holder stop sooner.
 */
export class Lease {
  private timer: NodeJS.Timeout | undefined;
  private renewedAt = 0;
  private lostReason: LeaseLossReason | undefined;

  constructor(
    private readonly store: ReadModelStore,
    readonly lock: string,
    readonly owner: string,
    readonly ttlMs: number,
    private readonly onLost: (reason: LeaseLossReason) => void = () => undefined,
  ) {}

  /** True while the lease is held and not known to be lost. */
  get held(): boolean {
    return this.timer !== undefined && this.lostReason === undefined;
  }

  /** Takes the lease if it is free (or already ours) and starts renewing it; false when another owner holds it. */
  async acquire(): Promise<boolean> {
    if (!(await this.store.tryAcquireLock(this.lock, this.owner, this.ttlMs))) return false;
    this.renewedAt = Date.now();
    this.lostReason = undefined;
    clearInterval(this.timer);
    this.timer = setInterval(() => void this.renew(), Math.max(20, this.ttlMs / 3));
    this.timer.unref();
    return true;
  }

  /** @throws LockLostError once the lease is known to be lost. */
  check(): void {
    if (this.lostReason !== undefined) throw new LockLostError(this.lock, this.owner);
  }

  /** Stops renewing and gives the lock back (a standby can take it at once). */
  async release(): Promise<void> {
    const held = this.timer !== undefined && this.lostReason === undefined;
    this.stop();
    if (held) await this.store.releaseLock(this.lock, this.owner).catch(() => undefined);
  }

  /** Stops renewing without giving the lock back. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async renew(): Promise<void> {
    if (this.lostReason !== undefined || this.timer === undefined) return;
    let taken = false;
    try {
      if (await this.store.tryAcquireLock(this.lock, this.owner, this.ttlMs)) {
        this.renewedAt = Date.now();
        return;
      }
      taken = true;
    } catch {
      // The store is unreachable: the lease holds until it would have lapsed.
    }
    if (this.timer === undefined) return;
    if (taken) this.lose('taken');
    else if (Date.now() - this.renewedAt >= this.ttlMs) this.lose('renewal-failed');
  }

  private lose(reason: LeaseLossReason): void {
    this.lostReason = reason;
    this.stop();
    this.onLost(reason);
  }
}
