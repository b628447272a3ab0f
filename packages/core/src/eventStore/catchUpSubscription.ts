import type { EventDecodingError } from '../errors/errors';
import type { RecordedEvent, Subscription, SubscriptionMessage } from './eventStore';
import { isAfter, type Position } from './position';

/** One page of the log read by a {@link catchUpSubscription}. */
export interface LogPage {
  /** Matching events after the requested position, in order. */
  readonly events: readonly RecordedEvent[];
  /** The last position examined (matching or not); drives checkpoints for sparse filters. */
  readonly scannedTo: Position | undefined;
  /** True when the page reached the head of the log. */
  readonly reachedHead: boolean;
  /**
   * An event after `events` that cannot be decoded: the subscription delivers `events`, then throws
   * this (its `position` tells a consumer where to subscribe again to go on past it).
   */
  readonly failure?: EventDecodingError;
}

/** How a store feeds a {@link catchUpSubscription}. */
export interface CatchUpSource {
  /** Reads the next page strictly after `after` (undefined = from the start). */
  readPage(after: Position | undefined): Promise<LogPage> | LogPage;
  /**
   * Resolves when new events may be available (an append in this process, a poll tick, ...), or when
   * `signal` aborts. Must not busy-loop.
   */
  waitForAppend(after: Position | undefined, signal: AbortSignal): Promise<void>;
  /**
   * Optional: whether a failed `readPage` is worth reading again (the server is restarting...). Such
   * failures are retried with a backoff from 50 ms to 2 s, and the subscription says `caught-up` again
   * once it is back; any other failure ends the subscription. Default: none is retried.
   */
  retryable?(error: unknown): boolean;
  /** Optional: the store was closed; the subscription then ends, and failures are not retried. */
  closed?(): boolean;
}

/**
 * A pull-based catch-up subscription for stores that can page through their own log (in-memory,
 * SQLite): reads pages until the head, says `caught-up` once, then waits for appends. Back-pressure
 * comes free: nothing is read until the consumer asks for the next message.
 */
export function catchUpSubscription(source: CatchUpSource, after: Position | undefined): Subscription {
  const abort = new AbortController();
  let position = after;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        abort.signal.removeEventListener('abort', done);
        resolve();
      }
      abort.signal.addEventListener('abort', done, { once: true });
    });

  async function* messages(): AsyncGenerator<SubscriptionMessage> {
    let caughtUp = false;
    let backoff = 50;
    while (!abort.signal.aborted && !source.closed?.()) {
      let page: LogPage;
      try {
        page = await source.readPage(position);
        backoff = 50;
      } catch (error) {
        if (!source.retryable?.(error) || source.closed?.()) throw error;
        caughtUp = false;
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 2000);
        continue;
      }
      for (const event of page.events) {
        if (abort.signal.aborted) return;
        position = event.position;
        yield { type: 'event', event };
      }
      if (page.failure) throw page.failure;
      if (page.scannedTo && isAfter(page.scannedTo, position)) {
        position = page.scannedTo;
        yield { type: 'checkpoint', position };
      }
      if (page.reachedHead) {
        if (!caughtUp) {
          caughtUp = true;
          yield { type: 'caught-up', position };
        }
        await source.waitForAppend(position, abort.signal);
      }
    }
  }

  const iterator = messages();
  return {
    [Symbol.asyncIterator]: () => iterator,
    async close() {
      abort.abort();
      await iterator.return(undefined);
    },
  };
}

/**
 * Wakes waiters when something changes. `wait` resolves on the next `notify`, on abort, or after
 * `maxWaitMs` (a safety net for changes made by other processes).
 */
export class AppendNotifier {
  private waiters = new Set<() => void>();

  /** Wakes every current waiter. */
  notify(): void {
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const wake of waiters) wake();
  }

  /** Waits for the next notification, an abort, or the timeout. */
  wait(signal: AbortSignal, maxWaitMs?: number): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        if (timer) clearTimeout(timer);
        resolve();
      };
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
      if (maxWaitMs !== undefined) {
        timer = setTimeout(done, maxWaitMs);
        timer.unref();
      }
    });
  }
}
