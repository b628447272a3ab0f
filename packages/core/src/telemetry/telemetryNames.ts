/**
 * The names of every span, metric and attribute Rewind produces, in one place (the Operations guide
 * lists them). OpenTelemetry's semantic conventions are followed where they exist (`messaging.*`,
 * `error.type`); Rewind's own live under `rewind.*`.
 */
export const SpanNames = {
  /** One command, from validation to the append (retries included). */
  command: 'rewind.command',
  /** The command handler method running on the loaded aggregate (or handler class). */
  commandHandle: 'rewind.command.handle',
  /** An aggregate loaded: snapshot and events read, replayed. */
  aggregateLoad: 'rewind.aggregate.load',
  /** An append to the event store. */
  append: 'rewind.event_store.append',
  /** A read of one stream from the event store. */
  readStream: 'rewind.event_store.read_stream',
  /** One committed batch of a projection or reactor (live). */
  projectionBatch: 'rewind.projection.batch',
  /** A reactor handling one event: a child of the span that appended it. */
  reactorHandle: 'rewind.reactor.handle',
  /** One rebuild of a projection (every catch-up pass of it); no span per replayed event. */
  rebuild: 'rewind.rebuild',
} as const;

/** Span events (timestamps inside a span). */
export const SpanEventNames = {
  /** The command passed validation. */
  commandValidated: 'rewind.command.validated',
  /** The command conflicted with another writer and runs again. */
  commandRetry: 'rewind.command.retry',
} as const;

/** Attribute keys on spans and metrics. */
export const AttributeNames = {
  messagingSystem: 'messaging.system',
  messagingOperationType: 'messaging.operation.type',
  messagingOperationName: 'messaging.operation.name',
  messagingDestinationName: 'messaging.destination.name',
  messagingConsumerGroupName: 'messaging.consumer.group.name',
  messagingBatchMessageCount: 'messaging.batch.message_count',
  messagingMessageId: 'messaging.message.id',
  errorType: 'error.type',
  commandType: 'rewind.command.type',
  commandId: 'rewind.command.id',
  commandAttempts: 'rewind.command.attempts',
  commandOutcome: 'rewind.command.outcome',
  correlationId: 'rewind.correlation_id',
  aggregateType: 'rewind.aggregate.type',
  aggregateId: 'rewind.aggregate.id',
  streamId: 'rewind.stream',
  streamCategory: 'rewind.stream.category',
  revision: 'rewind.revision',
  expectedRevision: 'rewind.expected_revision',
  eventType: 'rewind.event.type',
  eventsRead: 'rewind.events_read',
  snapshotUsed: 'rewind.snapshot.used',
  position: 'rewind.position',
  projection: 'rewind.projection',
  projectionKind: 'rewind.projection.kind',
  namespace: 'rewind.namespace',
  replay: 'rewind.replay',
  linksDropped: 'rewind.links_dropped',
  processed: 'rewind.rebuild.processed',
  scratch: 'rewind.rebuild.scratch',
} as const;

/** Metric instrument names (units in the Operations guide). */
export const MetricNames = {
  /** Counter, `{event}`: events appended by this process, by stream category. */
  eventsAppended: 'rewind.events.appended',
  /** Histogram, `s`: command duration, by command type and outcome. */
  commandDuration: 'rewind.command.duration',
  /** Counter, `{conflict}`: ConcurrencyErrors a command met (retried or not). */
  commandConflicts: 'rewind.command.conflicts',
  /** Observable gauge, `{event}`: handled events between a projection's checkpoint and the head. */
  projectionLagEvents: 'rewind.projection.lag.events',
  /** Observable gauge, `s`: how long the oldest unprocessed handled event has waited. */
  projectionLagTime: 'rewind.projection.lag.time',
  /** Histogram, `{event}`: events per committed batch. */
  batchSize: 'rewind.projection.batch.size',
  /** Histogram, `s`: time to commit a batch. */
  batchDuration: 'rewind.projection.batch.duration',
  /** Counter, `{event}`: events parked as dead letters. */
  deadLetters: 'rewind.projection.dead_letters',
  /** Counter, `{event}`: events a rebuild applied (its progress). */
  rebuildEvents: 'rewind.rebuild.events',
} as const;

/** The value of `messaging.system` on Rewind's spans and metrics. */
export const MESSAGING_SYSTEM = 'rewind';

/**
 * Metadata keys under which an event keeps the W3C trace context of the code that appended it
 * (`traceparent` and `tracestate` headers). Reserved like the other metadata keys, and stored as they
 * are in every store (EventStoreDB's metadata included).
 */
export const TRACEPARENT_KEY = '$traceparent';
/** See {@link TRACEPARENT_KEY}. */
export const TRACESTATE_KEY = '$tracestate';
