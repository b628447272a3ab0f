// The `rewind` CLI's view of the shop: the same stores createShop() picks (EVENTSTORE_URL /
// DATABASE_URL, else the SQLite files in .data/ or REWIND_DATA_DIR), its aggregates and read models.
//   npx rewind projections status --config examples/energy-bar-shop/rewind.config.ts
import { defineConfig } from '@rewind/cli';
import { AGGREGATES, openEventStore, openReadModelStore, PROJECTIONS, REACTORS } from './src';

const dataDir = process.env.REWIND_DATA_DIR;
const stores = dataDir ? { dataDir } : {};

export default defineConfig({
  eventStore: () => openEventStore(stores),
  readModelStore: () => openReadModelStore(stores),
  aggregates: [...AGGREGATES],
  // Reactors are listed for status, pause and dead letters; the CLI never runs or replays them.
  projections: [...PROJECTIONS, ...REACTORS],
  predicates: {
    paid: (state) => state.status === 'paid' || state.status === 'completed',
    cancelled: (state) => state.status === 'cancelled',
  },
});
