// @rewind/testing/eventstoredb — an in-process server that speaks EventStoreDB's gRPC protocol, for
// testing the EventStoreDB adapter without a server (needs `@grpc/grpc-js`, `google-protobuf` and
// `@eventstore/db-client`, optional peers of this package).
export {
  EventStoreDBTestServer,
  type EventStoreDBTestServerOptions,
} from './eventStoreDB/eventStoreDBTestServer';
export { EventStoreDBLog, type LogRecord } from './eventStoreDB/eventStoreDBLog';
