import { InMemoryReadModelStore } from '@rewind/projections';
import { describeRebuild } from './fixtures/rebuildSuite';

describeRebuild('InMemoryReadModelStore', () => new InMemoryReadModelStore());
