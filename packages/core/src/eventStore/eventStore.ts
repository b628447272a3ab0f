import type { Position } from './position';

/**
 * What an append expects of the stream: it must not exist, it must exist, anything goes, or it must be
 * exactly at this revision (the revision of its last event).
 */
export type ExpectedRevision = 'no_stream' | 'stream_exists' | 'any' | bigint;

/** Metadata stored with every event. Rewind writes the first four; keys of your own may follow. */
export interface StoredEventMetadata {
  /** Schema version of the payload, as declared by `@DomainEvent(type, { version })`. */
  readonly schemaVersion: number;
  /** Id shared by everything one request caused. */
  readonly correlationId: string;
  /** Id of the command or event that directly caused this event. */
  readonly causationId: string;
  /** Business time, ISO-8601: when it happened in the domain (recorded time is the store's). */
  readonly occurredAt: string;
  /** Where the payload holds non-JSON values (JSON pointer → kind), so they can be revived exactly. */
  readonly $types?: Readonly<Record<string, 'date' | 'bigint'>>;
  /** W3C trace context of the span that appended the event, when it was appended inside a trace. */
  readonly $traceparent?: string;
  /** The W3C `tracestate` that goes with `$traceparent`, when there is one. */
  readonly $tracestate?: string;
  readonly [key: string]: unknown;
}

/** An event on its way into the store: already serialized to JSON-safe data. */
export interface EventToAppend {
  /** A UUID; generated when omitted. */
  readonly id?: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: StoredEventMetadata;
}

/** An event as the store holds it. */
export interface RecordedEvent {
  readonly id: string;
  readonly streamId: string;
  /** 0-based, dense within its stream. */
  readonly revision: bigint;
  /** Its place in the global log. */
  readonly position: Position;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: StoredEventMetadata;
  /** When the store recorded it. */
  readonly recordedAt: Date;
}

/** Options for {@link EventStore.append}. */
export interface AppendOptions {
  /** Defaults to `'any'` when left out (`null` is not a default: it is refused). */
  readonly expectedRevision?: ExpectedRevision;
}

/** What an append produced. */
export interface AppendResult {
  /** The revision of the stream's last event after the append: pass it as the next expected revision. */
  readonly nextExpectedRevision: bigint;
  /** The global position of the last event appended. */
  readonly position: Position;
}

/** Options for {@link EventStore.readStream}. Bounds are inclusive. */
export interface ReadStreamOptions {
  /** Defaults to `'forwards'`. */
  readonly direction?: 'forwards' | 'backwards';
  /** First revision to read (inclusive). Defaults to the start (forwards) or the end (backwards). */
  readonly fromRevision?: bigint;
  /** Last revision to read (inclusive) in the direction of travel. */
  readonly toRevision?: bigint;
  /** Only events recorded at or before this moment. */
  readonly until?: Date;
  /** At most this many events. */
  readonly maxCount?: number;
}

/** Selects events by type and/or stream. Matching either list is enough when both are given. */
export interface EventFilter {
  /** Exact event type names. */
  readonly eventTypes?: readonly string[];
  /** Stream id prefixes, e.g. `'order-'`. */
  readonly streamPrefixes?: readonly string[];
}

/** Options for {@link EventStore.readAll}. Bounds are exclusive of the given position. */
export interface ReadAllOptions {
  /** Defaults to `'forwards'`. */
  readonly direction?: 'forwards' | 'backwards';
  /** Forwards: start strictly after this position (default: the start of the log). */
  readonly after?: Position;
  /** Backwards: start strictly before this position (default: the end of the log). */
  readonly before?: Position;
  readonly filter?: EventFilter;
  readonly maxCount?: number;
}

/** Options for {@link EventStore.subscribeToAll}. */
export interface SubscribeToAllOptions {
  /** Deliver events strictly after this position; from the start of the log when omitted. */
  readonly after?: Position;
  /** Server-side filter: only matching events are delivered; checkpoints still advance. */
  readonly filter?: EventFilter;
}

/**
 * What a subscription delivers, in log order:
 * - `event`: the next matching event;
 * - `checkpoint`: everything up to `position` has been seen (events in between did not match);
 * - `caught-up`: the historical part is done, live events follow (sent once, again after a reconnect).
 */
export type SubscriptionMessage =
  | { readonly type: 'event'; readonly event: RecordedEvent }
  | { readonly type: 'checkpoint'; readonly position: Position }
  | { readonly type: 'caught-up'; readonly position: Position | undefined };

/** A catch-up subscription: iterate it to receive messages; `close()` ends the iteration. */
export interface Subscription extends AsyncIterable<SubscriptionMessage> {
  close(): Promise<void>;
}

/** A stream and its last revision, as listed by {@link EventStore.listStreams}. */
export interface StreamInfo {
  readonly streamId: string;
  readonly revision: bigint;
}

/**
 * The port every event store implements: in-memory, SQLite, EventStoreDB. Each passes the same
 * contract suite (`describeEventStoreContract` in `@rewind/testing`).
 *
 * Stream names follow one rule in every store (`validateStreamName`): a non-empty string of
 * well-formed Unicode without control characters; names starting with `$` are the store's own and
 * are never appended to. Any other name is kept exactly, e.g. `order-7f3c` or `주문-42`.
 * Implementations check appends with `validateAppend` and reads with `validateStreamName`.
 */
export interface EventStore {
  /**
   * Appends events to one stream atomically, guarded by the expected revision. Idempotent: when the
   * events' ids already stand where the expected revision says (for `'any'`/`'stream_exists'`: at the
   * stream's end), nothing is written and the result is the first append's — so an append whose
   * outcome was lost can be retried with the same ids.
   * @throws ConcurrencyError when the stream is not where `expectedRevision` says.
   * @throws AppendOutcomeUnknownError when the store may or may not have written it (a network store's
   * answer was lost); retry with the same ids and expected revision.
   * @throws StreamDeletedError when the stream was deleted for good (an EventStoreDB tombstone), under
   * any expected revision. A soft-deleted stream (EventStoreDB) counts as not existing: `'no_stream'`
   * and `'any'` write it again, its revisions continuing where they were.
   * @throws ValidationError for an invalid stream name, an empty event list or an expected revision
   * that is none of `'no_stream'`, `'stream_exists'`, `'any'` or a bigint from `0n` (e.g. `null`, `-1n`,
   * the number `3`); never retried, since it can never succeed.
   */
  append(streamId: string, events: readonly EventToAppend[], options?: AppendOptions): Promise<AppendResult>;

  /**
   * Reads one stream. Iterating a stream that does not exist (or was soft-deleted) throws
   * `StreamNotFoundError`, one deleted for good throws `StreamDeletedError`; an invalid stream name
   * throws `ValidationError`.
   */
  readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent>;

  /**
   * Optional fast path: exactly the events {@link readStream} returns for the same stream and options,
   * in the same order and with the same errors, a page at a time (never an empty page). Loading an
   * aggregate then pays one promise per page instead of one per event. Use {@link readStreamInPages},
   * which falls back to grouping `readStream` for stores without it.
   */
  readStreamPages?(streamId: string, options?: ReadStreamOptions): AsyncIterable<readonly RecordedEvent[]>;

  /** Reads the global log, in order, leaving out system events. */
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;

  /**
   * Optional fast path: exactly the events {@link readAll} returns for the same options, in the same
   * order, a page at a time (never an empty page). Consumers that work in batches (rebuilds) then pay
   * one promise per page instead of one per event. Use {@link readAllInPages}, which falls back to
   * grouping `readAll` for stores without it.
   */
  readAllPages?(options?: ReadAllOptions): AsyncIterable<readonly RecordedEvent[]>;

  /** Catches up from a position, then delivers live events as they are appended. */
  subscribeToAll(options?: SubscribeToAllOptions): Subscription;

  /** The position of the newest event in the global log, or undefined when the log is empty. */
  headPosition(): Promise<Position | undefined>;

  /** Lists streams (optionally by id prefix) with their last revision. */
  listStreams(options?: { prefix?: string; limit?: number }): AsyncIterable<StreamInfo>;

  /**
   * Counts events after a position (matching a filter), for lag reporting. Optional: stores whose
   * positions are sparse (EventStoreDB) cannot count cheaply and leave it out.
   */
  countEvents?(options?: { after?: Position; filter?: EventFilter }): Promise<number>;

  /** Releases connections and files. */
  close(): Promise<void>;
}

/**
 * Reads the global log a page at a time: through {@link EventStore.readAllPages} when the store has
 * it, otherwise by grouping {@link EventStore.readAll} into pages of `pageSize` events.
 */
export async function* readAllInPages(
  store: EventStore,
  options: ReadAllOptions = {},
  pageSize = 1000,
): AsyncIterable<readonly RecordedEvent[]> {
  if (store.readAllPages) {
    yield* store.readAllPages(options);
    return;
  }
  let page: RecordedEvent[] = [];
  for await (const event of store.readAll(options)) {
    page.push(event);
    if (page.length >= pageSize) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}

/**
 * Reads one stream a page at a time: through {@link EventStore.readStreamPages} when the store has it,
 * otherwise by grouping {@link EventStore.readStream} into pages of `pageSize` events.
 * @throws StreamNotFoundError and the other errors of {@link EventStore.readStream}, on iteration.
 */
export async function* readStreamInPages(
  store: EventStore,
  streamId: string,
  options: ReadStreamOptions = {},
  pageSize = 1000,
): AsyncIterable<readonly RecordedEvent[]> {
  if (store.readStreamPages) {
    yield* store.readStreamPages(streamId, options);
    return;
  }
  let page: RecordedEvent[] = [];
  for await (const event of store.readStream(streamId, options)) {
    page.push(event);
    if (page.length >= pageSize) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}
