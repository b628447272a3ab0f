import { PostgresReadModelStore } from '@rewind/postgres';
import { describeProjectionEngineContract } from '@rewind/testing/jest';
import { startThrowawayPostgres, type ThrowawayPostgres } from '@rewind/testing/postgres';

// One throwaway cluster; a fresh schema per test; each open() is another pool, as another process would have.
let pg: ThrowawayPostgres | undefined;
let schemas = 0;
beforeAll(async () => {
  pg = await startThrowawayPostgres();
}, 60_000);
afterAll(() => pg?.stop());

describeProjectionEngineContract('PostgresReadModelStore', () => {
  const schema = `engine_${++schemas}`;
  return { open: () => PostgresReadModelStore.connect({ connectionString: pg!.url, schema }) };
});
