import { describe, expect, it } from '@jest/globals';
import { InMemoryEventStore, type Position } from '@rewind/core';
import {
  diffNamespaces,
  LockLostError,
  rebuildAll,
  rebuildProjection,
  type ProjectionEngineEvents,
  type ReadModelStore,
  type ReadModelTransaction,
  type RebuildProgress,
} from '@rewind/projections';
import { expectRebuildEquivalent } from '../../rebuild/rebuildEquivalence';
import {
  behaviour,
  contractApp,
  Counted,
  CounterProjection,
  NotifierReactor,
  Renamed,
  RenameProjection,
} from './fixtures';
import { eventually, served, type EngineHarness } from './harness';

type Counter = { count: number; events: number; name?: string };

/** Rebuilds: no downtime, never a step back, fenced, resumable or fresh, and the past on demand. */
export function describeRebuilds(h: EngineHarness): void {
  async function setup(processors: (new () => object)[] = [CounterProjection, RenameProjection]) {
    let now = new Date('2026-06-01T09:00:00Z').getTime();
    const eventStore = new InMemoryEventStore({ clock: () => new Date(now) });
    const shop = contractApp(eventStore);
    const store = await h.store();
    const engine = h.engine({ eventStore, events: shop.events, store, processors });
    return { ...shop, store, engine, tick: (ms: number) => (now += ms), now: () => new Date(now) };
  }
  const total = async (store: ReadModelStore) =>
    Object.values(await served<Counter>(store, 'counters', 'counters')).reduce((n, c) => n + c.count, 0);
  /** Swaps the counter handler for `handler` (as a deploy of new code would). */
  const deploy = (engine: ReturnType<typeof h.engine>, handler: CounterProjection['counted']) => {
    const definition = engine.definition('counters');
    (definition.handlers as Map<string, unknown>).set(
      'rewind-contract.counted',
      handler.bind(definition.instance),
    );
  };

  describe('rebuilds', () => {
    it('build a new namespace, swap it in one step, drop the old one, and the live runner follows', async () => {
      const s = await setup();
      for (let i = 0; i < 40; i++) await s.append(`c-${i % 3}`, new Counted(`k${i % 3}`, 1));
      s.engine.start();
      await s.engine.waitForHead();
      const before = (await s.store.servedNamespace('counters'))!;
      const progress: RebuildProgress[] = [];
      const seen: string[] = [];
      s.engine.on('rebuild-started', (e) => seen.push(`started resumed=${e.resumed}`));
      s.engine.on('rebuild-swapped', (e) => seen.push(`swapped ${e.replaced === before}`));
      s.engine.on('rebuild-finished', (e) => seen.push(`finished ${e.processed} ${e.error ?? 'ok'}`));
      const result = await rebuildProjection(s.engine, 'counters', {
        onProgress: (p) => progress.push(p),
        batchSize: 7,
      });
      expect(result).toMatchObject({ scratch: false, processed: 40, replaced: before, resumed: false });
      expect(await s.store.servedNamespace('counters')).toBe(result.namespace);
      expect((await s.store.listNamespaces()).map((n) => n.namespace)).not.toContain(before);
      expect(progress.at(-1)).toMatchObject({ phase: 'done', processed: 40 });
      expect(progress.at(-1)!.eventsPerSecond).toBeGreaterThan(0);
      expect(seen).toEqual(['started resumed=false', 'swapped true', 'finished 40 ok']);
      expect(behaviour.seenReplay).toContain(true);
      await s.append('c-0', new Counted('k0', 5));
      await s.engine.waitForHead();
      expect((await s.engine.query('counters').collection<Counter>('counters').get('k0'))?.count).toBe(19);
      await expectRebuildEquivalent(s.engine, 'counters');
    });

    it('never show readers an empty or partial model while they rebuild on a live system', async () => {
      const s = await setup([CounterProjection]);
      for (let i = 0; i < 600; i++) await s.append(`c-${i % 5}`, new Counted(`k${i % 5}`, 1));
      s.engine.start();
      await s.engine.waitForHead();
      let stop = false;
      const seen: number[] = [];
      const reader = (async () => {
        while (!stop) {
          const docs = await s.engine.query('counters').collection<Counter>('counters').find();
          seen.push(docs.reduce((n, d) => n + d.doc.count, 0));
          await new Promise((resolve) => setImmediate(resolve)); // as a server's requests would: between batches
        }
      })();
      const writer = (async () => {
        for (let i = 0; i < 50; i++) await s.append('c-live', new Counted('live', 1));
      })();
      await rebuildProjection(s.engine, 'counters', { batchSize: 50 });
      await writer;
      stop = true;
      await reader;
      await s.engine.waitForHead();
      expect(seen.length).toBeGreaterThan(5);
      expect(seen.every((t) => t >= 600 && t <= 650)).toBe(true);
      for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!);
      expect(await total(s.store)).toBe(650);
    });

    it('never step back at the swap: what the served model saw beyond the rebuild is applied in the swap itself', async () => {
      const s = await setup([CounterProjection]);
      for (let i = 0; i < 40; i++) await s.append(`c-${i % 4}`, new Counted(`k${i % 4}`, 1));
      s.engine.start();
      await s.engine.waitForHead();
      // Just before the swap, the live model moves ahead of the rebuilt one.
      const inner = s.store;
      let ahead = false;
      const MARK = new Error('the swap is about to read the served namespace');
      const racing: ReadModelStore = new Proxy(inner, {
        get(target, property) {
          if (property !== 'transaction') return Reflect.get(target, property, target) as unknown;
          return async <T>(namespace: string, work: (tx: ReadModelTransaction) => Promise<T>): Promise<T> => {
            if (ahead || !namespace.startsWith('counters@v1#')) return target.transaction(namespace, work);
            try {
              return await target.transaction(namespace, (tx) =>
                work(
                  new Proxy(tx, {
                    get(t, p) {
                      if (p === 'getServed') return () => Promise.reject(MARK);
                      const value = Reflect.get(t, p, t) as unknown;
                      return typeof value === 'function'
                        ? (value as (...a: unknown[]) => unknown).bind(t)
                        : value;
                    },
                  }),
                ),
              );
            } catch (error) {
              if (error !== MARK && (error as { cause?: unknown })?.cause !== MARK) throw error;
              ahead = true;
              for (let i = 0; i < 30; i++) await s.append(`c-${i % 4}`, new Counted(`k${i % 4}`, 1));
              await s.engine.waitForHead();
              return target.transaction(namespace, work);
            }
          };
        },
      });
      const rebuilding = h.engine({
        eventStore: s.eventStore,
        events: s.events,
        store: racing,
        processors: [CounterProjection],
      });
      await rebuildProjection(rebuilding, 'counters', { batchSize: 10 });
      expect(ahead).toBe(true);
      expect(await total(inner)).toBe(70); // not 40: no step back
      await expectRebuildEquivalent(s.engine, 'counters');
    });

    it('builds the read model as it was at each moment of a scripted history (recorded time and position)', async () => {
      const s = await setup();
      s.engine.start();
      const moments: Array<{ at: Date; position: Position | undefined; model: Record<string, unknown> }> = [];
      for (let step = 0; step < 5; step++) {
        for (let i = 0; i < 4; i++) await s.append(`c-${i}`, new Counted(`k${i}`, step + 1));
        if (step === 2) await s.append('r-1', new Renamed('k1', 'energy bar+'));
        s.tick(60_000);
        await s.engine.waitForHead();
        moments.push({
          at: s.now(),
          position: await s.eventStore.headPosition(),
          model: await served(s.store, 'counters', 'counters'),
        });
        s.tick(60_000);
      }
      for (const moment of moments) {
        const byTime = await rebuildProjection(s.engine, 'counters', { until: moment.at });
        expect(byTime.scratch).toBe(true);
        const snapshot = async (ns: string) =>
          Object.fromEntries((await s.store.collection(ns, 'counters').find()).map((e) => [e.key, e.doc]));
        expect(await snapshot(byTime.namespace)).toEqual(moment.model);
        const byPosition = await rebuildProjection(s.engine, 'counters', { until: moment.position! });
        expect(await snapshot(byPosition.namespace)).toEqual(moment.model);
        const diff = await diffNamespaces(
          s.store,
          byTime.namespace,
          (await s.store.servedNamespace('counters'))!,
        );
        expect(diff.identical).toBe(moment === moments.at(-1));
        await s.store.dropNamespace(byTime.namespace);
        await s.store.dropNamespace(byPosition.namespace);
      }
    });

    it('resume an interrupted rebuild from its own checkpoint and say so; start over with fresh; refuse a second one', async () => {
      const s = await setup([CounterProjection]);
      for (let i = 0; i < 200; i++) await s.append(`c-${i % 4}`, new Counted(`k${i % 4}`, 1));
      s.engine.start();
      await s.engine.waitForHead();
      const original = CounterProjection.prototype.counted;
      let applied = 0;
      deploy(s.engine, async function (this: CounterProjection, event, ctx) {
        if (ctx.isReplay && ++applied > 100) throw new Error('power cut');
        return original.call(this, event, ctx);
      });
      const finished: Array<ProjectionEngineEvents['rebuild-finished']> = [];
      const stopListening = s.engine.on('rebuild-finished', (e) => finished.push(e));
      await expect(
        rebuildProjection(s.engine, 'counters', { batchSize: 25, catchUpCommitMs: 0 }),
      ).rejects.toThrow(/power cut.*served read model is untouched/);
      stopListening();
      expect(finished).toEqual([
        expect.objectContaining({ projection: 'counters', processed: 100, error: expect.any(Error) }),
      ]);
      // A fixed handler marks the documents it creates: a resume keeps what the old run made.
      const fixed: CounterProjection['counted'] = async function (this: CounterProjection, event, ctx) {
        const counters = ctx.collection<Counter & { by?: string }>('counters');
        const current = await counters.get(event.key);
        await counters.put(event.key, {
          ...current,
          ...(current ? {} : { by: 'v2' }),
          count: (current?.count ?? 0) + event.by,
          events: (current?.events ?? 0) + 1,
        });
      };
      deploy(s.engine, fixed);
      const started: Array<ProjectionEngineEvents['rebuild-started']> = [];
      s.engine.on('rebuild-started', (e) => started.push(e));
      const served0 = await s.store.servedNamespace('counters');
      const resumed = await rebuildProjection(s.engine, 'counters', { batchSize: 25, catchUpCommitMs: 0 });
      expect(resumed).toMatchObject({ resumed: true, processed: 100, replaced: served0 });
      expect(resumed.resumedFrom).toBeDefined();
      expect(started[0]).toMatchObject({
        resumed: true,
        from: resumed.resumedFrom,
        namespace: resumed.namespace,
      });
      const marks = async () =>
        Object.values(await served<{ by?: string }>(s.store, 'counters', 'counters')).map(
          (c) => c.by ?? 'v1',
        );
      expect(await marks()).toEqual(['v1', 'v1', 'v1', 'v1']);

      // fresh: the same failure, then a rebuild that starts over applies the fixed code to every event
      deploy(s.engine, async function (this: CounterProjection, event, ctx) {
        if (ctx.isReplay && ++applied > 150) throw new Error('power cut');
        return original.call(this, event, ctx);
      });
      applied = 0;
      await expect(
        rebuildProjection(s.engine, 'counters', { batchSize: 25, catchUpCommitMs: 0 }),
      ).rejects.toThrow(/power cut/);
      deploy(s.engine, fixed);
      const fresh = await rebuildProjection(s.engine, 'counters', {
        batchSize: 25,
        fresh: true,
        catchUpCommitMs: 0,
      });
      expect(fresh).toMatchObject({ resumed: false, processed: 200 });
      expect(await marks()).toEqual(['v2', 'v2', 'v2', 'v2']);
      expect(await total(s.store)).toBe(200);
      deploy(s.engine, original);

      // a second rebuild while one holds the lock is refused with a clear message
      await s.store.tryAcquireLock('rebuild:counters', 'someone-else', 10_000);
      await expect(rebuildProjection(s.engine, 'counters', { lockWaitMs: 200 })).rejects.toThrow(
        /A rebuild of "counters" is already running \(held by someone-else/,
      );
    });

    it('stop writing once their lease lapses while they stall: no commit and no swap beside a successor', async () => {
      const s = await setup([CounterProjection]);
      for (let i = 0; i < 100; i++) await s.append(`c-${i % 4}`, new Counted(`k${i % 4}`, 1));
      s.engine.start();
      await s.engine.waitForHead();
      const served0 = await s.store.servedNamespace('counters');
      const inner = s.store;
      let commits = 0;
      let stalled: string | undefined;
      // The rebuild's process stalls after its third commit: its renewals hang, and another rebuild
      // takes the lapsed lock before the stalled one's next commit runs.
      const stalling: ReadModelStore = new Proxy(inner, {
        get(target, property) {
          if (property === 'tryAcquireLock') {
            return (lock: string, owner: string, ttl: number) =>
              stalled === owner
                ? new Promise<boolean>(() => undefined)
                : target.tryAcquireLock(lock, owner, ttl);
          }
          if (property === 'transaction') {
            return async <T>(
              namespace: string,
              work: (tx: ReadModelTransaction) => Promise<T>,
            ): Promise<T> => {
              if (namespace.startsWith('counters@v1#') && ++commits === 4) {
                stalled = (await target.lockHolder('rebuild:counters'))!.owner;
                await eventually(
                  () => target.tryAcquireLock('rebuild:counters', 'successor', 60_000),
                  'the lapsed lease to be taken',
                );
              }
              return target.transaction(namespace, work);
            };
          }
          return Reflect.get(target, property, target) as unknown;
        },
      });
      const rebuilding = h.engine({
        eventStore: s.eventStore,
        events: s.events,
        store: stalling,
        processors: [CounterProjection],
      });
      const failure = await rebuildProjection(rebuilding, 'counters', {
        batchSize: 10,
        lockTtlMs: 150,
        catchUpCommitMs: 0,
      }).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(LockLostError);
      expect(await inner.servedNamespace('counters')).toBe(served0);
      const building = (await inner.listNamespaces()).find((n) => n.namespace.startsWith('counters@v1#'));
      expect(building?.documents ?? 0).toBeGreaterThan(0);
      const counts = await inner.collection<Counter>(building!.namespace, 'counters').find();
      expect(counts.reduce((n, c) => n + c.doc.count, 0)).toBe(30); // three batches of 10, nothing after
      expect((await inner.lockHolder('rebuild:counters'))?.owner).toBe('successor');
    });

    it('rebuild every projection but never replay reactors', async () => {
      const s = await setup([CounterProjection, RenameProjection, NotifierReactor]);
      await s.append('c-1', new Counted('a', 1), new Renamed('a', 'x'));
      s.engine.start();
      await s.engine.waitForHead();
      const results = await rebuildAll(s.engine);
      expect(results.map((r) => r.projection).sort()).toEqual(['counters', 'renames']);
      await expect(rebuildProjection(s.engine, 'notifier')).rejects.toThrow(/reactors are never replayed/);
      await expect(rebuildProjection(s.engine, 'countrs')).rejects.toThrow(/Did you mean "counters"/);
    });

    it('swap in an empty model on an empty log', async () => {
      const s = await setup([CounterProjection]);
      const result = await rebuildProjection(s.engine, 'counters');
      expect(result.processed).toBe(0);
      expect(await s.store.servedNamespace('counters')).toBe(result.namespace);
    });

    it('never let a query read a namespace that a swap replaced and dropped while the query ran', async () => {
      const s = await setup([CounterProjection]);
      await s.append('c-a', new Counted('a', 1));
      s.engine.start();
      await s.engine.waitForHead();
      const old = (await s.store.servedNamespace('counters'))!;
      let swapDuringRead: (() => Promise<void>) | undefined = async () => {
        await s.store.transaction('counters@v1#next', async (tx) => {
          await tx.collection('counters').put('a', { count: 1, events: 1, rebuilt: true });
          await tx.setServed('counters', 'counters@v1#next');
        });
        await s.store.dropNamespace(old);
      };
      const inner = s.store;
      const racing = new Proxy(inner, {
        get(target, property) {
          if (property !== 'collection') return Reflect.get(target, property, target) as unknown;
          return (namespace: string, collection: string) => {
            const reader = target.collection(namespace, collection);
            return {
              ...reader,
              get: async (key: string) => {
                const swap = swapDuringRead;
                swapDuringRead = undefined;
                await swap?.(); // the rebuild commits its swap and drops the old namespace right now
                return reader.get(key);
              },
            };
          };
        },
      });
      const reading = h.engine({
        eventStore: s.eventStore,
        events: s.events,
        store: racing,
        processors: [CounterProjection],
      });
      expect(await reading.query('counters').collection('counters').get('a')).toEqual({
        count: 1,
        events: 1,
        rebuilt: true,
      });
      expect(swapDuringRead).toBeUndefined();
    });
  });
}
