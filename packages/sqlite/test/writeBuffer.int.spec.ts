import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteReadModelStore } from '@rewind/sqlite';

/**
 * The SQLite store buffers a transaction's documents as objects and writes a document put again with
 * the same fields over its buffered copy. What is stored must still be exactly the last put: its
 * values, and its fields in its order (the text in the file is `JSON.stringify` of the last put).
 */
describe('SqliteReadModelStore write buffer', () => {
  let dir: string;
  let store: SqliteReadModelStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rewind-wb-'));
    store = SqliteReadModelStore.open(join(dir, 'rm.db'));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const stored = (key: string) =>
    (
      store.database.prepare('SELECT doc FROM rm_documents WHERE key = ?').get(key) as
        { doc: string } | undefined
    )?.doc;

  it('stores the last put as its text, field order included', async () => {
    await store.transaction('ns', async (tx) => {
      const c = tx.collection('c');
      await c.put('same', { a: 1, b: 'x' });
      await c.put('same', { a: 2, b: 'y' });
      await c.put('reordered', { a: 1, b: 2 });
      await c.put('reordered', { b: 3, a: 4 });
      await c.put('__proto__ field', JSON.parse('{"__proto__": 1, "a": 1}') as Record<string, unknown>);
      await c.put('__proto__ field', JSON.parse('{"__proto__": 2, "a": 2}') as Record<string, unknown>);
      await c.put('array', [1, 2] as unknown as Record<string, unknown>);
      await c.put('array', [3] as unknown as Record<string, unknown>);
    });
    expect(stored('same')).toBe('{"a":2,"b":"y"}');
    expect(stored('reordered')).toBe('{"b":3,"a":4}');
    expect(stored('__proto__ field')).toBe('{"__proto__":2,"a":2}');
    expect(stored('array')).toBe('[3]');
  });

  it('never changes a document the cache holds from an earlier transaction', async () => {
    await store.transaction('ns', (tx) => tx.collection('c').put('k', { n: 1 }));
    await store.transaction('ns', async (tx) => {
      const c = tx.collection('c');
      await c.put('k', { n: 2 });
      await c.put('k', { n: 3 });
    });
    await expect(
      store.transaction('ns', async (tx) => {
        const c = tx.collection('c');
        expect(await c.get('k')).toEqual({ n: 3 });
        await c.put('k', { n: 4 });
        await c.put('k', { n: 5 });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    await store.transaction('ns', async (tx) => {
      expect(await tx.collection('c').get('k')).toEqual({ n: 3 }); // through the cache
    });
    expect(stored('k')).toBe('{"n":3}');
  });
});
