import { PostgresReadModelStore } from '@rewind/postgres';
import { describeProjectionEngineContract, describeReadModelStoreContract } from '@rewind/testing/jest';
import {
  startThrowawayPgBouncer,
  startThrowawayPostgres,
  type ThrowawayPgBouncer,
  type ThrowawayPostgres,
} from '@rewind/testing/postgres';
import type { PoolClient } from 'pg';

// The read-model store and the projection engine contracts through PgBouncer 1.18+ in transaction
// mode with three server connections shared by every store of the file: each transaction may run on
// another server session than the one before, and sessions are shared between pools.
jest.setTimeout(60_000);

let pg: ThrowawayPostgres | undefined;
let bouncer: ThrowawayPgBouncer | undefined;
let schemas = 0;
// Runs before the contracts' own beforeAll, which only connects.
beforeAll(async () => {
  pg = await startThrowawayPostgres();
  bouncer = await startThrowawayPgBouncer(pg, { poolMode: 'transaction', defaultPoolSize: 3 });
}, 60_000);
afterAll(async () => {
  await bouncer?.stop();
  await pg?.stop();
});

// #region behind-pgbouncer
/** A read-model store through PgBouncer in transaction mode (`url` is the bouncer's). */
function connectThroughPgBouncer(url: string, schema = 'rewind') {
  return PostgresReadModelStore.connect({
    connectionString: url,
    schema,
    // unnamed statements only: each transaction may run on another server session
    preparedStatements: false,
  });
}
// #endregion

const connect = (schema?: string) => connectThroughPgBouncer(bouncer!.url, schema);

describeReadModelStoreContract('PostgresReadModelStore behind PgBouncer (transaction mode)', async () => ({
  store: await connect(),
  another: () => connect(),
  rawWrite: async (native, namespace, collection, key, doc) => {
    await (native as PoolClient).query(
      'INSERT INTO rewind.documents (namespace, collection, key, doc) VALUES ($1, $2, $3, $4)',
      [namespace, collection, key, JSON.stringify(doc)],
    );
  },
}));

// A fresh schema per test; each open() is another pool, as another process would have.
describeProjectionEngineContract('PostgresReadModelStore behind PgBouncer (transaction mode)', () => {
  const schema = `bounced_${++schemas}`;
  return { open: () => connect(schema) };
});
