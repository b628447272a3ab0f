import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sequencePosition, ValidationError } from '@rewind/core';
import { LockLostError, type FindOptions, type ReadModelStore } from '@rewind/projections';
import { describeCheckpointsAndNamespaces } from './readModelStore/checkpointsAndNamespaces';
import { describeConcurrentConnections, describeRawSql } from './readModelStore/connections';
import { randomUUID } from 'node:crypto';

/** How the contract suite obtains a read-model store; `dispose` runs after the suite. */
export interface ReadModelStoreUnderTest {
  readonly store: ReadModelStore;
  /**
   * Another connection to the same database (another pool, another file handle), as another process
   * would have; the same store where there is only one. Enables the cases about concurrent writers.
   */
  another?(): Promise<ReadModelStore> | ReadModelStore;
  /**
   * For stores whose `tx.native` runs raw SQL inside the transaction: writes a document with it. Stores
   * that refuse `tx.native` (or have none) leave this out, and the suite checks that they refuse.
   */
  rawWrite?(native: unknown, namespace: string, collection: string, key: string, doc: object): Promise<void>;
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
        // direction applies to a field only: without orderBy, results come by key ascending
        expect(await keys({}, { direction: 'desc' })).toEqual(['p1', 'p2', 'p3']);
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

    describeReadModelStoreSemantics(() => store, ns);
    describeCheckpointsAndNamespaces(() => store, ns);
    describeRawSql(() => under, ns);
    describeConcurrentConnections(() => under, ns);

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

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The precise semantics every store must share, so that a projection gives the same read model and
 * the same query results on every store: document round-trips and isolation, transaction
 * serialization, checkpoints beyond 2^53, and the exact meaning of filters and ordering
 * (JSON types never mix; `null` matches a missing field; missing fields sort last).
 */
function describeReadModelStoreSemantics(store: () => ReadModelStore, ns: () => string): void {
  describe('document round-trips', () => {
    it('returns documents exactly as put: nesting, arrays, unicode, numbers, booleans, null', async () => {
      const n = ns();
      const doc = {
        text: 'énergie ⚡ 에너지바 "quoted" \'single\' ; -- \\ \n tab\t',
        empty: '',
        int: -42,
        float: 2500.75,
        big: Number.MAX_SAFE_INTEGER,
        yes: true,
        no: false,
        nothing: null,
        list: [1, 'two', { three: [3] }, null, true],
        nested: { a: { b: { c: 'deep' } } },
      };
      await store().transaction(n, (tx) => tx.collection('docs').put("k'; DROP TABLE x; --", doc));
      expect(await store().collection(n, 'docs').get("k'; DROP TABLE x; --")).toEqual(doc);
    });

    it('keeps stored documents apart from the objects given to put and returned by get', async () => {
      const n = ns();
      const given = { count: 1, lines: [{ qty: 1 }] };
      await store().transaction(n, async (tx) => {
        await tx.collection('c').put('k', given);
        given.count = 99;
        given.lines[0]!.qty = 99;
        const inside = (await tx.collection('c').get('k')) as typeof given;
        expect(inside).toEqual({ count: 1, lines: [{ qty: 1 }] });
      });
      const read = (await store().collection(n, 'c').get('k')) as typeof given;
      try {
        read.count = 7;
        read.lines[0]!.qty = 7;
      } catch {
        // frozen documents refuse changes: that is allowed too
      }
      expect(await store().collection(n, 'c').get('k')).toEqual({ count: 1, lines: [{ qty: 1 }] });
    });

    it('stores a field named __proto__ as a field, never as the prototype', async () => {
      const n = ns();
      const doc = JSON.parse('{"__proto__": {"x": 1}, "a": 1}') as Record<string, unknown>;
      const check = (read: object | undefined) => {
        expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
        expect(Object.keys(read!).sort()).toEqual(['__proto__', 'a']); // PostgreSQL's jsonb orders keys its own way
        expect(Object.getOwnPropertyDescriptor(read, '__proto__')?.value).toEqual({ x: 1 });
      };
      await store().transaction(n, async (tx) => {
        await tx.collection('c').put('k', doc);
        check(await tx.collection('c').get('k'));
      });
      check(await store().collection(n, 'c').get('k'));
    });

    it('keeps the last of many puts of a document in one transaction, apart from what gets returned before', async () => {
      const n = ns();
      await store().transaction(n, async (tx) => {
        const c = tx.collection<Record<string, unknown>>('c');
        await c.put('k', { a: 1, b: { x: 1 }, c: 'one' });
        const first = await c.get('k');
        await c.put('k', { a: 2, b: { x: 2 }, c: 'two' }); // the same fields in the same order
        const second = (await c.get('k')) as { b: { x: number } };
        await c.put('k', { b: { x: 3 }, a: 3, c: 'three' }); // the same fields in another order
        await c.put('k', { a: 4, b: { x: 4 } }); // a field fewer
        await c.put('k', { a: 5, b: { x: 5 }, d: true }); // as many fields, one of them new
        expect(first).toEqual({ a: 1, b: { x: 1 }, c: 'one' });
        expect(second).toEqual({ a: 2, b: { x: 2 }, c: 'two' });
        try {
          second.b.x = 99;
        } catch {
          // frozen documents refuse changes: that is allowed too
        }
        expect(await c.get('k')).toEqual({ a: 5, b: { x: 5 }, d: true });
      });
      expect(await store().collection(n, 'c').get('k')).toEqual({ a: 5, b: { x: 5 }, d: true });
      // Put again and again in a transaction that fails: the committed document stays as it was.
      await expect(
        store().transaction(n, async (tx) => {
          const c = tx.collection('c');
          await c.get('k');
          for (let i = 0; i < 3; i++) await c.put('k', { a: 10 + i, b: { x: 10 + i }, d: false });
          throw new Error('handler failed');
        }),
      ).rejects.toThrow('handler failed');
      expect(await store().collection(n, 'c').get('k')).toEqual({ a: 5, b: { x: 5 }, d: true });
      await store().transaction(n, async (tx) => {
        expect(await tx.collection('c').get('k')).toEqual({ a: 5, b: { x: 5 }, d: true });
      });
    });

    it('put replaces the whole document; patch merges top-level fields and creates a missing one', async () => {
      const n = ns();
      await store().transaction(n, async (tx) => {
        const c = tx.collection('c');
        await c.put('k', { a: { x: 1, y: 2 }, b: 1 });
        await c.put('k', { c: 3 });
        await c.patch('k', { d: 4 });
        await c.put('m', { a: { x: 1, y: 2 }, b: 1 });
        await c.patch('m', { a: { x: 5 } });
        await c.patch('new', { fresh: true });
      });
      const c = store().collection(n, 'c');
      expect(await c.get('k')).toEqual({ c: 3, d: 4 });
      expect(await c.get('m')).toEqual({ a: { x: 5 }, b: 1 });
      expect(await c.get('new')).toEqual({ fresh: true });
    });

    it('increment adds to numeric fields, creating the document or the field from 0, keeping other fields', async () => {
      const n = ns();
      await store().transaction(n, async (tx) => {
        const c = tx.collection('counters');
        await c.put('a', { sold: 2, name: 'bar', nothing: null });
        await c.increment('a', { sold: 3, revenue: 2500, nothing: 1 });
        await c.increment('new', { sold: 1 });
        await c.increment('new', { sold: 1, refunds: -1 });
      });
      await store().transaction(n, async (tx) => {
        const c = tx.collection('counters');
        await c.increment('a', { sold: 1 });
        expect(await c.get('a')).toEqual({ sold: 6, name: 'bar', nothing: 1, revenue: 2500 });
        await c.increment('a', { sold: 1 }); // after a read in the same transaction
        await c.increment('b', { n: 1 });
        expect(await c.count({ n: 1 })).toBe(1); // queries see buffered increments
        await c.increment('gone', { n: 1 });
        await c.delete('gone');
        await c.delete('again');
        await c.increment('again', { n: 5 });
        await c.patch('patched', { label: 'x' });
        await c.increment('patched', { n: 2 });
      });
      const c = store().collection(n, 'counters');
      expect(await c.get('a')).toEqual({ sold: 7, name: 'bar', nothing: 1, revenue: 2500 });
      expect(await c.get('new')).toEqual({ sold: 2, refunds: -1 });
      expect(await c.get('gone')).toBeUndefined();
      expect(await c.get('again')).toEqual({ n: 5 });
      expect(await c.get('patched')).toEqual({ label: 'x', n: 2 });
    });

    it('increment refuses deltas that are not finite numbers, and fields that hold something else', async () => {
      const n = ns();
      await store().transaction(n, (tx) => tx.collection('c').put('k', { label: 'x', count: 1 }));
      for (const deltas of [{}, { count: '1' }, { count: Number.NaN }, { count: Infinity }]) {
        await expect(
          store().transaction(n, (tx) => tx.collection('c').increment('k', deltas as Record<string, number>)),
        ).rejects.toMatchObject({ code: 'VALIDATION' });
      }
      // At the call or at the commit (stores that add in the database): the transaction fails either way.
      await expect(
        store().transaction(n, (tx) => tx.collection('c').increment('k', { label: 1 })),
      ).rejects.toThrow(/label/);
      expect(await store().collection(n, 'c').get('k')).toEqual({ label: 'x', count: 1 });
    });

    it('hides a document deleted in the transaction from get, find and count, and revives it on put', async () => {
      const n = ns();
      await store().transaction(n, async (tx) => {
        await tx.collection('c').put('a', { v: 1 });
        await tx.collection('c').put('b', { v: 2 });
      });
      await store().transaction(n, async (tx) => {
        const c = tx.collection('c');
        await c.delete('a');
        expect(await c.get('a')).toBeUndefined();
        expect((await c.find()).map((e) => e.key)).toEqual(['b']);
        expect(await c.count({ v: 1 })).toBe(0);
        await c.put('a', { v: 3 });
        expect((await c.find({}, { orderBy: 'v' })).map((e) => e.key)).toEqual(['b', 'a']);
        await c.delete('missing');
      });
      expect(await store().collection(n, 'c').get('a')).toEqual({ v: 3 });
    });

    it('keeps collections of one namespace apart and lists them sorted', async () => {
      const n = ns();
      await store().transaction(n, async (tx) => {
        await tx.collection('orders').put('k', { from: 'orders' });
        await tx.collection('Customers').put('k', { from: 'Customers' });
        await tx.collection('line_items-2').put('k', { from: 'line_items-2' });
      });
      expect(await store().collection(n, 'orders').get('k')).toEqual({ from: 'orders' });
      expect(await store().collection(n, 'Customers').get('k')).toEqual({ from: 'Customers' });
      expect(await store().listCollections(n)).toEqual(['Customers', 'line_items-2', 'orders']);
      expect(await store().listCollections(ns())).toEqual([]);
    });
  });

  describe('transactions', () => {
    it('returns what the work returns and leaves the checkpoint alone when it is not set', async () => {
      const n = ns();
      await store().transaction(n, (tx) => tx.setCheckpoint({ commit: 5n, prepare: 5n }));
      const result = await store().transaction(n, async (tx) => {
        await tx.collection('c').put('k', { v: 1 });
        return 'done';
      });
      expect(result).toBe('done');
      expect(await store().transaction(n, (tx) => tx.getCheckpoint())).toEqual({ commit: 5n, prepare: 5n });
    });

    it('serializes concurrent transactions: no read-modify-write is lost', async () => {
      const n = ns();
      await Promise.all(
        Array.from({ length: 25 }, () =>
          store().transaction(n, async (tx) => {
            const c = tx.collection<{ count: number }>('counters');
            const current = await c.get('k');
            await sleep(0);
            await c.put('k', { count: (current?.count ?? 0) + 1 });
          }),
        ),
      );
      expect(await store().collection(n, 'counters').get('k')).toEqual({ count: 25 });
    });

    it('never shows uncommitted writes to readers outside the transaction', async () => {
      const n = ns();
      await store().transaction(n, async (tx) => {
        await tx.collection('c').put('k', { v: 1 });
        await tx.collection('c').find();
        const outside = await Promise.race([
          store().collection(n, 'c').get('k'),
          sleep(200).then(() => 'waits for the commit' as const),
        ]);
        expect(outside === undefined || outside === 'waits for the commit').toBe(true);
      });
      expect(await store().collection(n, 'c').get('k')).toEqual({ v: 1 });
    });

    it('keeps checkpoints per namespace and stores positions beyond 2^53 exactly', async () => {
      const a = ns();
      const b = ns();
      const huge = { commit: 2n ** 63n - 1n, prepare: 2n ** 62n + 12345n };
      await store().transaction(a, async (tx) => {
        await tx.setCheckpoint(huge);
        await tx.collection('c').put('k', { v: 1 });
        await tx.collection('d').put('k', { v: 1 });
      });
      await store().transaction(b, (tx) => tx.setCheckpoint(sequencePosition(3)));
      expect(await store().transaction(a, (tx) => tx.getCheckpoint())).toEqual(huge);
      expect(await store().transaction(b, (tx) => tx.getCheckpoint())).toEqual(sequencePosition(3));
      const listed = await store().listNamespaces();
      expect(listed.find((x) => x.namespace === a)).toMatchObject({ checkpoint: huge, documents: 2 });
      expect(listed.find((x) => x.namespace === b)).toMatchObject({ checkpoint: sequencePosition(3) });
    });

    it('drops a namespace with its documents, checkpoint and dead letters, and nothing else', async () => {
      const a = ns();
      const b = ns();
      const letter = {
        projection: 'p',
        eventId: randomUUID(),
        eventType: 't',
        streamId: 's-1',
        revision: 0n,
        position: sequencePosition(1),
        error: 'e',
        attempts: 1,
      };
      for (const n of [a, b]) {
        await store().transaction(n, async (tx) => {
          await tx.collection('c').put('k', { n });
          await tx.setCheckpoint(sequencePosition(9));
          await tx.parkDeadLetter(letter);
        });
      }
      await store().dropNamespace(a);
      expect(await store().collection(a, 'c').get('k')).toBeUndefined();
      expect(await store().transaction(a, (tx) => tx.getCheckpoint())).toBeUndefined();
      expect(await store().listDeadLetters(a)).toEqual([]);
      expect(await store().listCollections(a)).toEqual([]);
      expect((await store().listNamespaces()).some((x) => x.namespace === a)).toBe(false);
      expect(await store().collection(b, 'c').get('k')).toEqual({ n: b });
      expect(await store().listDeadLetters(b)).toHaveLength(1);
    });
  });

  describe('filters and ordering', () => {
    const n = `contract_sem_${randomUUID().slice(0, 8)}@v1`;
    const rows: Record<string, Record<string, unknown>> = {
      a: { n: 1, s: 'apple', flag: true, opt: null, tag: "O'Brien" },
      b: { n: 10, s: 'Banana', flag: false, opt: 'x', tag: 'Robert"); DROP TABLE students;--' },
      c: { n: '5', s: 'cherry', flag: 1, tag: 'énergie ⚡' },
      d: { n: 2.5, s: 10, flag: 'true', opt: 0 },
      e: { s: 'date', nested: { n: 3 } },
    };
    const keys = async (filter: Record<string, unknown>, options?: FindOptions) =>
      (await store().collection(n, 'rows').find(filter, options)).map((e) => e.key);

    beforeAll(async () => {
      await store().transaction(n, async (tx) => {
        for (const [key, doc] of Object.entries(rows)) await tx.collection('rows').put(key, doc);
      });
    });

    it('never matches across JSON types: 1 is not "1", true is not 1 nor "true"', async () => {
      expect(await keys({ n: 1 })).toEqual(['a']);
      expect(await keys({ n: '5' })).toEqual(['c']);
      expect(await keys({ n: 5 })).toEqual([]);
      expect(await keys({ flag: true })).toEqual(['a']);
      expect(await keys({ flag: false })).toEqual(['b']);
      expect(await keys({ flag: 1 })).toEqual(['c']);
      expect(await keys({ flag: 'true' })).toEqual(['d']);
      expect(await keys({ s: 10 })).toEqual(['d']);
    });

    it('compares numbers with numbers and strings with strings only, strings by code unit', async () => {
      expect(await keys({ n: { $gt: 0 } })).toEqual(['a', 'b', 'd']);
      expect(await keys({ n: { $gte: 2.5, $lt: 10 } })).toEqual(['d']);
      expect(await keys({ n: { $lte: '9' } })).toEqual(['c']);
      expect(await keys({ s: { $lt: 'a' } })).toEqual(['b']);
      expect(await keys({ s: { $gte: 'b' } })).toEqual(['c', 'e']);
      expect(await keys({ 'nested.n': { $gt: 2 } })).toEqual(['e']);
    });

    it('treats null as "null or missing", and $ne as "anything else, missing included"', async () => {
      expect(await keys({ opt: null })).toEqual(['a', 'c', 'e']);
      expect(await keys({ opt: { $ne: null } })).toEqual(['b', 'd']);
      expect(await keys({ opt: 0 })).toEqual(['d']);
      expect(await keys({ n: { $ne: 1 } })).toEqual(['b', 'c', 'd', 'e']);
      expect(await keys({ nowhere: null })).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(await keys({ 'nested.n': null })).toEqual(['a', 'b', 'c', 'd']);
    });

    it('matches $in by type and value; an empty $in matches nothing', async () => {
      expect(await keys({ n: { $in: [1, '5', 7] } })).toEqual(['a', 'c']);
      expect(await keys({ tag: { $in: HOSTILE_STRINGS } })).toEqual(['a', 'b']);
      expect(await keys({ opt: { $in: [null, 'x'] } })).toEqual(['a', 'b', 'c', 'e']);
      expect(await keys({ n: { $in: [] } })).toEqual([]);
    });

    it('matches hostile values as plain data in every operator', async () => {
      const tagged = Object.entries(rows);
      for (const text of HOSTILE_STRINGS) {
        const tagOf = (doc: Record<string, unknown>) => doc.tag as string | undefined;
        expect(await keys({ tag: { $ne: text } })).toEqual(
          tagged.filter(([, d]) => tagOf(d) !== text).map(([k]) => k),
        );
        expect(await keys({ tag: { $gt: text } })).toEqual(
          tagged.filter(([, d]) => tagOf(d) !== undefined && tagOf(d)! > text).map(([k]) => k),
        );
      }
      expect(await keys({ tag: "O'Brien" })).toEqual(['a']);
      expect(await keys({ tag: { $gte: 'Robert"); DROP', $lt: 'Robert"); DROQ' } })).toEqual(['b']);
    });

    it('orders by a field (numbers numerically), missing fields last, ties by key', async () => {
      expect(await keys({ n: { $ne: '5' } }, { orderBy: 'n' })).toEqual(['a', 'd', 'b', 'e']);
      expect(await keys({ n: { $ne: '5' } }, { orderBy: 'n', direction: 'desc' })).toEqual([
        'b',
        'd',
        'a',
        'e',
      ]);
      expect(await keys({ s: { $in: ['apple', 'Banana', 'cherry', 'date'] } }, { orderBy: 's' })).toEqual([
        'b',
        'a',
        'c',
        'e',
      ]);
      expect(await keys({}, { orderBy: 'nested.n', limit: 2 })).toEqual(['e', 'a']);
      expect(await keys({}, { orderBy: 'nowhere', direction: 'desc' })).toEqual(['a', 'b', 'c', 'd', 'e']);
    });

    it('accepts only scalar filter values and arrays of them for $in', async () => {
      const c = store().collection(n, 'rows');
      await expect(c.find({ nested: { n: 3 } })).rejects.toThrow(ValidationError);
      await expect(c.find({ n: [1, 2] })).rejects.toThrow(ValidationError);
      await expect(c.find({ n: { $in: [[1]] } })).rejects.toThrow(ValidationError);
      await expect(c.find({ n: { $gt: null } })).rejects.toThrow(ValidationError);
      await expect(c.find({ n: { $gt: true } })).rejects.toThrow(ValidationError);
      await expect(c.find({ n: Number.NaN })).rejects.toThrow(ValidationError);
      await expect(c.find({ n: undefined })).rejects.toThrow(ValidationError);
      await expect(c.find({}, { limit: -1 })).rejects.toThrow(ValidationError);
    });
  });

  describe('locks and dead letters, precisely', () => {
    it('hands a released lock to the next owner at once and keeps lock names apart', async () => {
      const lock = `lock-${randomUUID()}`;
      const other = `${lock}-other`;
      expect(await store().lockHolder(lock)).toBeUndefined();
      expect(await store().tryAcquireLock(lock, 'a', 60_000)).toBe(true);
      expect(await store().tryAcquireLock(other, 'b', 60_000)).toBe(true);
      expect(await store().tryAcquireLock(lock, 'b', 60_000)).toBe(false);
      await store().releaseLock(lock, 'a');
      expect(await store().tryAcquireLock(lock, 'b', 60_000)).toBe(true);
      const holder = await store().lockHolder(lock);
      expect(holder?.owner).toBe('b');
      expect(holder!.expiresAt.getTime()).toBeGreaterThan(Date.now() + 50_000);
      await store().releaseLock(lock, 'b');
      await store().releaseLock(other, 'b');
    });

    it('forgets an expired lease: no holder, and its owner is fenced out', async () => {
      const lock = `lock-${randomUUID()}`;
      expect(await store().tryAcquireLock(lock, "owner'; --", 100)).toBe(true);
      expect((await store().lockHolder(lock))?.owner).toBe("owner'; --");
      await sleep(200);
      expect(await store().lockHolder(lock)).toBeUndefined();
      await expect(
        store().transaction(ns(), (tx) => tx.assertLock(lock, "owner'; --")),
      ).rejects.toBeInstanceOf(LockLostError);
    });

    it('keeps hostile text in dead letters as data and lists every namespace by position', async () => {
      const a = ns();
      const b = ns();
      const letter = (position: bigint, text: string) => ({
        projection: text,
        eventId: randomUUID(),
        eventType: text,
        streamId: text,
        revision: 2n ** 60n,
        position: { commit: position, prepare: position },
        error: `Error: ${text}`,
        attempts: 3,
      });
      await store().transaction(a, (tx) => tx.parkDeadLetter(letter(20n, HOSTILE_STRINGS[1]!)));
      await store().transaction(b, (tx) => tx.parkDeadLetter(letter(10n, HOSTILE_STRINGS[6]!)));
      const mine = (await store().listDeadLetters()).filter((l) => l.namespace === a || l.namespace === b);
      expect(mine.map((l) => [l.namespace, l.streamId, l.position.commit])).toEqual([
        [b, HOSTILE_STRINGS[6], 10n],
        [a, HOSTILE_STRINGS[1], 20n],
      ]);
      const { eventId: _id, ...rest } = letter(20n, HOSTILE_STRINGS[1]!);
      expect(mine[1]).toMatchObject({ ...rest, namespace: a });
      expect(new Set(mine.map((l) => l.id)).size).toBe(2);
    });
  });
}
