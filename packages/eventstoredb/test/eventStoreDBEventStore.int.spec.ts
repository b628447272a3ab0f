import { EventStoreDBEventStore } from '@rewind/eventstoredb';
import { describeEventStoreContract } from '@rewind/testing/jest';
import { REAL_SERVER_URL, startTarget } from './eventStoreDBTarget';

const where = REAL_SERVER_URL ? `real EventStoreDB at ${REAL_SERVER_URL}` : 'protocol test server';

describeEventStoreContract(`EventStoreDBEventStore, BatchAppend path (${where})`, async () => {
  const target = await startTarget(true);
  return {
    store: new EventStoreDBEventStore({ connectionString: target.connectionString }),
    dispose: () => target.dispose(),
  };
});

describeEventStoreContract(`EventStoreDBEventStore, Append path (${where})`, async () => {
  const target = await startTarget(false);
  return {
    store: new EventStoreDBEventStore({ connectionString: target.connectionString }),
    dispose: () => target.dispose(),
  };
});
