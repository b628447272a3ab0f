/**
 * Aggregates, events, commands, repository, time travel and the EventStore port.
 *
 * @packageDocumentation
 * @module @rewind/core
 */
import 'reflect-metadata';

// errors
export * from './errors/rewindError';
export * from './errors/errors';
// the EventStore port and the in-memory store
export * from './eventStore/position';
export * from './eventStore/eventStore';
export {
  validateAppend,
  validateStreamName,
  validateExpectedRevision,
  checkExpectedRevision,
  matchesFilter,
  MAX_REVISION,
  serializeEvents,
  prepareAppend,
  type PreparedAppend,
  type SerializedEvent,
} from './eventStore/storeSupport';
export {
  decideAppend,
  deriveEventId,
  type AppendDecision,
  type StoredEventId,
} from './eventStore/idempotentAppend';
export {
  catchUpSubscription,
  AppendNotifier,
  type CatchUpSource,
  type LogPage,
} from './eventStore/catchUpSubscription';
export { InMemoryEventStore, type InMemoryEventStoreOptions } from './eventStore/inMemoryEventStore';
// events
export * from './events/domainEvent.decorator';
export { encodeJson, decodeJson, type EncodedValue, type RevivedKind } from './events/jsonCodec';
export {
  EventRegistry,
  toEventMetadata,
  type EventRegistryOptions,
  type CausationContext,
} from './events/eventRegistry';
export type { EventEnvelope, EventMetadata } from './events/eventEnvelope';
export { defineUpcaster, type Upcaster } from './events/upcaster';
// aggregates
export {
  AggregateRoot,
  aggregateState,
  type PendingEvent,
  type RaiseOptions,
} from './aggregates/aggregateRoot';
export * from './aggregates/aggregate.decorator';
export * from './aggregates/eventSourcingHandler.decorator';
// commands
export * from './commands/commandHandler.decorator';
export {
  CommandBus,
  type CommandBusOptions,
  type CommandContext,
  type CommandResult,
  type CommandOutcome,
  type ExecuteOptions,
} from './commands/commandBus';
export { runInContext, currentContext, type ExecutionContext } from './context/executionContext';
export { validateObject, toViolations } from './validation/validateObject';
// repository, time travel, snapshots
export * from './repository/repository';
export { structuralDiff, type StructuralChange } from './repository/structuralDiff';
export * from './snapshots/snapshotStore';
export { EventStoreSnapshotStorage, SNAPSHOT_EVENT_TYPE } from './snapshots/eventStoreSnapshotStorage';
// wiring
export { createRewind, type Rewind, type RewindOptions } from './rewind/createRewind';
export type { Type } from './metadata/metadataKeys';
export { closestNames, levenshtein } from './support/closestNames';
// telemetry
export {
  consoleLogger,
  silentLogger,
  type RewindLogger,
  type RewindLogLevel,
  type ConsoleLoggerOptions,
} from './telemetry/logger';
export * from './telemetry/telemetryNames';
export {
  currentTraceMetadata,
  telemetryApiAvailable,
  resetTelemetryApi,
  inSpan,
  tracingActive,
  startSpan,
  endSpan,
  failSpan,
  contextOfEvent,
  spanContextOf,
  meterInstruments,
  type TelemetryOptions,
  type SpanStart,
  type TelemetryAttributes,
  type TelemetrySpan,
  type TelemetrySpanContext,
  type TelemetryLink,
  type TelemetryContext,
  type TelemetryMeter,
} from './telemetry/otel';
export { instrumentEventStore, streamCategory, unwrapEventStore } from './telemetry/instrumentedEventStore';
