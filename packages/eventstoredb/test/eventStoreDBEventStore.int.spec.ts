import { EventStoreDBEventStore } from '@rewind/eventstoredb';
import { describeEventStoreContract } from '@rewind/testing/jest';
import { startTarget, SUITE_MODES, targetName } from './eventStoreDBTarget';

// The contract on every server version Rewind supports, through both append paths of the client.
for (const version of SUITE_MODES) {
  for (const batchAppend of [true, false]) {
    describeEventStoreContract(
      `EventStoreDBEventStore, ${batchAppend ? 'BatchAppend' : 'Append'} path (${targetName(version)})`,
      async () => {
        const target = await startTarget(batchAppend, version);
        return {
          store: new EventStoreDBEventStore({ connectionString: target.connectionString }),
          dispose: () => target.dispose(),
        };
      },
    );
  }
}
