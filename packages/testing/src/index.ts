// @rewind/testing — framework-free helpers: usable from jest, vitest or node:test, and free of gRPC.
// The contract suites (jest) are in `@rewind/testing/jest`, the EventStoreDB protocol test server in
// `@rewind/testing/eventstoredb`, throwaway PostgreSQL clusters in `@rewind/testing/postgres`.
export {
  aggregateSpec,
  type AggregateSpecOptions,
  type WhenStep,
  type ThenStep,
} from './specs/aggregateSpec';
export { expectRebuildEquivalent } from './rebuild/rebuildEquivalence';
export { testEvent, collect, takeMessages, eventsOf } from './support/eventStoreHelpers';
