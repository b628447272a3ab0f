import type {
  AppendOptions,
  AppendResult,
  EventStore,
  EventToAppend,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamInfo,
  Subscription,
  SubscribeToAllOptions,
  EventFilter,
} from '../eventStore/eventStore';
import type { Position } from '../eventStore/position';
import { StreamNotFoundError } from '../errors/errors';
import {
  currentTraceMetadata,
  endSpan,
  inSpan,
  meterInstruments,
  startSpan,
  tracingActive,
  type TelemetrySpan,
} from './otel';
import {
  AttributeNames as A,
  MESSAGING_SYSTEM,
  MetricNames,
  SpanNames,
  TRACEPARENT_KEY,
} from './telemetryNames';

const appended = meterInstruments((meter) =>
  meter.createCounter(MetricNames.eventsAppended, {
    unit: '{event}',
    description: 'Events appended to the event store by this process',
  }),
);

/** The category of a stream: what precedes its first `-` (`order-42` → `order`). */
export function streamCategory(streamId: string): string {
  const dash = streamId.indexOf('-');
  return dash > 0 ? streamId.slice(0, dash) : streamId;
}

/**
 * The event store as the repository sees it: every append and stream read in a span
 * (`rewind.event_store.append`, `rewind.event_store.read_stream`), appends counted
 * (`rewind.events.appended`), and the W3C trace context of the append written into each event's
 * metadata (`$traceparent`, `$tracestate`) so that projections and reactors can link to it. Without a
 * registered OpenTelemetry SDK it passes every call straight through.
 *
 * @example
 * const store = instrumentEventStore(new SqliteEventStore({ path }));
 */
export function instrumentEventStore(store: EventStore): EventStore {
  const instrumented = new InstrumentedEventStore(store);
  wrapped.set(instrumented, store);
  return instrumented;
}

const wrapped = new WeakMap<EventStore, EventStore>();

/**
 * The store an {@link instrumentEventStore} wrapper calls (the store itself when it is not one): for
 * code that needs the concrete store, e.g. the PostgreSQL inline projections and snapshots.
 */
export function unwrapEventStore(store: EventStore): EventStore {
  let inner = store;
  for (let next = wrapped.get(inner); next; next = wrapped.get(inner)) inner = next;
  return inner;
}

class InstrumentedEventStore implements EventStore {
  readonly readAllPages?: (options?: ReadAllOptions) => AsyncIterable<readonly RecordedEvent[]>;
  readonly countEvents?: (options?: { after?: Position; filter?: EventFilter }) => Promise<number>;
  readonly readStreamPages?: (
    streamId: string,
    options?: ReadStreamOptions,
  ) => AsyncIterable<readonly RecordedEvent[]>;

  constructor(private readonly inner: EventStore) {
    if (inner.readStreamPages) {
      this.readStreamPages = (streamId, options) => {
        const span = this.readSpan(streamId);
        const pages = inner.readStreamPages!(streamId, options);
        return span ? traced(pages, span, (page) => page.length) : pages;
      };
    }
    if (inner.readAllPages) this.readAllPages = (options) => inner.readAllPages!(options);
    if (inner.countEvents) this.countEvents = (options) => inner.countEvents!(options);
  }

  append(streamId: string, events: readonly EventToAppend[], options?: AppendOptions): Promise<AppendResult> {
    const counter = appended();
    // Without an SDK: the store's own call, nothing added (not even a promise).
    if (!counter && !tracingActive()) return this.inner.append(streamId, events, options);
    return this.tracedAppend(streamId, events, options, counter);
  }

  private async tracedAppend(
    streamId: string,
    events: readonly EventToAppend[],
    options: AppendOptions | undefined,
    counter: ReturnType<typeof appended>,
  ): Promise<AppendResult> {
    const result = await inSpan(
      SpanNames.append,
      {
        kind: 'producer',
        attributes: () => ({
          [A.messagingSystem]: MESSAGING_SYSTEM,
          [A.messagingOperationType]: 'send',
          [A.messagingOperationName]: 'append',
          [A.messagingDestinationName]: streamId,
          [A.messagingBatchMessageCount]: events.length,
          [A.streamId]: streamId,
          [A.expectedRevision]: String(options?.expectedRevision ?? 'any'),
        }),
      },
      async (span) => {
        const trace = span ? currentTraceMetadata() : undefined;
        const toAppend = trace
          ? events.map((event) =>
              event.metadata[TRACEPARENT_KEY] === undefined
                ? { ...event, metadata: { ...event.metadata, ...trace } }
                : event,
            )
          : events;
        const done = await this.inner.append(streamId, toAppend, options);
        span?.setAttribute(A.revision, done.nextExpectedRevision.toString());
        return done;
      },
    );
    counter?.add(events.length, {
      [A.messagingSystem]: MESSAGING_SYSTEM,
      [A.streamCategory]: streamCategory(streamId),
    });
    return result;
  }

  readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent> {
    const span = this.readSpan(streamId);
    const events = this.inner.readStream(streamId, options);
    return span ? traced(events, span, () => 1) : events;
  }

  /** The span of one stream read, when tracing is on. */
  private readSpan(streamId: string): TelemetrySpan | undefined {
    return startSpan(SpanNames.readStream, {
      kind: 'client',
      attributes: () => ({
        [A.messagingSystem]: MESSAGING_SYSTEM,
        [A.messagingOperationType]: 'receive',
        [A.messagingDestinationName]: streamId,
        [A.streamId]: streamId,
      }),
    });
  }

  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent> {
    return this.inner.readAll(options);
  }

  subscribeToAll(options?: SubscribeToAllOptions): Subscription {
    return this.inner.subscribeToAll(options);
  }

  headPosition(): Promise<Position | undefined> {
    return this.inner.headPosition();
  }

  listStreams(options?: { prefix?: string; limit?: number }): AsyncIterable<StreamInfo> {
    return this.inner.listStreams(options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Iterates `events`, counting them on `span`, which ends when the iteration does. */
async function* traced<T>(
  items: AsyncIterable<T>,
  span: TelemetrySpan,
  eventsIn: (item: T) => number,
): AsyncIterable<T> {
  let count = 0;
  let failure: unknown;
  try {
    for await (const item of items) {
      count += eventsIn(item);
      yield item;
    }
  } catch (error) {
    if (!(error instanceof StreamNotFoundError)) failure = error;
    throw error;
  } finally {
    span.setAttribute(A.eventsRead, count);
    endSpan(span, failure);
  }
}
