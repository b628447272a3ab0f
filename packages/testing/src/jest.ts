/**
 * The shared contract suites, written for jest (they import `@jest/globals`): event stores, read-model
 * stores and the projection engine.
 *
 * @packageDocumentation
 * @module @rewind/testing/jest
 */
export {
  describeEventStoreContract,
  type EventStoreUnderTest,
  type EventStoreContractOptions,
} from './contracts/eventStoreContract';
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
