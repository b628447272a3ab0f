/**
 * Framework-free test helpers — given/when/then specs for aggregates, the rebuild-equivalence check and
 * event-store helpers — usable from jest, vitest, node:test or plain node, and free of gRPC. The contract
 * suites (jest) are at `@rewind/testing/jest`, the EventStoreDB protocol test server at
 * `@rewind/testing/eventstoredb`, throwaway PostgreSQL clusters at `@rewind/testing/postgres`.
 *
 * @packageDocumentation
 * @module @rewind/testing
 */
export {
  aggregateSpec,
  type AggregateSpecOptions,
  type WhenStep,
  type ThenStep,
} from './specs/aggregateSpec';
export { expectRebuildEquivalent } from './rebuild/rebuildEquivalence';
export { testEvent, collect, takeMessages, eventsOf } from './support/eventStoreHelpers';
