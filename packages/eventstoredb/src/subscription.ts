import {
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
  type EventFilter,
  type Position,
  type RecordedEvent,
  type RewindError,
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
  readonly mapError: (error: unknown) => RewindError;
  readonly reconnect: ReconnectOptions | undefined;
  readonly onClose: () => void;
}

/** Buffered messages above which the client stream is paused until the consumer catches up. */
const HIGH_WATER = 1000;

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

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly options: SubscribeToAllOptions,
    private readonly hooks: SubscriptionHooks,
  ) {
    this.last = options.after;
    this.connect();
  }

  private connect(): void {
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
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connect();
    }, delay);
  }

  private takeEvent(event: RecordedEvent): void {
    // After a resubscription the server may resend what was already taken in: drop it.
    if (this.last && comparePositions(event.position, this.last) <= 0) return;
    this.last = event.position;
    if (isSystemEvent(event) || !matchesFilter(event, this.options.filter)) return;
    this.push({ type: 'event', event });
  }

  private takeCheckpoint(position: Position): void {
    if (this.last && comparePositions(position, this.last) <= 0) return;
    this.last = position;
    this.push({ type: 'checkpoint', position });
  }

  private push(message: SubscriptionMessage): void {
    if (this.closed) return;
    this.queue.push(message);
    if (this.queue.length >= HIGH_WATER) this.current?.pause();
    this.wake();
  }

  private fail(error: RewindError): void {
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
