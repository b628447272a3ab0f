import { StoreError, StoreUnavailableError, ValidationError } from '@rewind/core';
import { PostgresReadModelStore } from '@rewind/postgres';
import {
  describeReadModelStoreContract,
  startThrowawayPostgres,
  type ThrowawayPostgres,
} from '@rewind/testing';
import { createServer } from 'node:net';
import { Pool } from 'pg';

let contractPg: ThrowawayPostgres | undefined;

describeReadModelStoreContract('PostgresReadModelStore', async () => {
  contractPg = await startThrowawayPostgres();
  const store = await PostgresReadModelStore.connect({ connectionString: contractPg.url });
  return { store, dispose: () => contractPg!.stop() };
});

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
    expect(statements.length).toBeLessThanOrEqual(4);
    expect(await store.collection('batch@v1', 'odd').count()).toBe(500);
    expect(await store.collection('batch@v1', 'even').count()).toBe(499);
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
