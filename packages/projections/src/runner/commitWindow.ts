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
  /**
   * Whether the window, having taken batches for its `ms`, had better go on taking them: its store
   * tells how much it holds and holds up (`ReadModelTransaction.pressure`), no other transaction waits
   * for it, and its documents were written again and again (at most one per {@link STRETCH_EVENTS_PER_DOCUMENT}
   * events applied, at most {@link STRETCH_MAX_DOCUMENTS}), so that a longer window saves writes
   * without holding much more in memory. The pass still commits by `ms` × {@link STRETCH_FACTOR}.
   */
  stretch(): boolean;
}

/** How a catch-up pass opens windows (see `CatchUpOptions.window`). */
export interface CatchUpWindow {
  /**
   * How long a window takes batches before it commits (ms); up to {@link STRETCH_FACTOR} times as long
   * while it {@link CommitWindow.stretch | stretches}.
   */
  readonly ms: number;
  open(): Promise<CommitWindow>;
}

/** How many times its `ms` a window may stretch to, at most. */
export const STRETCH_FACTOR = 4;
/** A window stretches only while it has applied at least this many events per document it would write. */
export const STRETCH_EVENTS_PER_DOCUMENT = 2;
/** A window holding more documents to write than this commits at its `ms`. */
export const STRETCH_MAX_DOCUMENTS = 20_000;

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
  let applied = 0;
  return {
    apply: (events) => {
      applied += events.length;
      return apply(tx!, events);
    },
    stretch: () => {
      const pressure = tx!.pressure?.();
      return (
        pressure !== undefined &&
        pressure.waitingTransactions === 0 &&
        pressure.pendingDocuments <= STRETCH_MAX_DOCUMENTS &&
        pressure.pendingDocuments * STRETCH_EVENTS_PER_DOCUMENT <= applied
      );
    },
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
