import { InMemoryEventStore } from '@rewind/core';
import { describeEventStoreContract } from '@rewind/testing';

describeEventStoreContract('InMemoryEventStore', () => ({ store: new InMemoryEventStore() }));
