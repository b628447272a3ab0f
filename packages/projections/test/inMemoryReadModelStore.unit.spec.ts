import { InMemoryReadModelStore } from '@rewind/projections';
import { describeReadModelStoreContract } from '@rewind/testing/jest';

describeReadModelStoreContract('InMemoryReadModelStore', () => ({ store: new InMemoryReadModelStore() }));

describe('InMemoryReadModelStore documents', () => {
  it('are frozen once stored, and so is every snapshot a transaction reads of its own writes', async () => {
    const store = new InMemoryReadModelStore();
    await store.transaction('ns', async (tx) => {
      const c = tx.collection('c');
      await c.put('k', { n: 1, nested: { list: [1] } });
      await c.put('k', { n: 2, nested: { list: [2] } });
      const inside = (await c.get('k')) as { nested: { list: number[] } };
      expect(Object.isFrozen(inside) && Object.isFrozen(inside.nested.list)).toBe(true);
      await c.put('k', { n: 3, nested: { list: [3] } });
      expect(inside).toEqual({ n: 2, nested: { list: [2] } });
    });
    const stored = (await store.collection('ns', 'c').get('k')) as { nested: { list: number[] } };
    expect(stored).toEqual({ n: 3, nested: { list: [3] } });
    expect(
      Object.isFrozen(stored) && Object.isFrozen(stored.nested) && Object.isFrozen(stored.nested.list),
    ).toBe(true);
  });

  it('keep what was committed when a transaction that is over is written through', async () => {
    const store = new InMemoryReadModelStore();
    let kept: { put(key: string, doc: object): Promise<void> } | undefined;
    await store.transaction('ns', async (tx) => {
      kept = tx.collection('c');
      await kept.put('k', { n: 1 });
    });
    await kept!.put('k', { n: 2 }); // the same fields: would be written over the committed copy
    expect(await store.collection('ns', 'c').get('k')).toEqual({ n: 1 });
  });
});
