import { InMemoryEventStore } from '@rewind/core';
import { describeEventStoreContract } from '@rewind/testing/jest';

describeEventStoreContract('InMemoryEventStore', () => ({ store: new InMemoryEventStore() }));
