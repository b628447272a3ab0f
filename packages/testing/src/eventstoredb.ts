/**
 * An in-process server that speaks EventStoreDB's gRPC protocol, for testing the EventStoreDB adapter
 * without a server. Needs `@grpc/grpc-js`, `google-protobuf` and `@eventstore/db-client` (optional peers).
 *
 * @packageDocumentation
 * @module @rewind/testing/eventstoredb
 */
export {
  EventStoreDBTestServer,
  type EventStoreDBAppendFault,
  type EventStoreDBTestServerOptions,
} from './eventStoreDB/eventStoreDBTestServer';
export { EventStoreDBLog, type EventStoreDBLogOptions, type LogRecord } from './eventStoreDB/eventStoreDBLog';
export { EVENTSTOREDB_SERVER_MODES, type EventStoreDBServerMode } from './eventStoreDB/serverModes';
