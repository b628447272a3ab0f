// @rewind/testing/jest — the shared contract suites, written for jest (they import `@jest/globals`).
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
