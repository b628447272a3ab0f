import { DocumentCache, type CachedDocument } from '../src/readModel/documentCache';

/** The bytes an entry counts for (see DocumentCache): key, text and a fixed overhead. */
const cost = (key: string, size: number) => key.length + size + 64;

describe(DocumentCache.name, () => {
  const entries = (cache: DocumentCache) => cache.collection('ns', 'docs');

  it('updates a document committed again in place: same entry, same place in the eviction order', () => {
    const cache = new DocumentCache(1_000_000);
    const docs = entries(cache);
    cache.committed(docs, 'a', { v: 1 }, 10);
    const first = docs.get('a');
    cache.committed(docs, 'b', { v: 1 }, 10);
    cache.committed(docs, 'a', { v: 2 }, 12);
    expect(docs.get('a')).toBe(first);
    expect(docs.get('a')).toEqual<CachedDocument>({ doc: { v: 2 }, size: 12 });
    expect([...docs.keys()]).toEqual(['a', 'b']);
  });

  it('counts what in-place updates add, and evicts the entries cached first when full', () => {
    // 16 entries of 76 bytes (key of 2, text of 10), then each grown to 80: exactly the budget.
    const cache = new DocumentCache(16 * cost('ka', 14));
    const docs = entries(cache);
    const keys = 'abcdefghijklmnop'.split('').map((c) => `k${c}`);
    for (const key of keys) cache.committed(docs, key, { v: 1 }, 10);
    for (const key of keys.reverse()) cache.committed(docs, key, { v: 2 }, 14);
    expect(docs.size).toBe(16);
    // One more is over the budget: the first cached go (not the last updated) until 90% is left.
    // Counted right, that takes three of 80 bytes; had the growth not been counted, two would go.
    cache.committed(docs, 'kq', { v: 1 }, 10);
    expect([...docs.keys()].slice(0, 2)).toEqual(['kd', 'ke']);
    expect(docs.size).toBe(14);
  });

  it('caches a committed deletion as null, and a document again after it', () => {
    const cache = new DocumentCache(10_000);
    const docs = entries(cache);
    cache.committed(docs, 'a', { v: 1 }, 10);
    cache.committed(docs, 'a', null, -1);
    expect(docs.get('a')).toBeNull();
    cache.committed(docs, 'a', { v: 3 }, 10);
    expect(docs.get('a')).toEqual({ doc: { v: 3 }, size: 10 });
  });

  it('drops an entry that grew past a sixteenth of the budget instead of flushing the rest', () => {
    const cache = new DocumentCache(16 * cost('a', 100));
    const docs = entries(cache);
    cache.committed(docs, 'b', { v: 1 }, 10);
    cache.committed(docs, 'a', { v: 1 }, 10);
    cache.committed(docs, 'a', { v: 'huge' }, 200);
    expect(docs.has('a')).toBe(false);
    expect(docs.get('b')).toEqual({ doc: { v: 1 }, size: 10 });
  });

  it('caches nothing when it is off', () => {
    const cache = new DocumentCache(0);
    const docs = entries(cache);
    cache.committed(docs, 'a', { v: 1 }, 10);
    expect(docs.size).toBe(0);
  });
});
