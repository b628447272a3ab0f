import { PostgresEventStore } from '@rewind/postgres';
import { describeEventStoreContract } from '@rewind/testing/jest';
import { startThrowawayPostgres, type ThrowawayPostgres } from '@rewind/testing/postgres';

// Starting a cluster (initdb) can take several seconds on a busy machine: give hooks and tests room.
jest.setTimeout(60_000);

let pg: ThrowawayPostgres | undefined;
// Runs before the contracts' own beforeAll, which only connect.
beforeAll(async () => {
  pg = await startThrowawayPostgres();
}, 60_000);
afterAll(() => pg?.stop());

describeEventStoreContract('PostgresEventStore', async () => ({
  store: await PostgresEventStore.connect({ connectionString: pg!.url }),
}));

describeEventStoreContract(
  'PostgresEventStore (no prepared statements, no notifications: behind PgBouncer in transaction mode)',
  async () => ({
    store: await PostgresEventStore.connect({
      connectionString: pg!.url,
      schema: 'pooled',
      preparedStatements: false,
      notifications: false,
    }),
  }),
);
