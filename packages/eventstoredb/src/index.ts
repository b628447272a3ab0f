/**
 * EventStore on EventStoreDB via @eventstore/db-client.
 *
 * @packageDocumentation
 * @module @rewind/eventstoredb
 */
export {
  EventStoreDBEventStore,
  endpointOf,
  type EventStoreDBEventStoreOptions,
} from './eventStoreDBEventStore';
export { mapEventStoreDBError, type EventStoreDBErrorContext } from './mapEventStoreDBError';
export { serverFilter, type ReconnectOptions } from './subscription';
