import { PostgresEventStore, PostgresReadModelStore } from '@rewind/postgres';
import {
  describeEventStoreContract,
  describeProjectionEngineContract,
  describeReadModelStoreContract,
} from '@rewind/testing/jest';
import {
  startThrowawayPgBouncer,
  startThrowawayPostgres,
  type ThrowawayPgBouncer,
  type ThrowawayPostgres,
} from '@rewind/testing/postgres';
import type { PoolClient } from 'pg';
import { randomUUID } from 'node:crypto';
import { ConcurrencyError, StreamNotFoundError } from '@rewind/core';
import { collect, testEvent } from '@rewind/testing';

// The event store, the read-model store and the projection engine contracts through PgBouncer 1.18+ in transaction
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

// The event store through the bouncer: unnamed statements only, and no LISTEN (a notification would be
// sent to whichever client holds the server session): live subscriptions poll.
describeEventStoreContract('PostgresEventStore behind PgBouncer (transaction mode)', async () => ({
  store: await PostgresEventStore.connect({
    connectionString: bouncer!.url,
    schema: 'bounced_events',
    preparedStatements: false,
    notifications: false,
  }),
}));

describe('PostgresEventStore behind PgBouncer: concurrent appenders', () => {
  it('gives each revision of one stream to exactly one of 32 writers in 4 processes, dense, without deadlock', async () => {
    const stores = await Promise.all(
      Array.from({ length: 4 }, () =>
        PostgresEventStore.connect({
          connectionString: bouncer!.url,
          schema: 'bounced_race',
          preparedStatements: false,
          notifications: false,
        }),
      ),
    );
    try {
      const stream = `race-${randomUUID()}`;
      let wins = 0;
      let conflicts = 0;
      // Each writer tries 5 times to append at the revision it last saw.
      await Promise.all(
        stores.flatMap((store) =>
          Array.from({ length: 8 }, async () => {
            for (let attempt = 0; attempt < 5; attempt++) {
              let last: bigint | undefined;
              try {
                for await (const e of store.readStream(stream, { direction: 'backwards', maxCount: 1 }))
                  last = e.revision;
              } catch (error) {
                if (!(error instanceof StreamNotFoundError)) throw error;
              }
              try {
                await store.append(stream, [testEvent('raced')], {
                  expectedRevision: last === undefined ? 'no_stream' : last,
                });
                wins++;
              } catch (error) {
                if (!(error instanceof ConcurrencyError)) throw error;
                conflicts++;
              }
            }
          }),
        ),
      );
      expect(wins + conflicts).toBe(160);
      const events = await collect(stores[0]!.readStream(stream));
      expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => BigInt(i)));
      expect(events).toHaveLength(wins);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });
});
