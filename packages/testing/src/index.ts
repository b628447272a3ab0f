/**
 * Given/when/then specs, store contract suites and the EventStoreDB protocol test server.
 *
 * @packageDocumentation
 * @module @rewind/testing
 */
export {
  describeEventStoreContract,
  testEvent,
  collect,
  takeMessages,
  eventsOf,
  type EventStoreUnderTest,
  type EventStoreContractOptions,
} from './contracts/eventStoreContract';
export {
  aggregateSpec,
  type AggregateSpecOptions,
  type WhenStep,
  type ThenStep,
} from './specs/aggregateSpec';
export {
  startThrowawayPostgres,
  findPostgresBinaries,
  type ThrowawayPostgres,
} from './postgres/throwawayPostgres';
export {
  describeReadModelStoreContract,
  HOSTILE_STRINGS,
  type ReadModelStoreUnderTest,
} from './contracts/readModelStoreContract';
export {
  describeProjectionEngineContract,
  withUndecodableEvent,
  type CreateReadModelDatabase,
  type ReadModelDatabase,
} from './contracts/projectionEngineContract';
export { expectRebuildEquivalent } from './rebuild/rebuildEquivalence';
export {
  EventStoreDBTestServer,
  type EventStoreDBTestServerOptions,
} from './eventStoreDB/eventStoreDBTestServer';
export { EventStoreDBLog, type LogRecord } from './eventStoreDB/eventStoreDBLog';
