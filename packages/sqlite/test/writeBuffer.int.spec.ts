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

  it('stores what JSON.stringify gives of a flat document put again, whatever its values', async () => {
    const last: Record<string, unknown> = {
      n: -0,
      nan: NaN,
      inf: -Infinity,
      none: null,
      yes: true,
      s: 'é"\\',
    };
    const withToJSON = { a: 1, toJSON: () => ({ a: 'from toJSON' }) };
    class Instance {
      a = 'from an instance';
    }
    await store.transaction('ns', async (tx) => {
      const c = tx.collection('c');
      await c.put('values', { n: 1, nan: 1, inf: 1, none: 1, yes: false, s: 'x' });
      await c.put('values', last);
      expect(await c.get('values')).toStrictEqual(JSON.parse(JSON.stringify(last)));
      await c.put('undefined', { a: 0, b: 0 });
      await c.put('undefined', { a: 1, b: undefined });
      await c.put('toJSON', { a: 0 });
      await c.put('toJSON', withToJSON);
      await c.put('instance', { a: 0 });
      await c.put('instance', new Instance() as unknown as Record<string, unknown>);
      await c.put('nested', { a: 0, b: 0 });
      await c.put('nested', { a: 1, b: { c: [1, { d: 2 }] } });
    });
    expect(stored('values')).toBe(JSON.stringify(last));
    expect(stored('undefined')).toBe('{"a":1}');
    expect(stored('toJSON')).toBe('{"a":"from toJSON"}');
    expect(stored('instance')).toBe('{"a":"from an instance"}');
    expect(stored('nested')).toBe('{"a":1,"b":{"c":[1,{"d":2}]}}');
  });

  it('reads each value of a put once, as JSON.stringify does', async () => {
    let reads = 0;
    const counting = {
      get n() {
        return ++reads;
      },
    };
    await store.transaction('ns', async (tx) => {
      const c = tx.collection('c');
      await c.put('k', { n: 0 });
      await c.put('k', counting);
      await c.put('k', counting);
    });
    expect(reads).toBe(2);
    expect(stored('k')).toBe('{"n":2}');
  });

  it('stores no field that something added to Object.prototype', async () => {
    Object.defineProperty(Object.prototype, 'polluted', {
      value: 'inherited',
      enumerable: true,
      configurable: true,
    });
    try {
      await store.transaction('ns', async (tx) => {
        const c = tx.collection('c');
        await c.put('k', { a: 1 });
        await c.put('k', { a: 2 });
      });
    } finally {
      delete (Object.prototype as Record<string, unknown>)['polluted'];
    }
    expect(stored('k')).toBe('{"a":2}');
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
