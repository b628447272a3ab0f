import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sequencePosition, ValidationError } from '@rewind/core';
import { LockLostError, type ReadModelStore } from '@rewind/projections';
import { randomUUID } from 'node:crypto';

/** How the contract suite obtains a read-model store; `dispose` runs after the suite. */
export interface ReadModelStoreUnderTest {
  readonly store: ReadModelStore;
  dispose?(): Promise<void>;
}

/** Values that must be stored and matched as data, never as SQL. */
export const HOSTILE_STRINGS = [
  "O'Brien",
  'Robert"); DROP TABLE students;--',
  "'; DELETE FROM rm_documents; --",
  'SELECT * FROM pg_catalog.pg_tables',
  '$1 $2 ? ?1 :name @x',
  '\\x00\\\\ backslash',
  'énergie ⚡ 에너지바',
  '%_ like wildcards %',
];

/**
 * The behaviour every ReadModelStore must have, specified once.
 *
 * @example
 * describeReadModelStoreContract('InMemoryReadModelStore', () => ({ store: new InMemoryReadModelStore() }));
 */
export function describeReadModelStoreContract(
  name: string,
  create: () => Promise<ReadModelStoreUnderTest> | ReadModelStoreUnderTest,
): void {
  describe(`${name} (ReadModelStore contract)`, () => {
    let store: ReadModelStore;
    let under: ReadModelStoreUnderTest;
    const ns = () => `contract_${randomUUID().slice(0, 8)}@v1`;

    beforeAll(async () => {
      under = await create();
      store = under.store;
    });
    afterAll(async () => {
      await store.close();
      await under.dispose?.();
    });

    describe('documents', () => {
      it('puts, gets, patches and deletes inside a transaction', async () => {
        const n = ns();
        await store.transaction(n, async (tx) => {
          const orders = tx.collection('orders');
          await orders.put('o-1', { status: 'placed', total: 10, lines: [{ sku: 'bar', qty: 2 }] });
          expect(await orders.get('o-1')).toEqual({
            status: 'placed',
            total: 10,
            lines: [{ sku: 'bar', qty: 2 }],
          });
          await orders.patch('o-1', { status: 'paid' });
          await orders.patch('o-2', { status: 'new' });
          await orders.put('o-3', { status: 'gone' });
          await orders.delete('o-3');
          expect(await orders.get('o-3')).toBeUndefined();
        });
        const orders = store.collection(n, 'orders');
        expect(await orders.get('o-1')).toEqual({
          status: 'paid',
          total: 10,
          lines: [{ sku: 'bar', qty: 2 }],
        });
        expect(await orders.get('o-2')).toEqual({ status: 'new' });
        expect(await orders.get('o-3')).toBeUndefined();
        expect(await store.listCollections(n)).toEqual(['orders']);
      });

      it('rolls everything back when the work throws', async () => {
        const n = ns();
        await store.transaction(n, (tx) => tx.collection('c').put('keep', { v: 1 }));
        await expect(
          store.transaction(n, async (tx) => {
            await tx.collection('c').put('keep', { v: 2 });
            await tx.collection('c').put('new', { v: 3 });
            await tx.setCheckpoint(sequencePosition(99));
            throw new Error('handler failed');
          }),
        ).rejects.toThrow('handler failed');
        expect(await store.collection(n, 'c').get('keep')).toEqual({ v: 1 });
        expect(await store.collection(n, 'c').get('new')).toBeUndefined();
        expect(await store.transaction(n, (tx) => tx.getCheckpoint())).toBeUndefined();
      });

      it('commits the checkpoint together with the documents', async () => {
        const n = ns();
        await store.transaction(n, async (tx) => {
          await tx.collection('c').put('k', { v: 1 });
          await tx.setCheckpoint({ commit: 1024n, prepare: 1020n });
          expect(await tx.getCheckpoint()).toEqual({ commit: 1024n, prepare: 1020n });
        });
        expect(await store.transaction(n, (tx) => tx.getCheckpoint())).toEqual({
          commit: 1024n,
          prepare: 1020n,
        });
      });

      it('keeps namespaces apart', async () => {
        const a = ns();
        const b = ns();
        await store.transaction(a, (tx) => tx.collection('c').put('k', { from: 'a' }));
        await store.transaction(b, (tx) => tx.collection('c').put('k', { from: 'b' }));
        expect(await store.collection(a, 'c').get('k')).toEqual({ from: 'a' });
        expect(await store.collection(b, 'c').get('k')).toEqual({ from: 'b' });
        await store.dropNamespace(a);
        expect(await store.collection(a, 'c').get('k')).toBeUndefined();
        expect(await store.collection(b, 'c').get('k')).toEqual({ from: 'b' });
      });

      it('sees its own uncommitted writes in find and count', async () => {
        const n = ns();
        await store.transaction(n, async (tx) => {
          const c = tx.collection('c');
          await c.put('a', { n: 1 });
          await c.put('b', { n: 2 });
          expect((await c.find({ n: { $gte: 2 } })).map((e) => e.key)).toEqual(['b']);
          expect(await c.count()).toBe(2);
        });
      });
    });

    describe('find', () => {
      const n = `contract_find_${randomUUID().slice(0, 8)}@v1`;
      beforeAll(async () => {
        await store.transaction(n, async (tx) => {
          const c = tx.collection('products');
          await c.put('p1', {
            name: 'energy bar',
            price: 2500,
            tags: ['bar'],
            maker: { city: 'Seoul' },
            stock: 0,
          });
          await c.put('p2', {
            name: 'oat bar',
            price: 2000,
            tags: ['bar'],
            maker: { city: 'Busan' },
            stock: 5,
          });
          await c.put('p3', {
            name: 'protein shake',
            price: 4000,
            tags: ['drink'],
            maker: { city: 'Seoul' },
            stock: 12,
          });
        });
      });
      const keys = async (
        filter: Record<string, unknown>,
        options?: { orderBy?: string; direction?: 'asc' | 'desc'; limit?: number },
      ) => (await store.collection(n, 'products').find(filter, options)).map((e) => e.key);

      it('matches equality, nested fields and comparison operators', async () => {
        expect(await keys({ name: 'oat bar' })).toEqual(['p2']);
        expect(await keys({ 'maker.city': 'Seoul' })).toEqual(['p1', 'p3']);
        expect(await keys({ price: { $gt: 2000 } })).toEqual(['p1', 'p3']);
        expect(await keys({ price: { $gte: 2000, $lt: 4000 } })).toEqual(['p1', 'p2']);
        expect(await keys({ price: { $lte: 2000 } })).toEqual(['p2']);
        expect(await keys({ name: { $ne: 'oat bar' } })).toEqual(['p1', 'p3']);
        expect(await keys({ name: { $in: ['oat bar', 'protein shake'] } })).toEqual(['p2', 'p3']);
        expect(await keys({ stock: 0 })).toEqual(['p1']);
        expect(await keys({ 'maker.city': 'Seoul', price: { $lt: 3000 } })).toEqual(['p1']);
        expect(await store.collection(n, 'products').count({ 'maker.city': 'Seoul' })).toBe(2);
      });

      it('orders and limits', async () => {
        expect(await keys({}, { orderBy: 'price' })).toEqual(['p2', 'p1', 'p3']);
        expect(await keys({}, { orderBy: 'price', direction: 'desc', limit: 2 })).toEqual(['p3', 'p1']);
        expect(await keys({}, { limit: 1 })).toEqual(['p1']);
      });

      it('rejects unknown operators and malformed field paths', async () => {
        await expect(store.collection(n, 'products').find({ price: { $regex: '.*' } })).rejects.toThrow(
          ValidationError,
        );
        await expect(store.collection(n, 'products').find({ "price') OR 1=1 --": 1 })).rejects.toThrow(
          ValidationError,
        );
        await expect(
          store.collection(n, 'products').find({}, { orderBy: 'price; DROP TABLE x' }),
        ).rejects.toThrow(ValidationError);
      });
    });

    describe('hostile input', () => {
      it('stores and finds keys and values full of quotes, semicolons and SQL as plain data', async () => {
        const n = ns();
        await store.transaction(n, async (tx) => {
          const c = tx.collection('hostile');
          for (const [i, text] of HOSTILE_STRINGS.entries()) await c.put(text, { text, i });
        });
        const c = store.collection(n, 'hostile');
        for (const [i, text] of HOSTILE_STRINGS.entries()) {
          expect(await c.get(text)).toEqual({ text, i });
          expect((await c.find({ text })).map((e) => e.key)).toEqual([text]);
        }
        expect(await c.count()).toBe(HOSTILE_STRINGS.length);
        // the store still works afterwards
        await store.transaction(n, (tx) => tx.collection('hostile').put('after', { ok: true }));
        expect(await c.get('after')).toEqual({ ok: true });
      });

      it('rejects collection names and namespaces that are not plain names', async () => {
        const n = ns();
        for (const bad of ["orders'; DROP TABLE x; --", 'a b', '', 'x"y']) {
          await expect(store.transaction(n, async (tx) => tx.collection(bad).get('k'))).rejects.toThrow(
            ValidationError,
          );
        }
        await expect(store.transaction("ns'; --", async () => undefined)).rejects.toThrow(ValidationError);
      });
    });

    describe('served namespaces', () => {
      it('swaps the served namespace in one transaction and refuses to drop a served one', async () => {
        const projection = `p${randomUUID().slice(0, 8)}`;
        const v1 = `${projection}@v1`;
        const v2 = `${projection}@v1#2`;
        expect(await store.servedNamespace(projection)).toBeUndefined();
        await store.transaction(v1, (tx) => tx.setServed(projection, v1));
        expect(await store.servedNamespace(projection)).toBe(v1);
        await expect(
          store.transaction(v2, async (tx) => {
            await tx.setServed(projection, v2);
            throw new Error('abort');
          }),
        ).rejects.toThrow('abort');
        expect(await store.servedNamespace(projection)).toBe(v1);
        await store.transaction(v2, async (tx) => {
          await tx.setServed(projection, v2);
          expect(await tx.getServed(projection)).toBe(v2);
        });
        expect(await store.servedNamespace(projection)).toBe(v2);
        await expect(store.dropNamespace(v2)).rejects.toThrow(/served/);
        const listed = await store.listNamespaces();
        expect(listed.find((x) => x.namespace === v2)?.servedFor).toBe(projection);
      });
    });

    describe('locks', () => {
      it('lets one owner hold a lease, renew it, and another take over after it expires', async () => {
        const lock = `lock-${randomUUID()}`;
        expect(await store.tryAcquireLock(lock, 'a', 150)).toBe(true);
        expect(await store.tryAcquireLock(lock, 'b', 150)).toBe(false);
        expect(await store.tryAcquireLock(lock, 'a', 150)).toBe(true);
        expect((await store.lockHolder(lock))?.owner).toBe('a');
        await store.transaction(ns(), (tx) => tx.assertLock(lock, 'a'));
        await expect(store.transaction(ns(), (tx) => tx.assertLock(lock, 'b'))).rejects.toBeInstanceOf(
          LockLostError,
        );
        await new Promise((r) => setTimeout(r, 250));
        expect(await store.tryAcquireLock(lock, 'b', 5000)).toBe(true);
        await expect(store.transaction(ns(), (tx) => tx.assertLock(lock, 'a'))).rejects.toBeInstanceOf(
          LockLostError,
        );
        await store.releaseLock(lock, 'a'); // not the owner: no effect
        expect((await store.lockHolder(lock))?.owner).toBe('b');
        await store.releaseLock(lock, 'b');
        expect(await store.lockHolder(lock)).toBeUndefined();
      });
    });

    describe('dead letters', () => {
      it('parks, lists and removes dead letters with the transaction', async () => {
        const n = ns();
        const letter = {
          projection: 'p',
          eventId: randomUUID(),
          eventType: 'order.placed',
          streamId: "order-'1",
          revision: 3n,
          position: { commit: 77n, prepare: 70n },
          error: 'TypeError: boom',
          attempts: 4,
        };
        await expect(
          store.transaction(n, async (tx) => {
            await tx.parkDeadLetter(letter);
            throw new Error('abort');
          }),
        ).rejects.toThrow('abort');
        expect(await store.listDeadLetters(n)).toEqual([]);
        await store.transaction(n, (tx) => tx.parkDeadLetter(letter));
        const [parked] = await store.listDeadLetters(n);
        expect(parked).toMatchObject({ ...letter, namespace: n });
        expect(parked!.parkedAt).toBeInstanceOf(Date);
        await store.transaction(n, (tx) => tx.removeDeadLetter(parked!.id));
        expect(await store.listDeadLetters(n)).toEqual([]);
      });
    });
  });
}
