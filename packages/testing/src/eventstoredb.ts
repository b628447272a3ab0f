/**
 * An in-process server that speaks EventStoreDB's gRPC protocol, for testing the EventStoreDB adapter
 * without a server. Needs `@grpc/grpc-js`, `google-protobuf` and `@eventstore/db-client` (optional peers).
 *
 * @packageDocumentation
 * @module @rewind/testing/eventstoredb
 */
export {
  EventStoreDBTestServer,
  type EventStoreDBTestServerOptions,
} from './eventStoreDB/eventStoreDBTestServer';
export { EventStoreDBLog, type LogRecord } from './eventStoreDB/eventStoreDBLog';
