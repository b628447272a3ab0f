import type { Position } from '@rewind/core';
import { PostgresReadModelStore } from '@rewind/postgres';
import type { ReadModelTransaction } from '@rewind/projections';
import { startThrowawayPostgres, type ThrowawayPostgres } from '@rewind/testing/postgres';
import { Pool, type PoolClient } from 'pg';

// Starting a cluster (initdb) can take several seconds on a busy machine: give hooks and tests room.
jest.setTimeout(60_000);

/**
 * The document cache of PostgresReadModelStore: documents read or committed by a store are served
 * again without a round trip, and never once another transaction (another store, a rollback, raw SQL,
 * a drop) changed them. Each store here stands in for a process.
 */
describe('PostgresReadModelStore document cache', () => {
  let pg: ThrowawayPostgres;
  let raw: Pool;
  const open: PostgresReadModelStore[] = [];
  let n = 0;

  beforeAll(async () => {
    pg = await startThrowawayPostgres();
    raw = new Pool({ connectionString: pg.url, max: 1 });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(open.map((s) => s.close()));
    await raw?.end();
    await pg?.stop();
  });

  async function connect(): Promise<PostgresReadModelStore> {
    const store = await PostgresReadModelStore.connect({ connectionString: pg.url });
    open.push(store);
    return store;
  }

  const at = (p: number): Position => ({ commit: BigInt(p), prepare: BigInt(p) });

  /** A projector's batch: fenced by the lease, writes and checkpoint in one transaction. */
  async function batch(
    store: PostgresReadModelStore,
    namespace: string,
    owner: string,
    checkpoint: number,
    work: (tx: ReadModelTransaction) => Promise<void>,
  ): Promise<void> {
    expect(await store.tryAcquireLock(`lease-${namespace}`, owner, 60_000)).toBe(true);
    await store.transaction(namespace, async (tx) => {
      await tx.assertLock(`lease-${namespace}`, owner);
      await work(tx);
      await tx.setCheckpoint(at(checkpoint));
    });
  }

  /** What a handler of the next batch gets for `key`. */
  async function getInBatch(
    store: PostgresReadModelStore,
    namespace: string,
    owner: string,
    checkpoint: number,
    key = 'k',
  ): Promise<unknown> {
    let seen: unknown;
    await batch(store, namespace, owner, checkpoint, async (tx) => {
      seen = await tx.collection('docs').get(key);
    });
    return seen;
  }

  /** A fresh namespace whose document `k` store A committed ({ v: 1 }) and read back once. */
  async function committedBy(a: PostgresReadModelStore): Promise<string> {
    const namespace = `cache${++n}@v1`;
    await batch(a, namespace, 'a', 1, async (tx) => {
      expect(await tx.collection('docs').get('k')).toBeUndefined();
      await tx.collection('docs').put('k', { v: 1 });
    });
    expect(await getInBatch(a, namespace, 'a', 2)).toEqual({ v: 1 });
    return namespace;
  }

  /** Changes a document behind every store's back, as nothing in Rewind does (no checkpoint row touched). */
  async function sneak(namespace: string, doc: object): Promise<void> {
    await raw.query(`UPDATE rewind.documents SET doc = $2 WHERE namespace = $1 AND key = 'k'`, [
      namespace,
      JSON.stringify(doc),
    ]);
  }

  it('serves a document committed in an earlier batch without reading it again', async () => {
    const a = await connect();
    const namespace = await committedBy(a);
    await sneak(namespace, { v: 'changed behind the store' });
    // The cache served it: the database's row was not read.
    expect(await getInBatch(a, namespace, 'a', 3)).toEqual({ v: 1 });
    // Reads outside transactions always go to the database.
    expect(await a.collection(namespace, 'docs').get('k')).toEqual({ v: 'changed behind the store' });
    // A store without a cache reads the row.
    const uncached = await PostgresReadModelStore.connect({
      connectionString: pg.url,
      documentCacheBytes: 0,
    });
    open.push(uncached);
    expect(await getInBatch(uncached, namespace, 'a', 4)).toEqual({ v: 'changed behind the store' });
  });

  it('returns a fresh copy on every read: a handler mutating it changes nothing cached', async () => {
    const a = await connect();
    const namespace = await committedBy(a);
    await batch(a, namespace, 'a', 3, async (tx) => {
      const doc = (await tx.collection<{ v: number }>('docs').get('k'))!;
      doc.v = 99;
      expect(await tx.collection('docs').get('k')).toEqual({ v: 1 });
      throw new Error('rolled back');
    }).catch(() => undefined);
    expect(await getInBatch(a, namespace, 'a', 3)).toEqual({ v: 1 });
  });

  it('sees the change another store committed while it held the lease (failover and back)', async () => {
    const a = await connect();
    const b = await connect();
    const namespace = await committedBy(a);
    await a.releaseLock(`lease-${namespace}`, 'a');
    // The lease moves to b (another process), which changes the document.
    await batch(b, namespace, 'b', 3, async (tx) => {
      expect(await tx.collection('docs').get('k')).toEqual({ v: 1 });
      await tx.collection('docs').put('k', { v: 2 });
    });
    await b.releaseLock(`lease-${namespace}`, 'b');
    // a takes the lease back: its cached { v: 1 } is stale.
    expect(await getInBatch(a, namespace, 'a', 4)).toEqual({ v: 2 });
  });

  it('sees documents another store changed without moving the checkpoint (a dead letter retried)', async () => {
    const a = await connect();
    const b = await connect();
    const namespace = await committedBy(a);
    await b.transaction(namespace, (tx) => tx.collection('docs').put('k', { v: 'retried' }));
    expect(await getInBatch(a, namespace, 'a', 3)).toEqual({ v: 'retried' });
  });

  it('never serves the write of a transaction that rolled back, even once flushed', async () => {
    const a = await connect();
    const namespace = await committedBy(a);
    await expect(
      batch(a, namespace, 'a', 3, async (tx) => {
        const docs = tx.collection('docs');
        expect(await docs.get('k')).toEqual({ v: 1 });
        await docs.put('k', { v: 'rolled back' });
        await docs.put('other', { v: 'rolled back' });
        expect(await docs.count()).toBe(2); // flushed to the database, inside the transaction
        expect(await docs.get('k')).toEqual({ v: 'rolled back' });
        throw new Error('the handler failed');
      }),
    ).rejects.toThrow('the handler failed');
    expect(await getInBatch(a, namespace, 'a', 3)).toEqual({ v: 1 });
    expect(await getInBatch(a, namespace, 'a', 4, 'other')).toBeUndefined();
  });

  it("sees in the next transaction what a handler's raw SQL through tx.native changed", async () => {
    const a = await connect();
    const namespace = await committedBy(a);
    await batch(a, namespace, 'a', 3, async (tx) => {
      expect(await tx.collection('docs').get('k')).toEqual({ v: 1 });
      await (tx.native as PoolClient).query(
        `UPDATE rewind.documents SET doc = '{"v":"raw"}' WHERE namespace = $1 AND key = 'k'`,
        [namespace],
      );
      // Even in the same transaction, the document read before the raw SQL is read again.
      expect(await tx.collection('docs').get('k')).toEqual({ v: 'raw' });
    });
    expect(await getInBatch(a, namespace, 'a', 4)).toEqual({ v: 'raw' });
  });

  it('sees raw SQL of another store that committed without a checkpoint', async () => {
    const a = await connect();
    const b = await connect();
    const namespace = await committedBy(a);
    await b.transaction(namespace, async (tx) => {
      await (tx.native as PoolClient).query(
        `UPDATE rewind.documents SET doc = '{"v":"raw elsewhere"}' WHERE namespace = $1 AND key = 'k'`,
        [namespace],
      );
    });
    expect(await getInBatch(a, namespace, 'a', 3)).toEqual({ v: 'raw elsewhere' });
  });

  it('forgets a dropped namespace, dropped by itself or by another store', async () => {
    const a = await connect();
    const b = await connect();
    const mine = await committedBy(a);
    await a.dropNamespace(mine);
    expect(await getInBatch(a, mine, 'a', 1)).toBeUndefined();
    const theirs = await committedBy(a);
    await b.dropNamespace(theirs);
    expect(await getInBatch(a, theirs, 'a', 1)).toBeUndefined();
  });

  it('holds what the database computed for increments and patches merged at flush', async () => {
    const a = await connect();
    const namespace = await committedBy(a);
    await batch(a, namespace, 'a', 3, async (tx) => {
      await tx.collection('docs').increment('k', { n: 2 });
      await tx.collection('docs').patch('p', { x: 1 });
    });
    await batch(a, namespace, 'a', 4, async (tx) => {
      expect(await tx.collection('docs').get('k')).toEqual({ v: 1, n: 2 });
      expect(await tx.collection('docs').get('p')).toEqual({ x: 1 });
      await tx.collection('docs').increment('k', { n: 1 });
    });
    expect(await getInBatch(a, namespace, 'a', 5)).toEqual({ v: 1, n: 3 });
  });

  it('evicts the oldest documents beyond its budget and still reads the rest right', async () => {
    const small = await PostgresReadModelStore.connect({
      connectionString: pg.url,
      documentCacheBytes: 2_000,
    });
    open.push(small);
    const namespace = `cache${++n}@v1`;
    await batch(small, namespace, 'a', 1, async (tx) => {
      for (let i = 0; i < 50; i++) await tx.collection('docs').put(`d${i}`, { i, pad: 'x'.repeat(40) });
    });
    await batch(small, namespace, 'a', 2, async (tx) => {
      for (let i = 0; i < 50; i++) {
        expect(await tx.collection('docs').get(`d${i}`)).toEqual({ i, pad: 'x'.repeat(40) });
      }
    });
    await expect(
      PostgresReadModelStore.connect({ connectionString: pg.url, documentCacheBytes: -1 }),
    ).rejects.toThrow('documentCacheBytes');
  });
});
