import { InMemoryReadModelStore } from '@rewind/projections';
import { describeReadModelStoreContract } from '@rewind/testing/jest';

describeReadModelStoreContract('InMemoryReadModelStore', () => ({ store: new InMemoryReadModelStore() }));
