import type { Position, RecordedEvent } from '@rewind/core';
import type { ReadModelStore, ReadModelTransaction } from '../readModel/readModelStore';

/**
 * One read-model transaction that several batches are applied into before it commits — how a pass
 * that catches up (a rebuild, a runner far behind) writes each document once per window rather than
 * once per batch. Nothing is written until {@link commit}; {@link abort} leaves no trace.
 */
export interface CommitWindow {
  /**
   * Applies a batch in the window's transaction.
   * @throws HandlerFailure when a handler throws (the caller then aborts the window).
   */
  apply(events: readonly RecordedEvent[]): Promise<void>;
  /** Moves the checkpoint and commits everything applied, as one transaction. */
  commit(checkpoint: Position): Promise<void>;
  /** Rolls back everything applied (resolves even when the transaction had already failed). */
  abort(): Promise<void>;
}

/** How a catch-up pass opens windows (see `CatchUpOptions.window`). */
export interface CatchUpWindow {
  /** How long a window takes batches before it commits (ms). */
  readonly ms: number;
  open(): Promise<CommitWindow>;
}

/** Thrown inside a window's transaction so that the store rolls it back. */
class WindowAborted extends Error {}

/**
 * Opens a {@link CommitWindow} on `store.transaction`: `begin` runs first in the transaction (fencing,
 * checks), `apply` for each batch, and the checkpoint is set last. The transaction stays open (holding
 * the store's transaction queue) until the window commits or aborts, so windows must be short.
 * @throws what `begin` or the store throws while opening.
 */
export async function openTransactionWindow(
  store: ReadModelStore,
  namespace: string,
  begin: (tx: ReadModelTransaction) => Promise<void>,
  apply: (tx: ReadModelTransaction, events: readonly RecordedEvent[]) => Promise<void>,
): Promise<CommitWindow> {
  let tx: ReadModelTransaction | undefined;
  let opened!: () => void;
  const isOpen = new Promise<void>((resolve) => (opened = resolve));
  let end!: (checkpoint: Position | undefined) => void;
  const ended = new Promise<Position | undefined>((resolve) => (end = resolve));
  const outcome = store
    .transaction(namespace, async (t) => {
      tx = t;
      await begin(t);
      opened();
      const checkpoint = await ended;
      if (!checkpoint) throw new WindowAborted();
      await t.setCheckpoint(checkpoint);
    })
    .then(
      () => undefined,
      (error: unknown) => ({ error }),
    );
  const first = await Promise.race([isOpen.then(() => undefined), outcome]);
  if (first) throw first.error;
  return {
    apply: (events) => apply(tx!, events),
    commit: async (checkpoint) => {
      end(checkpoint);
      const failed = await outcome;
      if (failed) throw failed.error;
    },
    abort: async () => {
      end(undefined);
      await outcome;
    },
  };
}

/** Default longest time a catch-up window applies batches before it commits (ms). */
export const DEFAULT_CATCH_UP_COMMIT_MS = 250;
