import { InMemoryReadModelStore } from '@rewind/projections';
import { describeProjectionEngineContract } from '@rewind/testing/jest';

// One store shared by every "process" of a test: in memory, a database is one object.
describeProjectionEngineContract('InMemoryReadModelStore', () => {
  const store = new InMemoryReadModelStore();
  return { open: () => store };
});
