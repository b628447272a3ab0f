import { PostgresReadModelStore } from '@rewind/postgres';
import { startThrowawayPostgres, type ThrowawayPostgres } from '@rewind/testing';
import { describeRebuild } from '../../projections/test/fixtures/rebuildSuite';

// The same rebuild behaviour as on the in-memory and SQLite stores (issue 6), on PostgreSQL: one
// throwaway cluster, a fresh schema per test.
let pg: ThrowawayPostgres | undefined;
let schemas = 0;
beforeAll(async () => {
  pg = await startThrowawayPostgres();
}, 60_000);
afterAll(() => pg?.stop());

describeRebuild('PostgresReadModelStore', () =>
  PostgresReadModelStore.connect({ connectionString: pg!.url, schema: `rebuild_${++schemas}` }),
);
