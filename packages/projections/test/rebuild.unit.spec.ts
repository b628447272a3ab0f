import { InMemoryEventStore } from '@rewind/core';
import {
  diffNamespaces,
  InMemoryReadModelStore,
  ProjectionEngine,
  rebuildAll,
  rebuildProjection,
  type RebuildProgress,
} from '@rewind/projections';
import { expectRebuildEquivalent } from '@rewind/testing';
import {
  app,
  behaviour,
  Counted,
  CounterProjection,
  NotifierReactor,
  Renamed,
  RenameProjection,
} from './fixtures/counter';

const engines: ProjectionEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.stop()));
  behaviour.seenReplay.length = 0;
  behaviour.failOnPoison = false;
});

function setup(processors: (new () => object)[] = [CounterProjection, RenameProjection]) {
  let now = new Date('2026-06-01T09:00:00Z').getTime();
  const eventStore = new InMemoryEventStore({ clock: () => new Date(now) });
  const shop = app(eventStore);
  const store = new InMemoryReadModelStore();
  const engine = new ProjectionEngine({
    eventStore,
    events: shop.events,
    store,
    processors,
    controlPollMs: 20,
  });
  engines.push(engine);
  return { ...shop, store, engine, tick: (ms: number) => (now += ms), now: () => new Date(now) };
}

const snapshot = async (store: InMemoryReadModelStore, namespace: string) =>
  Object.fromEntries((await store.collection(namespace, 'counters').find()).map((e) => [e.key, e.doc]));

describe(rebuildProjection.name, () => {
  it('builds a new namespace, swaps it in one step, drops the old one, and the live runner follows', async () => {
    const s = setup();
    for (let i = 0; i < 40; i++) await s.append(`c-${i % 3}`, new Counted(`k${i % 3}`, 1));
    s.engine.start();
    await s.engine.waitForHead();
    const before = (await s.store.servedNamespace('counters'))!;
    const progress: RebuildProgress[] = [];
    const result = await rebuildProjection(s.engine, 'counters', {
      onProgress: (p) => progress.push(p),
      batchSize: 7,
    });
    expect(result).toMatchObject({ scratch: false, processed: 40, replaced: before, resumed: false });
    expect(await s.store.servedNamespace('counters')).toBe(result.namespace);
    expect((await s.store.listNamespaces()).map((n) => n.namespace)).not.toContain(before);
    expect(progress.at(-1)).toMatchObject({ phase: 'done', processed: 40 });
    expect(behaviour.seenReplay).toContain(true);
    // the live runner continues on the new namespace
    await s.append('c-0', new Counted('k0', 5));
    await s.engine.waitForHead();
    expect((await s.engine.query('counters').collection('counters').get('k0'))?.count).toBe(19);
    await expectRebuildEquivalent(s.engine, 'counters');
  });

  it('never shows readers an empty or partial model while it rebuilds on a live system', async () => {
    const s = setup([CounterProjection]);
    for (let i = 0; i < 600; i++) await s.append(`c-${i % 5}`, new Counted(`k${i % 5}`, 1));
    s.engine.start();
    await s.engine.waitForHead();
    let stop = false;
    const seen: number[] = [];
    const reader = (async () => {
      while (!stop) {
        const docs = await s.engine.query('counters').collection<{ count: number }>('counters').find();
        seen.push(docs.reduce((n, d) => n + d.doc.count, 0));
        await Promise.resolve(); // in-memory stores run on microtasks: interleave with the rebuild
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
    // never an empty or half-built model, and never a step back at the swap
    expect(seen.every((total) => total >= 600 && total <= 650)).toBe(true);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!);
    const total = (await s.engine.query('counters').collection<{ count: number }>('counters').find()).reduce(
      (n, d) => n + d.doc.count,
      0,
    );
    expect(total).toBe(650);
  });

  it('builds the read model as it was at each moment of a scripted history (recorded time and position)', async () => {
    const s = setup();
    s.engine.start();
    const moments: Array<{
      at: Date;
      position: Awaited<ReturnType<typeof s.eventStore.headPosition>>;
      model: Record<string, unknown>;
    }> = [];
    for (let step = 0; step < 5; step++) {
      for (let i = 0; i < 4; i++) await s.append(`c-${i}`, new Counted(`k${i}`, step + 1));
      if (step === 2) await s.append('r-1', new Renamed('k1', 'energy bar+'));
      s.tick(60_000);
      await s.engine.waitForHead();
      moments.push({
        at: s.now(),
        position: await s.eventStore.headPosition(),
        model: await snapshot(s.store, (await s.store.servedNamespace('counters'))!),
      });
      s.tick(60_000);
    }
    for (const moment of moments) {
      const byTime = await rebuildProjection(s.engine, 'counters', { until: moment.at });
      expect(byTime.scratch).toBe(true);
      expect(await snapshot(s.store, byTime.namespace)).toEqual(moment.model);
      const byPosition = await rebuildProjection(s.engine, 'counters', { until: moment.position! });
      expect(await snapshot(s.store, byPosition.namespace)).toEqual(moment.model);
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

  it('resumes an interrupted rebuild from its own checkpoint, and refuses a second one while it runs', async () => {
    const s = setup([CounterProjection]);
    for (let i = 0; i < 200; i++) await s.append(`c-${i % 4}`, new Counted(`k${i % 4}`, 1));
    s.engine.start();
    await s.engine.waitForHead();
    // interrupt: a handler fails half-way through the rebuild
    let applied = 0;
    const original = CounterProjection.prototype.counted;
    CounterProjection.prototype.counted = async function (this: CounterProjection, event, ctx) {
      if (ctx.isReplay && ++applied > 100) throw new Error('power cut');
      return original.call(this, event, ctx);
    };
    const definition = s.engine.definition('counters');
    (definition.handlers as Map<string, unknown>).set(
      'test.counted',
      CounterProjection.prototype.counted.bind(definition.instance),
    );
    await expect(rebuildProjection(s.engine, 'counters', { batchSize: 25 })).rejects.toThrow(
      /power cut.*served read model is untouched/,
    );
    CounterProjection.prototype.counted = original;
    (definition.handlers as Map<string, unknown>).set('test.counted', original.bind(definition.instance));
    const served = await s.store.servedNamespace('counters');
    const resumed = await rebuildProjection(s.engine, 'counters', { batchSize: 25 });
    expect(resumed.resumed).toBe(true);
    expect(resumed.processed).toBe(100);
    expect(resumed.replaced).toBe(served);
    await expectRebuildEquivalent(s.engine, 'counters');

    // a second rebuild while one holds the lock is refused with a clear message
    await s.store.tryAcquireLock('rebuild:counters', 'someone-else', 10_000);
    await expect(rebuildProjection(s.engine, 'counters')).rejects.toThrow(
      /A rebuild of "counters" is already running \(held by someone-else/,
    );
  });

  it('rebuilds every projection but never replays reactors', async () => {
    const s = setup([CounterProjection, RenameProjection, NotifierReactor]);
    await s.append('c-1', new Counted('a', 1), new Renamed('a', 'x'));
    s.engine.start();
    await s.engine.waitForHead();
    const results = await rebuildAll(s.engine);
    expect(results.map((r) => r.projection).sort()).toEqual(['counters', 'renames']);
    await expect(rebuildProjection(s.engine, 'notifier')).rejects.toThrow(/reactors are never replayed/);
    await expect(rebuildProjection(s.engine, 'countrs')).rejects.toThrow(/Did you mean "counters"/);
  });
});

describe('rebuild on an empty log', () => {
  it('swaps in an empty model', async () => {
    const eventStore = new InMemoryEventStore();
    const s = app(eventStore);
    const store = new InMemoryReadModelStore();
    const engine = new ProjectionEngine({
      eventStore,
      events: s.events,
      store,
      processors: [CounterProjection],
    });
    const result = await rebuildProjection(engine, 'counters');
    expect(result.processed).toBe(0);
    expect(await store.servedNamespace('counters')).toBe(result.namespace);
  });
});
