import { describe, expect, it } from '@jest/globals';
import {
  rebuildProjection,
  type ProjectionEngineEvents,
  type ReadModelStore,
  type ReadModelTransaction,
} from '@rewind/projections';
import type { RecordedEvent } from '@rewind/core';
import {
  behaviour,
  BulkProjection,
  contractApp,
  Counted,
  type ContractApp,
  CounterProjection,
  TallyProjection,
} from './fixtures';
import { eventually, mortal, served, type EngineHarness } from './harness';

/** Longer than any test here: the whole backlog fits in one window unless something ends it. */
const ONE_WINDOW = 60_000;

/** Counts the transactions committed in namespaces starting with `prefix`; `fail(n)` fails the n-th after its work. */
function counting(inner: ReadModelStore, prefix: string, fail: (n: number) => boolean = () => false) {
  const seen = { commits: 0, attempts: 0 };
  const store = new Proxy(inner, {
    get(target, property) {
      if (property !== 'transaction') return Reflect.get(target, property, target) as unknown;
      return <T>(namespace: string, work: (tx: ReadModelTransaction) => Promise<T>) => {
        const mine = namespace.startsWith(prefix);
        return target
          .transaction(namespace, async (tx) => {
            const result = await work(tx);
            // A find makes buffering stores send their writes: the failure comes after them.
            await tx.collection('counters').count();
            if (mine && fail(++seen.attempts)) throw new Error('crash before commit');
            return result;
          })
          .then((result) => {
            if (mine) seen.commits++;
            return result;
          });
      };
    },
  });
  return { store, seen };
}

/**
 * Catch-up windows (`catchUpCommitMs`): a runner far behind, or a rebuild, applies batches into one
 * transaction before it commits. The same guarantees as a commit per batch: every event once, across
 * failed commits, poison events and killed processes; the event loop keeps turning.
 */
export function describeCatchUpWindows(h: EngineHarness): void {
  describe('catch-up windows', () => {
    const backlog = async (events: number, poisonAt?: number) => {
      const shop = contractApp();
      for (let i = 0; i < events; i++)
        await shop.append(`c-${i % 7}`, new Counted(`k${i % 7}`, 1, i === poisonAt));
      return shop;
    };
    const counters = async (store: ReadModelStore) =>
      Object.values(await served<{ count: number; events: number }>(store, 'counters', 'counters'));

    it('applies a backlog of many batches in few commits, every event once', async () => {
      const shop = await backlog(300); // six batches of 50
      const { store, seen } = counting(await h.store(), 'counters@');
      const e = h.engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store,
        processors: [CounterProjection],
        catchUpCommitMs: ONE_WINDOW,
      });
      const counted: number[] = [];
      e.on('batch-committed', ({ projection, count }) => {
        if (projection === 'counters') counted.push(count);
      });
      e.start();
      await e.waitForHead();
      const all = await counters(store);
      expect(all.reduce((n, c) => n + c.count, 0)).toBe(300);
      expect(all.every((c) => c.count === c.events)).toBe(true);
      expect(counted[0]).toBe(300); // the backlog in one commit, not six
      expect(counted.reduce((n, c) => n + c, 0)).toBe(300);
      expect(seen.commits).toBeLessThan(6);
    });

    it('applies each page of the log to the window as it is read, not held for a batch', async () => {
      const shop = await backlog(120);
      // Pages of 10 events (the projector's batches are 50): when the pass asks for the next page, every
      // event of the pages before it must already be applied, so no decoded page waits in memory.
      const asked: Array<{ read: number; applied: number }> = [];
      const eventStore = Object.assign(Object.create(shop.eventStore) as typeof shop.eventStore, {
        async *readAllPages(options?: Parameters<typeof shop.eventStore.readAll>[0]) {
          let page: RecordedEvent[] = [];
          let read = 0;
          for await (const event of shop.eventStore.readAll(options)) {
            page.push(event);
            if (page.length === 10) {
              read += page.length;
              yield page;
              page = [];
              asked.push({ read, applied: behaviour.seenReplay.length });
            }
          }
          if (page.length > 0) yield page;
        },
      });
      const store = await h.store();
      const e = h.engine({
        eventStore,
        events: shop.events,
        store,
        processors: [CounterProjection],
        catchUpCommitMs: ONE_WINDOW,
      });
      e.start();
      await e.waitForHead();
      expect(asked.length).toBeGreaterThanOrEqual(11);
      expect(asked.filter(({ read, applied }) => applied !== read)).toEqual([]);
      const all = await counters(store);
      expect(all.reduce((n, c) => n + c.count, 0)).toBe(120);
    });

    /** 100 events over 5 keys, for the tally projector (batches of 25). */
    const tallyBacklog = async () => {
      const shop = contractApp();
      for (let i = 0; i < 100; i++) await shop.append(`c-${i % 5}`, new Counted(`k${i % 5}`, 1));
      return shop;
    };
    /** Each batch of the tally projector waits `ms` at its first event: every batch outlasts a short window. */
    const slowBatches = (ms: number, also?: (applied: number) => void) => {
      behaviour.onTally = async (applied) => {
        also?.(applied);
        if (applied % 25 === 1) await new Promise((resolve) => setTimeout(resolve, ms));
      };
    };
    /** Runs the tally projector to the head with windows of 100 ms. */
    const tallyToHead = async (shop: ContractApp, store: ReadModelStore) => {
      const e = h.engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store,
        processors: [TallyProjection],
        catchUpCommitMs: 100,
      });
      e.start();
      await e.waitForHead(20_000);
    };
    const reportsPressure = async (store: ReadModelStore) =>
      store.transaction('contract-pressure', async (tx) => typeof tx.pressure === 'function');

    it('stretches a window past catchUpCommitMs while nothing waits for the store (stores that report pressure)', async () => {
      const shop = await tallyBacklog();
      const inner = await h.store();
      const stretches = await reportsPressure(inner);
      const { store, seen } = counting(inner, 'tally@');
      // Every batch takes longer than catchUpCommitMs: without stretching, one commit per batch (4).
      // Stretched, a window goes on to 4 x 100 ms while its 5 documents are written again and again.
      slowBatches(105);
      await tallyToHead(shop, store);
      if (stretches) expect(seen.commits).toBeLessThan(4);
      else expect(seen.commits).toBeGreaterThanOrEqual(4);
      expect(await served(store, 'tally', 'tallies')).toEqual({
        k0: { count: 20 },
        k1: { count: 20 },
        k2: { count: 20 },
        k3: { count: 20 },
        k4: { count: 20 },
      });
    });

    it('commits a window once it has run catchUpCommitMs when another transaction waits for the store', async () => {
      const shop = await tallyBacklog();
      const store = await h.store();
      // In the second batch, another transaction asks for the store: the window, past its 100 ms after
      // that batch, must commit and let it run, not stretch on (up to 400 ms: into the third batch).
      let other: Promise<number> | undefined;
      slowBatches(105, (applied) => {
        if (applied === 30) other = store.transaction('contract-other', async () => behaviour.tallied);
      });
      await tallyToHead(shop, store);
      expect(other).toBeDefined();
      expect(await other).toBeLessThanOrEqual(50);
    });

    it('rolls a window back when its commit fails, and applies every event once on the retry', async () => {
      const shop = await backlog(300);
      const { store, seen } = counting(await h.store(), 'counters@', (n) => n <= 2);
      const e = h.engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store,
        processors: [CounterProjection],
        catchUpCommitMs: ONE_WINDOW,
      });
      const retried: unknown[] = [];
      e.on('runner-error', ({ error }) => retried.push(error));
      e.start();
      await e.waitForHead(20_000);
      expect(retried).toHaveLength(2);
      expect(seen.attempts).toBeGreaterThan(2);
      const all = await counters(store);
      expect(all.reduce((n, c) => n + c.count, 0)).toBe(300);
      expect(all.every((c) => c.count === c.events)).toBe(true);
    });

    it('parks a poison event met inside a window; the events around it are applied once', async () => {
      behaviour.failOnPoison = true;
      const shop = await backlog(300, 170);
      const store = await h.store();
      const e = h.engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store,
        processors: [CounterProjection],
        catchUpCommitMs: ONE_WINDOW,
      });
      e.start();
      await e.waitForHead(20_000);
      const [letter] = await e.deadLetters('counters');
      expect(letter).toMatchObject({ streamId: `c-${170 % 7}`, attempts: 3 });
      expect(letter!.error).toMatch(/poison k2/);
      const all = await counters(store);
      expect(all.reduce((n, c) => n + c.count, 0)).toBe(299);
      expect(all.every((c) => c.count === c.events)).toBe(true);
    });

    it('commits nothing of a window when the process dies inside it; the successor applies every event once', async () => {
      const shop = contractApp();
      for (let i = 0; i < 200; i++) await shop.append(`c-${i % 5}`, new Counted(`k${i % 5}`, 1));
      const inner = await h.store();
      const a = mortal(inner, 'tally@');
      behaviour.onTally = (applied) => {
        if (applied === 90) a.kill();
      };
      const first = h.engine(
        {
          eventStore: shop.eventStore,
          events: shop.events,
          store: a.store,
          processors: [TallyProjection],
          owner: 'A',
          lockTtlMs: 150,
          catchUpCommitMs: ONE_WINDOW,
        },
        false,
      );
      first.start();
      await eventually(() => a.dead, 'process A to die');
      const namespace = await inner.servedNamespace('tally');
      // The first window held events 1 to 90 and more: none of it was committed.
      expect(namespace ? await inner.getCheckpoint(namespace) : undefined).toBeUndefined();
      expect(namespace ? await inner.collection(namespace, 'tallies').count() : 0).toBe(0);
      const other = await h.store();
      const b = h.engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store: other,
        processors: [TallyProjection],
        owner: 'B',
        lockTtlMs: 150,
        catchUpCommitMs: ONE_WINDOW,
      });
      b.start();
      await b.runner('tally').waitForHead(10_000);
      expect(await served(other, 'tally', 'tallies')).toEqual({
        k0: { count: 40 },
        k1: { count: 40 },
        k2: { count: 40 },
        k3: { count: 40 },
        k4: { count: 40 },
      });
      const stopped = first.stop();
      a.bury();
      await stopped;
    });

    it('lets the event loop turn between the batches of a window', async () => {
      const shop = contractApp();
      for (let i = 0; i < 100; i++)
        await shop.append(
          `c-${i % 10}`,
          ...Array.from({ length: 100 }, (_, j) => new Counted(`k${j % 100}`, 1)),
        );
      const { store, seen } = counting(await h.store(), 'bulk@');
      let turns = 0;
      let ticking = true;
      const tick = () => {
        turns++;
        if (ticking) setImmediate(tick);
      };
      setImmediate(tick);
      const e = h.engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store,
        processors: [BulkProjection],
        catchUpCommitMs: ONE_WINDOW,
      });
      try {
        e.start();
        await e.waitForHead(60_000);
      } finally {
        ticking = false;
      }
      expect(seen.commits).toBeLessThan(20); // 10,000 events in batches of 500: windows, not a commit each
      expect(turns).toBeGreaterThanOrEqual(19); // a turn after every batch
      expect(Object.keys(await served(store, 'bulk', 'last'))).toHaveLength(100);
    }, 60_000);

    it('stops a rebuild at a handler failure inside a window, with every event before it committed', async () => {
      const shop = await backlog(200, 130);
      const store = await h.store();
      const e = h.engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store,
        processors: [CounterProjection],
      });
      e.start();
      await e.waitForHead();
      behaviour.failOnPoison = true;
      const finished: Array<ProjectionEngineEvents['rebuild-finished']> = [];
      e.on('rebuild-finished', (event) => finished.push(event));
      await expect(
        rebuildProjection(e, 'counters', { batchSize: 25, catchUpCommitMs: ONE_WINDOW }),
      ).rejects.toThrow(/stopped at rewind-contract\.counted c-4@18 .*poison k4/);
      // Replayed batch by batch after the window rolled back: five batches of 25 commit, the sixth stops.
      expect(finished).toEqual([expect.objectContaining({ processed: 125, error: expect.any(Error) })]);
      behaviour.failOnPoison = false;
      const resumed = await rebuildProjection(e, 'counters', { batchSize: 25, catchUpCommitMs: ONE_WINDOW });
      expect(resumed).toMatchObject({ resumed: true, processed: 75 });
      const all = await counters(store);
      expect(all.reduce((n, c) => n + c.count, 0)).toBe(200);
      expect(all.every((c) => c.count === c.events)).toBe(true);
    });
  });
}
