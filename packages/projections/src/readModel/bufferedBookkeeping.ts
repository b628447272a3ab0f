import { randomUUID } from 'node:crypto';
import type { Position } from '@rewind/core';
import { checkNamespace } from './readModelErrors';
import type { DeadLetter } from './readModelStore';

/**
 * The bookkeeping of a read-model transaction, buffered the same way by every store until commit: the
 * checkpoint, served pointers, and dead letters parked, removed or retried. A store's transaction
 * extends it, adds documents and locks, and writes what is pending when it commits.
 */
export abstract class BufferedBookkeeping {
  /** The checkpoint set in this transaction, if any. */
  protected checkpoint: Position | undefined;
  /** Served pointers set in this transaction: projection → namespace. */
  protected readonly served = new Map<string, string>();
  /** Dead letters parked in this transaction. */
  protected readonly parked: DeadLetter[] = [];
  /** Ids of dead letters removed in this transaction. */
  protected readonly removed: string[] = [];
  /** Failed retries recorded in this transaction: id → newest error. */
  protected readonly retried = new Map<string, string>();

  constructor(readonly namespace: string) {}

  async setCheckpoint(position: Position): Promise<void> {
    this.checkpoint = { commit: position.commit, prepare: position.prepare };
  }

  async setServed(projection: string, namespace: string): Promise<void> {
    checkNamespace(namespace);
    this.served.set(projection, namespace);
  }

  async parkDeadLetter(letter: Omit<DeadLetter, 'id' | 'namespace' | 'parkedAt'>): Promise<void> {
    this.parked.push({ ...letter, id: randomUUID(), namespace: this.namespace, parkedAt: new Date() });
  }

  async removeDeadLetter(id: string): Promise<void> {
    this.removed.push(id);
  }

  async recordDeadLetterAttempt(id: string, error: string): Promise<void> {
    this.retried.set(id, error);
  }

  /** True when some bookkeeping waits to be written. */
  protected get bookkeepingPending(): boolean {
    return (
      this.checkpoint !== undefined ||
      this.served.size > 0 ||
      this.parked.length > 0 ||
      this.removed.length > 0 ||
      this.retried.size > 0
    );
  }
}
