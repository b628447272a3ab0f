export {
  describeEventStoreContract,
  testEvent,
  collect,
  takeMessages,
  eventsOf,
  type EventStoreUnderTest,
  type EventStoreContractOptions,
} from './contracts/eventStoreContract';
