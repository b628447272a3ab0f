import { randomUUID } from 'node:crypto';
import { BACKWARDS, END, EventStoreDBClient, FORWARDS, START } from '@eventstore/db-client';
import {
  comparePositions,
  ConfigurationError,
  matchesFilter,
  silentLogger,
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
  type RewindLogger,
  type StreamInfo,
  type SubscribeToAllOptions,
  type Subscription,
} from '@rewind/core';
import { isSystemEvent, toClientExpectedRevision, toJsonEvent, toRecordedEvent } from './eventMapping';
import { mapEventStoreDBError, type EventStoreDBErrorContext } from './mapEventStoreDBError';
import { MINIMUM_SERVER_VERSION, serverVersionOf, unsupportedServerVersion } from './serverVersion';
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
  /**
   * Where the store logs subscriptions that dropped, resumed or failed: a pino logger or anything
   * with its methods (`RewindLogger`). Default: silent.
   */
  readonly logger?: RewindLogger;
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
  /** The server's version, once checked (see {@link serverVersion}). */
  private checkedVersion: Promise<string> | undefined;

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
    await this.serverVersion();
    // Ids are fixed here, so that an append whose outcome is lost can be retried with the same ones.
    const withIds = events.map((event) => ({ ...event, id: event.id ?? randomUUID() }));
    try {
      const result = await this.client.appendToStream(streamId, withIds.map(toJsonEvent), {
        expectedRevision: toClientExpectedRevision(expectedRevision),
      });
      if (!result.position) throw new Error('the server returned no position for a successful append');
      return {
        nextExpectedRevision: result.nextExpectedRevision,
        position: { commit: result.position.commit, prepare: result.position.prepare },
      };
    } catch (error) {
      throw this.mapError(error, {
        operation: `append to "${streamId}"`,
        streamId,
        expectedRevision,
        eventIds: withIds.map((event) => event.id),
      });
    }
  }

  async *readStream(streamId: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    validateStreamName(streamId, 'read');
    await this.serverVersion();
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
    await this.serverVersion();
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
      ready: () => this.serverVersion(),
      mapError: (error) => this.mapError(error, { operation: 'subscribe to $all' }),
      reconnect: this.options.reconnect,
      logger: this.options.logger ?? silentLogger,
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

  /**
   * The server's version (asked once, from its ServerFeatures service), checked against the floor
   * Rewind supports: every operation waits for it, so an unsupported server fails at the first one.
   * @throws ConfigurationError naming the version and the floor, when the server is older than
   * {@link MINIMUM_SERVER_VERSION}.
   * @throws StoreUnavailableError when the server cannot be reached (asked again next time).
   */
  serverVersion(): Promise<string> {
    this.checkedVersion ??= serverVersionOf(this.client).then(
      (version) => {
        const problem = unsupportedServerVersion(version);
        if (problem) {
          throw new ConfigurationError(
            `EventStoreDB at ${this.endpoint} is not supported: ${problem}; Rewind needs ${MINIMUM_SERVER_VERSION} ` +
              'or later (older servers never tell a subscription it has caught up, so projections could not ' +
              'follow the log live). Upgrade the server: 24.10.5 or later, or 25.0.1 or later, is recommended.',
          );
        }
        return version;
      },
      (error: unknown) => {
        this.checkedVersion = undefined;
        throw this.mapError(error, { operation: 'ask the server for its version' });
      },
    );
    return this.checkedVersion;
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
