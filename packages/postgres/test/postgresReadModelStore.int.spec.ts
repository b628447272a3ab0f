import { StoreError, StoreUnavailableError, ValidationError } from '@rewind/core';
import { PostgresReadModelStore } from '@rewind/postgres';
import { describeReadModelStoreContract } from '@rewind/testing/jest';
import { startThrowawayPostgres, type ThrowawayPostgres } from '@rewind/testing/postgres';
import { createServer } from 'node:net';
import { Pool, type PoolClient } from 'pg';

// Starting a cluster (initdb) can take several seconds on a busy machine: give hooks and tests room.
jest.setTimeout(60_000);

let contractPg: ThrowawayPostgres | undefined;
// Runs before the contract's own beforeAll, which only connects.
beforeAll(async () => {
  contractPg = await startThrowawayPostgres();
}, 60_000);
afterAll(() => contractPg?.stop());

describeReadModelStoreContract('PostgresReadModelStore', async () => ({
  store: await PostgresReadModelStore.connect({ connectionString: contractPg!.url }),
  another: () => PostgresReadModelStore.connect({ connectionString: contractPg!.url }),
  // tx.native is the transaction's pg client: raw SQL commits and rolls back with the batch
  rawWrite: async (native, namespace, collection, key, doc) => {
    await (native as PoolClient).query(
      'INSERT INTO rewind.documents (namespace, collection, key, doc) VALUES ($1, $2, $3, $4)',
      [namespace, collection, key, JSON.stringify(doc)],
    );
  },
}));

describe('PostgresReadModelStore specifics', () => {
  let pg: ThrowawayPostgres;
  let store: PostgresReadModelStore;
  beforeAll(async () => {
    pg = await startThrowawayPostgres();
    store = await PostgresReadModelStore.connect({ connectionString: pg.url });
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await pg?.stop();
  });

  it('merges patches in the database without reading, and reads see the merge', async () => {
    await store.transaction('p@v1', (tx) => tx.collection('c').put('k', { a: 1, b: { x: 1 } }));
    await store.transaction('p@v1', async (tx) => {
      const c = tx.collection('c');
      await c.patch('k', { b: { y: 2 } });
      await c.patch('k', { c: 3 });
      await c.patch('fresh', { only: true });
      expect(await c.get('fresh')).toEqual({ only: true });
    });
    expect(await store.collection('p@v1', 'c').get('k')).toEqual({ a: 1, b: { y: 2 }, c: 3 });
    await store.transaction('p@v1', async (tx) => {
      const c = tx.collection('c');
      await c.patch('k', { d: 4 });
      expect(await c.get('k')).toEqual({ a: 1, b: { y: 2 }, c: 3, d: 4 });
      await c.patch('k', { a: undefined });
      expect(await c.count({ d: 4 })).toBe(1);
    });
    expect(await store.collection('p@v1', 'c').get('k')).toEqual({ b: { y: 2 }, c: 3, d: 4 });
  });

  it('writes a thousand documents of a transaction with a handful of statements', async () => {
    const statements: string[] = [];
    await store.transaction('batch@v1', async (tx) => {
      const client = tx.native as Pool;
      const query = client.query.bind(client);
      (client as { query: unknown }).query = (text: string, ...rest: unknown[]) => {
        statements.push(text);
        return (query as (...args: unknown[]) => unknown)(text, ...rest);
      };
      for (let i = 0; i < 1000; i++) await tx.collection(i % 2 ? 'odd' : 'even').put(`k${i}`, { i });
      await tx.collection('even').delete('k0');
      await tx.setCheckpoint({ commit: 1000n, prepare: 1000n });
    });
    // two write-behind upserts of 500 (default writeBehindRows), then delete, checkpoint and COMMIT
    expect(statements.length).toBeLessThanOrEqual(5);
    expect(await store.collection('batch@v1', 'odd').count()).toBe(500);
    expect(await store.collection('batch@v1', 'even').count()).toBe(499);
  });

  it('sends writes behind the handlers, keeping reads, patches, deletes and rollback exact', async () => {
    const small = await PostgresReadModelStore.connect({ connectionString: pg.url, writeBehindRows: 3 });
    try {
      await small.transaction('wb@v1', async (tx) => {
        const c = tx.collection<{ n: number; tag?: string }>('c');
        for (let i = 0; i < 10; i++) await c.put(`k${i}`, { n: i });
        expect(await c.get('k0')).toEqual({ n: 0 }); // sent already: read back from the transaction
        await c.patch('k1', { tag: 'x' });
        await c.delete('k2');
        for (let i = 10; i < 20; i++) await c.patch(`k${i}`, { n: i });
        expect(await c.get('k1')).toEqual({ n: 1, tag: 'x' });
        expect(await c.get('k2')).toBeUndefined();
        expect(await c.count()).toBe(19);
      });
      expect(await small.collection('wb@v1', 'c').count({ n: { $gte: 10 } })).toBe(10);
      await expect(
        small.transaction('wb@v1', async (tx) => {
          for (let i = 0; i < 10; i++) await tx.collection('c').put(`k${i}`, { n: -1 });
          await tx.collection('c').put('late', { n: -1 });
          throw new Error('handler failed after write-behind');
        }),
      ).rejects.toThrow('handler failed after write-behind');
      expect(await small.collection('wb@v1', 'c').count({ n: -1 })).toBe(0);
      expect(await small.collection('wb@v1', 'c').get('k1')).toEqual({ n: 1, tag: 'x' });
      await expect(
        PostgresReadModelStore.connect({ connectionString: pg.url, writeBehindRows: 0 }),
      ).rejects.toThrow(ValidationError);
    } finally {
      await small.close();
    }
  });

  it('migrates idempotently, keeps schemas apart and validates the schema name', async () => {
    await store.migrate();
    const other = await PostgresReadModelStore.connect({ connectionString: pg.url, schema: 'other_rm' });
    try {
      await other.transaction('iso@v1', (tx) => tx.collection('c').put('k', { in: 'other' }));
      expect(await other.collection('iso@v1', 'c').get('k')).toEqual({ in: 'other' });
      expect(await store.collection('iso@v1', 'c').get('k')).toBeUndefined();
    } finally {
      await other.close();
    }
    for (const schema of ['Rewind', 'a;b', 'x"y', '', 'rewind; DROP SCHEMA public']) {
      await expect(PostgresReadModelStore.connect({ connectionString: pg.url, schema })).rejects.toThrow(
        ValidationError,
      );
    }
  });

  it('refuses a database whose schema version is newer than it knows', async () => {
    const pool = new Pool({ connectionString: pg.url });
    try {
      const future = await PostgresReadModelStore.connect({ pool, schema: 'future_rm' });
      await pool.query('INSERT INTO "future_rm"."schema_version" (version) VALUES (99)');
      await expect(future.migrate()).rejects.toThrow(/version 99, newer/);
      await expect(future.migrate()).rejects.toBeInstanceOf(StoreError);
      await future.close();
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]); // a given pool stays open
    } finally {
      await pool.end();
    }
  });

  it('reports a refused connection as StoreUnavailableError naming host, port and database', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const address = server.address() as { port: number };
        server.close(() => resolve(address.port));
      });
    });
    const attempt = PostgresReadModelStore.connect({
      connectionString: `postgresql://postgres@127.0.0.1:${port}/shop`,
    });
    await expect(attempt).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(attempt).rejects.toThrow(`127.0.0.1:${port}, database "shop" refused the connection`);
    await expect(attempt.catch((e: Error) => (e.cause as { code: string }).code)).resolves.toBe(
      'ECONNREFUSED',
    );
  });

  it('reports a missing database as StoreUnavailableError saying to create it', async () => {
    const url = pg.url.replace(/\/postgres$/, '/no_such_db');
    const attempt = PostgresReadModelStore.connect({ connectionString: url });
    await expect(attempt).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(attempt).rejects.toThrow(/no such database.*CREATE DATABASE "no_such_db".*3D000/);
  });
});
