import {
  BACKWARDS,
  END,
  eventTypeFilter,
  excludeSystemEvents,
  START,
  streamNameFilter,
  type AllStreamSubscription,
  type EventStoreDBClient,
  type Filter,
} from '@eventstore/db-client';
import {
  comparePositions,
  matchesFilter,
  serializePosition,
  type EventFilter,
  type Position,
  type RecordedEvent,
  type RewindError,
  type RewindLogger,
  type SubscribeToAllOptions,
  type Subscription,
  type SubscriptionMessage,
} from '@rewind/core';
import { isSystemEvent, toRecordedEvent } from './eventMapping';
import { isTransient } from './mapEventStoreDBError';

/** How a dropped subscription reconnects: exponential backoff between attempts. */
export interface ReconnectOptions {
  /** First delay, ms (default 50). */
  readonly initialDelayMs?: number;
  /** Longest delay, ms (default 5000). */
  readonly maxDelayMs?: number;
  /** Attempts in a row without success before the subscription fails (default 30). */
  readonly maxAttempts?: number;
}

interface SubscriptionHooks {
  /** Resolves when the server is known to be supported (see `EventStoreDBEventStore.serverVersion`). */
  readonly ready: () => Promise<unknown>;
  readonly mapError: (error: unknown) => RewindError;
  readonly reconnect: ReconnectOptions | undefined;
  readonly onClose: () => void;
  /** Where drops, resumptions and failures are logged. */
  readonly logger: RewindLogger;
}

/** Buffered messages above which the client stream is paused until the consumer catches up. */
const HIGH_WATER = 1000;

/** The largest position a log can hold: positions are signed 64-bit offsets on the server. */
const MAX_POSITION = 2n ** 63n - 1n;

/** Escapes a string for use in a server-side (.NET) regular expression. */
function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|#\s-]/g, '\\$&');
}

/**
 * The server-side filter for Rewind's filter: one of event types or stream prefixes can run on the
 * server; both together (an OR across fields) or none run as "no system events" on the server and
 * exactly in the adapter. Checkpoints come every 32 events the server looked at.
 */
export function serverFilter(
  filter: EventFilter | undefined,
  checkpointReached: Filter['checkpointReached'],
): Filter {
  const types = filter?.eventTypes ?? [];
  const prefixes = filter?.streamPrefixes ?? [];
  if (types.length > 0 && prefixes.length === 0) {
    return eventTypeFilter({
      regex: `^(?:${types.map(escapeRegex).join('|')})$`,
      checkpointInterval: 1,
      checkpointReached,
    });
  }
  if (prefixes.length > 0 && types.length === 0) {
    return streamNameFilter({ prefixes: [...prefixes], checkpointInterval: 1, checkpointReached });
  }
  return excludeSystemEvents({ checkpointInterval: 1, checkpointReached });
}

/**
 * A catch-up subscription to `$all` that survives dropped connections: it resubscribes with backoff from
 * the last position it has taken in (event or checkpoint), and drops anything at or before it, so the
 * consumer sees no gap and no duplicate. Messages keep the server's order.
 *
 * Checkpoints are trusted only when they name a place the log has reached: one above 2^63−1 (KDB-710:
 * servers 24.2–24.10.4 send the log's "End", 2^64−1, when a filtered subscription from the start goes
 * live before anything matched) or beyond the newest record (KDB-744, and the end-of-catch-up
 * checkpoint some versions send at the position the next record will take) is dropped. Stored, such a
 * checkpoint would make the next events look "already seen" and the projection silently dead.
 */
export class ResubscribingSubscription implements Subscription {
  private readonly queue: SubscriptionMessage[] = [];
  private waiter: (() => void) | undefined;
  private last: Position | undefined;
  private failure: RewindError | undefined;
  private closed = false;
  private current: AllStreamSubscription | undefined;
  private attempts = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  /** The newest position known to hold a record (events seen, or the log's last record when read). */
  private knownHead: Position | undefined;
  /** Checkpoints dropped as untrustworthy (see the class), for tests and diagnostics. */
  droppedCheckpoints = 0;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly options: SubscribeToAllOptions,
    private readonly hooks: SubscriptionHooks,
  ) {
    this.last = options.after;
    this.knownHead = options.after;
    this.connect();
  }

  /** Subscribes once the server is known to be supported (a refused server fails the subscription). */
  private connect(): void {
    if (this.closed) return;
    this.hooks.ready().then(
      () => this.subscribe(),
      (error: unknown) => {
        const mapped = this.hooks.mapError(error);
        if (isTransient(mapped)) this.scheduleReconnect(mapped);
        else this.fail(mapped);
      },
    );
  }

  private subscribe(): void {
    if (this.closed) return;
    let seen = 0;
    // Markers (checkpoint, caught-up) arrive beside the event stream: hold each until the events the
    // client had already buffered before it have been taken in, so the order is the server's.
    const markers: Array<{ after: number; emit: () => void }> = [];
    const mark = (emit: () => void) => {
      const after = seen + subscription.readableLength;
      if (after <= seen) emit();
      else markers.push({ after, emit });
    };
    const flushMarkers = () => {
      while (markers.length > 0 && markers[0]!.after <= seen) markers.shift()!.emit();
    };
    const filter = serverFilter(this.options.filter, async (_sub, position) => {
      mark(() => this.takeCheckpoint(position));
    });
    const subscription: AllStreamSubscription = this.client.subscribeToAll({
      fromPosition: this.last ?? START,
      filter,
    });
    this.current = subscription;
    subscription.on('data', (resolved) => {
      seen++;
      try {
        const event = toRecordedEvent(resolved);
        if (event) this.takeEvent(event);
      } catch (error) {
        this.fail(this.hooks.mapError(error));
      }
      flushMarkers();
    });
    subscription.on('caughtUp', () => mark(() => this.push({ type: 'caught-up', position: this.last })));
    subscription.on('confirmation', () => {
      if (this.attempts > 0) {
        this.hooks.logger.info(
          { attempts: this.attempts, ...(this.last ? { after: serializePosition(this.last) } : {}) },
          'EventStoreDB subscription resumed',
        );
      }
      this.attempts = 0;
    });
    const dropped = (error: unknown) => {
      if (this.current !== subscription || this.closed) return;
      this.current = undefined;
      subscription.removeAllListeners('data');
      void subscription.unsubscribe().catch(() => undefined);
      const mapped = this.hooks.mapError(error ?? new Error('the server ended the subscription'));
      if (!isTransient(mapped)) return this.fail(mapped);
      this.scheduleReconnect(mapped);
    };
    subscription.on('error', dropped);
    subscription.on('end', () => dropped(undefined));
  }

  private scheduleReconnect(error: RewindError): void {
    const { initialDelayMs = 50, maxDelayMs = 5000, maxAttempts = 30 } = this.hooks.reconnect ?? {};
    if (++this.attempts > maxAttempts) return this.fail(error);
    const delay = Math.min(maxDelayMs, initialDelayMs * 2 ** (this.attempts - 1));
    this.hooks.logger.warn(
      { attempt: this.attempts, retryInMs: delay, err: error },
      'EventStoreDB subscription dropped; resubscribing',
    );
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connect();
    }, delay);
  }

  private takeEvent(event: RecordedEvent): void {
    // After a resubscription the server may resend what was already taken in: drop it.
    if (this.last && comparePositions(event.position, this.last) <= 0) return;
    this.last = event.position;
    if (!this.knownHead || comparePositions(event.position, this.knownHead) > 0)
      this.knownHead = event.position;
    if (isSystemEvent(event) || !matchesFilter(event, this.options.filter)) return;
    this.push({ type: 'event', event });
  }

  private takeCheckpoint(position: Position): void {
    if (position.commit > MAX_POSITION || position.prepare > MAX_POSITION) {
      this.droppedCheckpoints++;
      return;
    }
    if (this.last && comparePositions(position, this.last) <= 0) return;
    // Taken in (as `last`) only once trusted: see `trusted`, called in order by the consumer.
    this.push({ type: 'checkpoint', position });
  }

  /**
   * Whether a checkpoint names a place the log has reached: at or before the newest record known,
   * reading the log's last record (one read, system records included) when it is beyond that.
   */
  private async trusted(position: Position): Promise<boolean> {
    if (this.knownHead && comparePositions(position, this.knownHead) <= 0) return true;
    const reader = this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 });
    try {
      for await (const resolved of reader) {
        const head = resolved.event?.position;
        if (head && (!this.knownHead || comparePositions(head, this.knownHead) > 0)) {
          this.knownHead = { commit: head.commit, prepare: head.prepare };
        }
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
    return this.knownHead !== undefined && comparePositions(position, this.knownHead) <= 0;
  }

  private push(message: SubscriptionMessage): void {
    if (this.closed) return;
    this.queue.push(message);
    if (this.queue.length >= HIGH_WATER) this.current?.pause();
    this.wake();
  }

  private fail(error: RewindError): void {
    if (!this.closed) this.hooks.logger.error({ err: error }, 'EventStoreDB subscription failed');
    this.failure = error;
    this.wake();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<SubscriptionMessage> {
    for (;;) {
      if (this.closed && !this.failure) return;
      const next = this.queue.shift();
      if (next) {
        if (this.queue.length < HIGH_WATER / 2 && this.current?.isPaused()) this.current.resume();
        if (next.type === 'checkpoint') {
          // Passed already by an event taken in since (nothing to add), or not a place in the log.
          if (this.last && comparePositions(next.position, this.last) <= 0) continue;
          let trusted: boolean;
          try {
            trusted = await this.trusted(next.position);
          } catch (error) {
            // Unverifiable now: skip it (a later checkpoint or event carries the position on).
            this.hooks.mapError(error);
            continue;
          }
          if (!trusted) {
            this.droppedCheckpoints++;
            continue;
          }
          // Events taken in while it was checked may have passed it: `last` never moves back.
          if (this.last && comparePositions(next.position, this.last) <= 0) continue;
          this.last = next.position;
        }
        yield next;
        continue;
      }
      if (this.failure) {
        const failure = this.failure;
        this.failure = undefined;
        await this.close();
        throw failure;
      }
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const current = this.current;
    this.current = undefined;
    this.hooks.onClose();
    this.wake();
    if (current) await current.unsubscribe().catch(() => undefined);
  }
}
