import { InMemoryReadModelStore } from '@rewind/projections';
import { describeReadModelStoreContract } from '@rewind/testing';

describeReadModelStoreContract('InMemoryReadModelStore', () => ({ store: new InMemoryReadModelStore() }));
