import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { InMemoryReadModelStore, TransactionQueue, type ReadModelTransaction } from '../src';
import {
  openTransactionWindow,
  STRETCH_EVENTS_PER_DOCUMENT,
  STRETCH_MAX_DOCUMENTS,
} from '../src/runner/commitWindow';
import type { RecordedEvent } from '@rewind/core';

describe('TransactionQueue', () => {
  it('runs work one at a time, in order, and counts what waits', async () => {
    const queue = new TransactionQueue();
    const seen: string[] = [];
    let release!: () => void;
    const first = queue.run(async () => {
      seen.push(`first (waiting ${queue.waiting})`);
      await new Promise<void>((resolve) => (release = resolve));
    });
    const second = queue.run(() => {
      seen.push(`second (waiting ${queue.waiting})`);
      return 2;
    });
    expect(queue.waiting).toBe(2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(queue.waiting).toBe(1); // first runs, second waits for it
    release();
    await expect(second).resolves.toBe(2);
    await first;
    expect(seen).toEqual(['first (waiting 1)', 'second (waiting 0)']);
    expect(queue.waiting).toBe(0);
  });

  it('goes on after a failed transaction, and drains', async () => {
    const queue = new TransactionQueue();
    const failed = queue.run(() => Promise.reject(new Error('boom')));
    const next = queue.run(() => 'next');
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('next');
    await expect(queue.drained()).resolves.toBeUndefined();
  });
});

describe('a commit window stretches', () => {
  /** A window whose apply puts one document per event, keyed by `keyOf`. */
  const open = (store: InMemoryReadModelStore, keyOf: (i: number) => string) => {
    let n = 0;
    return openTransactionWindow(
      store,
      'ns',
      async () => undefined,
      async (tx: ReadModelTransaction, events) => {
        for (const _ of events) await tx.collection('docs').put(keyOf(n++), { n });
      },
    );
  };
  const events = (count: number) => Array.from({ length: count }) as RecordedEvent[];
  const checkpoint = { commit: 1n, prepare: 1n };

  it('while its documents are written again and again and nothing waits for the store', async () => {
    const store = new InMemoryReadModelStore();
    const window = await open(store, (i) => `k${i % 10}`);
    await window.apply(events(10));
    expect(window.stretch()).toBe(STRETCH_EVENTS_PER_DOCUMENT <= 1); // 10 events, 10 documents
    await window.apply(events(10 * STRETCH_EVENTS_PER_DOCUMENT));
    expect(window.stretch()).toBe(true);
    await window.commit(checkpoint);
  });

  it('not when another transaction waits for the store', async () => {
    const store = new InMemoryReadModelStore();
    const window = await open(store, (i) => `k${i % 10}`);
    await window.apply(events(100));
    expect(window.stretch()).toBe(true);
    const other = store.transaction('other', async () => 'ran');
    expect(window.stretch()).toBe(false);
    await window.commit(checkpoint);
    await expect(other).resolves.toBe('ran');
  });

  it('not when every event writes a document of its own', async () => {
    const store = new InMemoryReadModelStore();
    const window = await open(store, (i) => `k${i}`);
    await window.apply(events(100));
    expect(window.stretch()).toBe(false);
    await window.abort();
  });

  it(`not past ${STRETCH_MAX_DOCUMENTS} documents, however often they were written`, async () => {
    const store = new InMemoryReadModelStore();
    const window = await open(store, (i) => `k${i % (STRETCH_MAX_DOCUMENTS + 1)}`);
    await window.apply(events((STRETCH_MAX_DOCUMENTS + 1) * STRETCH_EVENTS_PER_DOCUMENT * 2));
    expect(window.stretch()).toBe(false);
    await window.abort();
  });

  it('not on a store that does not report pressure', async () => {
    const inner = new InMemoryReadModelStore();
    const store = Object.assign(Object.create(inner) as InMemoryReadModelStore, {
      transaction: <T>(ns: string, work: (tx: ReadModelTransaction) => Promise<T>) =>
        inner.transaction(ns, (tx) =>
          work(
            new Proxy(tx, {
              get: (target, property) =>
                property === 'pressure' ? undefined : (Reflect.get(target, property, target) as unknown),
            }),
          ),
        ),
    });
    const window = await open(store, () => 'same');
    await window.apply(events(100));
    expect(window.stretch()).toBe(false);
    await window.abort();
  });
});
