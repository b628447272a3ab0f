import {
  comparePositions,
  EventDecodingError,
  isAfter,
  readAllInPages,
  type EventFilter,
  type EventStore,
  type Position,
  type RecordedEvent,
} from '@rewind/core';
import { HandlerFailure } from './applyEvents';
import { STRETCH_FACTOR, type CatchUpWindow, type CommitWindow } from './commitWindow';

/** What to do with one event of a pass: apply it, read past it, or end the pass before it. */
export type Selection = 'apply' | 'skip' | 'stop';

/** An event the store could not decode, with its place in the log. */
export type UndecodableEvent = EventDecodingError & { readonly position: Position };

/** Options for {@link catchUpToHead}. */
export interface CatchUpOptions {
  readonly eventStore: EventStore;
  readonly filter: EventFilter;
  /** Events per commit. */
  readonly batchSize: number;
  /** Where the pass starts (exclusive); undefined: the start of the log. */
  readonly from: Position | undefined;
  /** Decides per event (a rebuild `until`); default: apply every event. */
  readonly select?: (event: RecordedEvent) => Selection;
  /** Commits a batch (possibly empty) and moves the checkpoint to `checkpoint`. */
  commit(events: readonly RecordedEvent[], checkpoint: Position): Promise<void>;
  /**
   * The store cannot decode an event; everything before it is committed. Moves the checkpoint past it
   * (parks it) or throws (the pass ends with that error).
   */
  undecodable(event: UndecodableEvent): Promise<void>;
  /** Checked after each commit: true ends the pass early (stop, pause, a lost lease). */
  interrupted(): boolean;
  /**
   * Optional: apply batches into one transaction for `window.ms` (longer while the window
   * {@link CommitWindow.stretch | stretches}) before it commits, instead of committing each batch (a
   * document changed by many events of the window is written once). A handler that throws in a
   * window rolls it back; the pass then reads the window's events again and commits them batch by
   * batch through `commit`, which deals with the failing event as always.
   */
  readonly window?: CatchUpWindow;
}

/** How a {@link catchUpToHead} pass ended. */
export interface CatchUpPass {
  /** The head of the log when the pass began: what it read up to. */
  readonly head: Position | undefined;
  /** The checkpoint committed last. */
  readonly checkpoint: Position | undefined;
  /** Events read and selected, applied or skipped. */
  readonly read: number;
  /** Everything up to `head` was read, and the checkpoint moved there, even past events not handled. */
  readonly reachedHead: boolean;
  /** Why it ended early: `select` said stop, or `interrupted()` did. */
  readonly stopped: 'selected' | 'interrupted' | undefined;
}

/**
 * The one catch-up loop, shared by the live runner and the rebuild: reads the log a page at a time
 * from a checkpoint up to the head as it is when the pass begins, cuts batches of `batchSize`, commits
 * each (the caller's commit puts the handlers' writes and the checkpoint in one transaction), and
 * finally moves the checkpoint to that head. After each commit it yields to the event loop, so timers,
 * lease renewals and requests served by the same process keep running however long the backlog is.
 * An event the store cannot decode ends its batch: what precedes it is committed, `undecodable`
 * deals with it, and reading goes on after it.
 */
export async function catchUpToHead(options: CatchUpOptions): Promise<CatchUpPass> {
  const { eventStore, filter, batchSize, select, commit } = options;
  const head = await eventStore.headPosition();
  let checkpoint = options.from;
  let read = 0;
  if (!head || !isAfter(head, checkpoint))
    return { head, checkpoint, read, reachedHead: true, stopped: undefined };

  let batch: RecordedEvent[] = [];
  // An open window (see CatchUpOptions.window): what it applied, from where, since when.
  let window: CommitWindow | undefined;
  let windowApplied: Position | undefined;
  let windowOpenedAt = 0;
  /** `read` when the checkpoint last moved: where a window's events are read again from. */
  let readAtCheckpoint = 0;
  // After a handler failed in a window: batches commit one by one up to the failing event.
  let plainUntil: Position | undefined;

  /** Events applied to windows since the event loop last turned. */
  let appliedSinceTurn = 0;

  const commitWindow = async () => {
    const open = window!;
    window = undefined;
    await open.commit(windowApplied!);
    checkpoint = windowApplied;
    readAtCheckpoint = read;
    appliedSinceTurn = 0;
    await yieldToEventLoop();
  };
  const abortWindow = async () => {
    const open = window;
    window = undefined;
    await open?.abort();
  };
  /** Commits the batch (or applies it to the window); `final` commits the window too. */
  const flush = async (upTo?: Position, final = true) => {
    const last = batch.length ? batch[batch.length - 1]!.position : undefined;
    const target = upTo && isAfter(upTo, last) ? upTo : last;
    const events = batch;
    batch = [];
    if (plainUntil && last && isAfter(events[0]!.position, plainUntil)) plainUntil = undefined;
    if (options.window && !plainUntil && target && isAfter(target, windowApplied ?? checkpoint)) {
      if (!window) {
        window = await options.window.open();
        windowOpenedAt = Date.now();
        windowApplied = checkpoint;
      }
      try {
        if (events.length > 0) await window.apply(events);
      } catch (error) {
        await abortWindow();
        if (error instanceof HandlerFailure) {
          plainUntil = events[error.index]!.position;
          throw new ReadAgain();
        }
        throw error;
      }
      windowApplied = target;
      appliedSinceTurn += events.length;
      const age = Date.now() - windowOpenedAt;
      const { ms } = options.window;
      if (
        final ||
        options.interrupted() ||
        (age >= ms && (age >= ms * STRETCH_FACTOR || !window.stretch()))
      ) {
        await commitWindow();
      } else if (appliedSinceTurn >= batchSize) {
        // A turn of the event loop per batch's worth of events, as between commits.
        appliedSinceTurn = 0;
        await yieldToEventLoop();
      }
      return;
    }
    if (window) await commitWindow();
    if (!target || !isAfter(target, checkpoint)) return;
    await commit(events, target);
    checkpoint = target;
    readAtCheckpoint = read;
    await yieldToEventLoop();
  };
  const end = (stopped: CatchUpPass['stopped']): CatchUpPass => ({
    head,
    checkpoint,
    read,
    reachedHead: false,
    stopped,
  });

  let after = checkpoint;
  try {
    for (;;) {
      try {
        for await (const page of readAllInPages(
          eventStore,
          { ...(after ? { after } : {}), filter },
          batchSize,
        )) {
          // Whole pages before the head need no check per event.
          const crossesHead = comparePositions(page[page.length - 1]!.position, head) > 0;
          for (const event of page) {
            if (crossesHead && comparePositions(event.position, head) > 0) {
              await flush(head);
              return { head, checkpoint, read, reachedHead: true, stopped: undefined };
            }
            const selection = select ? select(event) : 'apply';
            if (selection === 'stop') {
              await flush();
              return end('selected');
            }
            read++;
            after = event.position;
            if (selection === 'skip') continue;
            batch.push(event);
            if (batch.length >= batchSize) {
              await flush(undefined, false);
              if (!window && options.interrupted()) return end('interrupted');
            }
          }
          // In a window, a page is applied as soon as it is read: its events are garbage before the
          // next page is decoded, rather than held for a batch that commits with the window anyway.
          if (options.window && !plainUntil && batch.length > 0) {
            await flush(undefined, false);
            if (!window && options.interrupted()) return end('interrupted');
          }
        }
        await flush(head);
        return { head, checkpoint, read, reachedHead: true, stopped: undefined };
      } catch (error) {
        if (error instanceof ReadAgain) {
          // The window rolled back: read its events again, to commit them batch by batch.
          batch = [];
          read = readAtCheckpoint;
          after = checkpoint;
          continue;
        }
        if (!(error instanceof EventDecodingError) || error.position === undefined) throw error;
        await flush();
        await options.undecodable(error as UndecodableEvent);
        checkpoint = after = error.position;
        readAtCheckpoint = read;
        if (options.interrupted()) return end('interrupted');
      }
    }
  } finally {
    // Only an error leaves a window open (every return commits it first): nothing of it is kept.
    if (window) await abortWindow();
  }
}

/** A window rolled back after a handler failed: its events are read again (see catchUpToHead). */
class ReadAgain extends Error {}

/** Lets timers and I/O callbacks run before the next batch (a resolved promise would not). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
