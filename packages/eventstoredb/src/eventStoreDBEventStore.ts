import { BACKWARDS, END, EventStoreDBClient, FORWARDS, START } from '@eventstore/db-client';
import {
  comparePositions,
  ConfigurationError,
  matchesFilter,
  validateAppend,
  validateStreamName,
  type AppendOptions,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  type Position,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type StreamInfo,
  type SubscribeToAllOptions,
  type Subscription,
} from '@rewind/core';
import { isSystemEvent, toClientExpectedRevision, toJsonEvent, toRecordedEvent } from './eventMapping';
import { mapEventStoreDBError, type EventStoreDBErrorContext } from './mapEventStoreDBError';
import { ResubscribingSubscription, type ReconnectOptions } from './subscription';

/** Options for {@link EventStoreDBEventStore}. */
export interface EventStoreDBEventStoreOptions {
  /**
   * `esdb://host:2113?tls=false`, `esdb+discover://user:pass@a:2113,b:2113,c:2113`… TLS settings
   * (`tls`, `tlsCAFile`, `tlsVerifyCert`) and credentials (`user:password@`) pass through to the client.
   */
  readonly connectionString?: string;
  /** A client you built yourself (e.g. with channel credentials); Rewind does not dispose it. */
  readonly client?: EventStoreDBClient;
  /** How a dropped subscription reconnects. */
  readonly reconnect?: ReconnectOptions;
}

/**
 * Rewind's EventStore on EventStoreDB, through the pinned `@eventstore/db-client`. Positions are
 * EventStoreDB's own `{commit, prepare}` offsets, passed through and never computed; system events are
 * left out of every read; every vendor error comes out as a RewindError (see `mapEventStoreDBError`).
 *
 * @example
 * const store = new EventStoreDBEventStore({ connectionString: 'esdb://localhost:2113?tls=false' });
 * await store.append('order-1', [event], { expectedRevision: 'no_stream' });
 * await store.close();
 */
export class EventStoreDBEventStore implements EventStore {
  /** The underlying client, for what Rewind does not cover. */
  readonly client: EventStoreDBClient;
  /** Host(s) of the connection string, named in errors. */
  readonly endpoint: string;
  private readonly ownsClient: boolean;
  private readonly subscriptions = new Set<ResubscribingSubscription>();

  /** @throws ConfigurationError when neither a connection string nor a client is given. */
  constructor(private readonly options: EventStoreDBEventStoreOptions) {
    if (options.client) {
      this.client = options.client;
      this.ownsClient = false;
      this.endpoint = options.connectionString
        ? endpointOf(options.connectionString)
        : 'the configured client';
    } else if (options.connectionString) {
      this.client = EventStoreDBClient.connectionString(options.connectionString);
      this.ownsClient = true;
      this.endpoint = endpointOf(options.connectionString);
    } else {
      throw new ConfigurationError(
        'EventStoreDBEventStore needs a connectionString (e.g. "esdb://localhost:2113?tls=false") or a client ' +
          'built with @eventstore/db-client; it got neither. Pass one of them.',
      );
    }
  }

  async append(
    streamId: string,
    events: readonly EventToAppend[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    const expectedRevision = validateAppend(streamId, events, options);
    try {
      const result = await this.client.appendToStream(streamId, events.map(toJsonEvent), {
        expectedRevision: toClientExpectedRevision(expectedRevision),
      });
      if (!result.position) throw new Error('the server returned no position for a successful append');
      return {
        nextExpectedRevision: result.nextExpectedRevision,
        position: { commit: result.position.commit, prepare: result.position.prepare },
      };
    } catch (error) {
      throw this.mapError(error, { operation: `append to "${streamId}"`, streamId, expectedRevision });
    }
  }

  async *readStream(streamId: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    validateStreamName(streamId, 'read');
    const backwards = options.direction === 'backwards';
    const limit = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    if (limit <= 0) return;
    let maxCount = limit;
    const from = options.fromRevision;
    const to = options.toRevision;
    // Bounds by revision can shorten the server read; bounds by time cannot (they are checked here).
    if (!backwards && to !== undefined && options.until === undefined) {
      const span = to - (from ?? 0n) + 1n;
      if (span <= 0n) return;
      if (span < BigInt(maxCount)) maxCount = Number(span);
    }
    const reader = this.client.readStream(streamId, {
      direction: backwards ? BACKWARDS : FORWARDS,
      fromRevision: from ?? (backwards ? END : START),
      ...(options.until === undefined ? { maxCount } : {}),
    });
    const context = { operation: `read stream "${streamId}"`, streamId };
    let sent = 0;
    try {
      for await (const resolved of reader) {
        const event = toRecordedEvent(resolved);
        if (!event) continue;
        if (backwards) {
          if (to !== undefined && event.revision < to) break;
          if (options.until && event.recordedAt > options.until) continue;
        } else {
          if (to !== undefined && event.revision > to) break;
          if (options.until && event.recordedAt > options.until) break;
        }
        yield event;
        if (++sent >= limit) break;
      }
    } catch (error) {
      throw this.mapError(error, context);
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    const backwards = options.direction === 'backwards';
    const limit = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    if (limit <= 0) return;
    const bound = backwards ? options.before : options.after;
    const reader = this.client.readAll({
      direction: backwards ? BACKWARDS : FORWARDS,
      fromPosition: bound ?? (backwards ? END : START),
    });
    let sent = 0;
    try {
      for await (const resolved of reader) {
        const event = toRecordedEvent(resolved);
        if (!event || isSystemEvent(event)) continue;
        // EventStoreDB reads forwards from a position inclusively; Rewind's bounds are exclusive.
        if (bound && comparePositions(event.position, bound) === 0) continue;
        if (!matchesFilter(event, options.filter)) continue;
        yield event;
        if (++sent >= limit) break;
      }
    } catch (error) {
      throw this.mapError(error, { operation: 'read $all' });
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): Subscription {
    const subscription = new ResubscribingSubscription(this.client, options, {
      mapError: (error) => this.mapError(error, { operation: 'subscribe to $all' }),
      reconnect: this.options.reconnect,
      onClose: () => this.subscriptions.delete(subscription),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<Position | undefined> {
    for await (const event of this.readAll({ direction: 'backwards', maxCount: 1 })) return event.position;
    return undefined;
  }

  /**
   * Lists streams by scanning `$all` from the start: O(events in the log), one pass, nothing kept but a
   * map of stream → last revision. Meant for tooling (`rewind streams list`), not for hot paths.
   */
  async *listStreams(options: { prefix?: string; limit?: number } = {}): AsyncIterable<StreamInfo> {
    const last = new Map<string, bigint>();
    for await (const event of this.readAll()) {
      if (options.prefix && !event.streamId.startsWith(options.prefix)) continue;
      last.set(event.streamId, event.revision);
    }
    let count = 0;
    for (const [streamId, revision] of last) {
      if (options.limit !== undefined && count++ >= options.limit) return;
      yield { streamId, revision };
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    if (this.ownsClient) await this.client.dispose();
  }

  private mapError(error: unknown, context: Omit<EventStoreDBErrorContext, 'endpoint'>) {
    return mapEventStoreDBError(error, { ...context, endpoint: this.endpoint });
  }
}

/** The host list of a connection string, without scheme, credentials or query. */
export function endpointOf(connectionString: string): string {
  const match = /^[a-z+]+:\/\/(?:[^@/]*@)?([^/?]*)/i.exec(connectionString.trim());
  return match?.[1] || connectionString;
}
