import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { SqliteReadModelStore } from '@rewind/sqlite';

// The SQLite read-model store keeps the documents its transactions read and wrote, so a projector's
// read-before-write costs a Map lookup. These tests pin down that the cache never shows a reader less
// than SQLite itself would: anything written behind the store's back drops it.
describe('SqliteReadModelStore document cache', () => {
  let dir: string;
  let path: string;
  let store: SqliteReadModelStore;
  const ns = 'counts@v1';

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rewind-rm-cache-'));
    path = join(dir, 'readmodels.db');
    store = SqliteReadModelStore.open(path);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const read = (s: SqliteReadModelStore, key: string) =>
    s.transaction(ns, (tx) => tx.collection<{ n: number }>('counts').get(key));
  const write = (s: SqliteReadModelStore, key: string, n: number) =>
    s.transaction(ns, (tx) => tx.collection('counts').put(key, { n }));
  const queries = () => jest.spyOn(store.statements.get, 'get');

  it('answers a transaction read from the cache once the document was read or written', async () => {
    await write(store, 'a', 1);
    const spy = queries();
    expect(await read(store, 'a')).toEqual({ n: 1 });
    expect(await read(store, 'missing')).toBeUndefined();
    expect(await read(store, 'missing')).toBeUndefined();
    // 'a' was cached by the write; 'missing' was looked up once and remembered as absent.
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
  });

  it('hands out fresh copies: changing a document read does not change the cache', async () => {
    await write(store, 'a', 1);
    const first = await read(store, 'a');
    first!.n = 99;
    expect(await read(store, 'a')).toEqual({ n: 1 });
  });

  it('keeps the cache across its own lock renewals', async () => {
    await write(store, 'a', 1);
    expect(await store.tryAcquireLock('projection:counts', 'me', 10_000)).toBe(true);
    expect(await store.tryAcquireLock('projection:counts', 'me', 10_000)).toBe(true);
    await store.releaseLock('projection:counts', 'me');
    const spy = queries();
    expect(await read(store, 'a')).toEqual({ n: 1 });
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  });

  it('sees a write by another connection to the same file', async () => {
    await write(store, 'a', 1);
    expect(await read(store, 'a')).toEqual({ n: 1 });
    const other = SqliteReadModelStore.open(path);
    try {
      await write(other, 'a', 2);
      await other.transaction(ns, (tx) => tx.collection('counts').delete('gone'));
      await write(other, 'new', 3);
    } finally {
      await other.close();
    }
    expect(await read(store, 'a')).toEqual({ n: 2 });
    expect(await read(store, 'new')).toEqual({ n: 3 });
  });

  it('sees a document deleted by another connection after it was cached', async () => {
    await write(store, 'a', 1);
    const other = SqliteReadModelStore.open(path);
    try {
      await other.transaction(ns, (tx) => tx.collection('counts').delete('a'));
    } finally {
      await other.close();
    }
    expect(await read(store, 'a')).toBeUndefined();
  });

  it('sees your own SQL through the database handle, also when it runs while a transaction works', async () => {
    await write(store, 'a', 1);
    expect(await read(store, 'a')).toEqual({ n: 1 });
    store.database
      .prepare("UPDATE rm_documents SET doc = '{\"n\":5}' WHERE namespace = ? AND key = 'a'")
      .run(ns);
    expect(await read(store, 'a')).toEqual({ n: 5 });
    await store.transaction(ns, async (tx) => {
      await tx.collection('counts').get('a');
      store.database
        .prepare("UPDATE rm_documents SET doc = '{\"n\":6}' WHERE namespace = ? AND key = 'a'")
        .run(ns);
      // Written after the transaction began: the commit notices and drops the cache.
      await tx.collection('other').put('x', { n: 0 });
    });
    expect(await read(store, 'a')).toEqual({ n: 6 });
  });

  it('does not keep what a failed transaction wrote', async () => {
    await write(store, 'a', 1);
    await expect(
      store.transaction(ns, async (tx) => {
        await tx.collection('counts').put('a', { n: 2 });
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect(await read(store, 'a')).toEqual({ n: 1 });
  });

  it('forgets a dropped namespace', async () => {
    await write(store, 'a', 1);
    await store.dropNamespace(ns);
    expect(await read(store, 'a')).toBeUndefined();
  });

  it('stays correct when the cache is much smaller than the data, or off', async () => {
    for (const documentCacheBytes of [512, 0]) {
      const small = SqliteReadModelStore.open({
        path: join(dir, `small-${documentCacheBytes}.db`),
        documentCacheBytes,
      });
      try {
        for (let round = 0; round < 3; round++) {
          await small.transaction(ns, async (tx) => {
            const counts = tx.collection<{ n: number }>('counts');
            for (let i = 0; i < 50; i++) {
              const current = await counts.get(`k${i}`);
              await counts.put(`k${i}`, { n: (current?.n ?? 0) + 1 });
            }
          });
        }
        const all = await small.collection<{ n: number }>(ns, 'counts').find();
        expect(all).toHaveLength(50);
        expect(all.every((e) => e.doc.n === 3)).toBe(true);
      } finally {
        await small.close();
      }
    }
  });
});
