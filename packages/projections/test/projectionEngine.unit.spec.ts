import { ConfigurationError, InMemoryEventStore } from '@rewind/core';
import {
  InMemoryReadModelStore,
  On,
  Projection,
  ProjectionEngine,
  type ReadModelStore,
  type ReadModelTransaction,
} from '@rewind/projections';
import {
  app,
  behaviour,
  Counted,
  CounterProjection,
  effects,
  Noise,
  NotifierReactor,
  Renamed,
  RenameProjection,
  StrictCounterProjection,
} from './fixtures/counter';

const engines: ProjectionEngine[] = [];
function engine(
  options: Partial<ConstructorParameters<typeof ProjectionEngine>[0]> &
    Pick<ConstructorParameters<typeof ProjectionEngine>[0], 'eventStore' | 'events' | 'store' | 'processors'>,
) {
  const e = new ProjectionEngine({ controlPollMs: 20, ...options });
  engines.push(e);
  return e;
}
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.stop()));
  behaviour.failOnPoison = false;
  behaviour.seenReplay.length = 0;
  effects.length = 0;
});

const countersOf = async (e: ProjectionEngine, name = 'counters') =>
  Object.fromEntries((await e.query(name).collection('counters').find()).map((x) => [x.key, x.doc]));

describe(ProjectionEngine.name, () => {
  it('catches up, then applies live events, each exactly once', async () => {
    const shop = app();
    await shop.append('c-a', new Counted('a', 1), new Counted('a', 2));
    const e = engine({
      eventStore: shop.eventStore,
      events: shop.events,
      store: new InMemoryReadModelStore(),
      processors: [CounterProjection],
    });
    e.start();
    await e.runner('counters').caughtUp();
    await shop.append('c-b', new Counted('b', 5));
    await shop.append('c-a', new Counted('a', 3), new Renamed('a', 'energy bar+'));
    await e.waitForHead();
    expect(await countersOf(e)).toEqual({
      a: { count: 6, events: 3, name: 'energy bar+' },
      b: { count: 5, events: 1 },
    });
    expect(behaviour.seenReplay.every((r) => r === false)).toBe(true);
  });

  it('loses and duplicates nothing when commits crash mid-way, and resumes from the checkpoint', async () => {
    const shop = app();
    for (let i = 0; i < 300; i++) await shop.append(`c-${i % 7}`, new Counted(`k${i % 7}`, 1));
    const inner = new InMemoryReadModelStore();
    let commits = 0;
    // Every 3rd transaction fails after its work ran: as if the process died before the commit.
    const crashing: ReadModelStore = Object.assign(Object.create(inner) as ReadModelStore, {
      transaction: <T>(ns: string, work: (tx: ReadModelTransaction) => Promise<T>) =>
        inner.transaction(ns, async (tx) => {
          const result = await work(tx);
          if (ns.startsWith('counters@') && ++commits % 3 === 0) throw new Error('crash before commit');
          return result;
        }),
    });
    const e = engine({
      eventStore: shop.eventStore,
      events: shop.events,
      store: crashing,
      processors: [CounterProjection],
    });
    e.start();
    await e.waitForHead(20_000);
    const counters = await countersOf(e);
    const total = Object.values(counters).reduce((n, c) => n + (c as { count: number }).count, 0);
    expect(total).toBe(300);
    expect(
      Object.values(counters).every(
        (c) => (c as { count: number; events: number }).count === (c as { events: number }).events,
      ),
    ).toBe(true);
    expect(commits).toBeGreaterThan(3);
  }, 30_000);

  it('parks a poison event after its retries, projects the rest, and applies it once after a fix', async () => {
    const shop = app();
    behaviour.failOnPoison = true;
    await shop.append('c-a', new Counted('a', 1), new Counted('bad', 100, true), new Counted('a', 2));
    const e = engine({
      eventStore: shop.eventStore,
      events: shop.events,
      store: new InMemoryReadModelStore(),
      processors: [CounterProjection],
    });
    e.start();
    await e.waitForHead();
    expect(await countersOf(e)).toEqual({ a: { count: 3, events: 2 } });
    const [letter] = await e.deadLetters('counters');
    expect(letter).toMatchObject({
      projection: 'counters',
      eventType: 'test.counted',
      streamId: 'c-a',
      revision: 1n,
      attempts: 3,
    });
    expect(letter!.error).toMatch(/poison bad/);
    await expect(e.retryDeadLetter(letter!.id)).rejects.toThrow(/still fails.*stays parked/);
    behaviour.failOnPoison = false;
    await e.retryDeadLetter(letter!.id);
    expect(await countersOf(e)).toEqual({ a: { count: 3, events: 2 }, bad: { count: 100, events: 1 } });
    expect(await e.deadLetters()).toEqual([]);
    await expect(e.retryDeadLetter(letter!.id)).rejects.toThrow(/No dead letter/);
  });

  it('skips a dead letter without applying it', async () => {
    const shop = app();
    behaviour.failOnPoison = true;
    await shop.append('c-a', new Counted('bad', 1, true));
    const e = engine({
      eventStore: shop.eventStore,
      events: shop.events,
      store: new InMemoryReadModelStore(),
      processors: [CounterProjection],
    });
    e.start();
    await e.waitForHead();
    const [letter] = await e.deadLetters();
    await e.skipDeadLetter(letter!.id);
    expect(await e.deadLetters()).toEqual([]);
    expect(await countersOf(e)).toEqual({});
  });

  it('stops with status failed under the stop policy, naming the event', async () => {
    const shop = app();
    behaviour.failOnPoison = true;
    await shop.append('c-a', new Counted('a', 1), new Counted('bad', 1, true), new Counted('a', 1));
    const e = engine({
      eventStore: shop.eventStore,
      events: shop.events,
      store: new InMemoryReadModelStore(),
      processors: [StrictCounterProjection],
    });
    e.start();
    for (let i = 0; i < 200 && e.runner('strict-counters').status().state !== 'failed'; i++)
      await new Promise((r) => setTimeout(r, 10));
    const [status] = await e.status('strict-counters');
    expect(status!.state).toBe('failed');
    expect(status!.lastError).toMatch(/test.counted at c-a@1.*poison bad/);
    expect(status!.eventsBehind).toBe(2);
    expect(await countersOf(e, 'strict-counters')).toEqual({ a: { count: 1 } });
  });

  it('advances the checkpoint of a sparse projection past events it does not handle', async () => {
    const shop = app();
    await shop.append('r-1', new Renamed('a', 'x'));
    for (let i = 0; i < 120; i++) await shop.append('noise-1', new Noise(i));
    const store = new InMemoryReadModelStore();
    const e = engine({
      eventStore: shop.eventStore,
      events: shop.events,
      store,
      processors: [RenameProjection],
    });
    e.start();
    await e.waitForHead();
    const [status] = await e.status('renames');
    expect(status!.checkpoint).toEqual(await shop.eventStore.headPosition());
    expect(status!.eventsBehind).toBe(0);
  });

  it('keeps one active runner per projection; a standby takes over with no gap and no duplicate', async () => {
    const shop = app();
    const store = new InMemoryReadModelStore();
    const a = engine({
      eventStore: shop.eventStore,
      events: shop.events,
      store,
      processors: [CounterProjection],
      owner: 'A',
      lockTtlMs: 200,
    });
    const b = engine({
      eventStore: shop.eventStore,
      events: shop.events,
      store,
      processors: [CounterProjection],
      owner: 'B',
      lockTtlMs: 200,
    });
    a.start();
    await a.runner('counters').caughtUp();
    b.start();
    await new Promise((r) => setTimeout(r, 100));
    expect(b.runner('counters').status().state).toBe('standby');
    for (let i = 0; i < 50; i++) await shop.append('c-x', new Counted('x', 1));
    await a.waitForHead();
    await a.stop();
    for (let i = 0; i < 50; i++) await shop.append('c-x', new Counted('x', 1));
    await b.runner('counters').caughtUp(5000);
    await b.waitForHead();
    expect(await countersOf(b)).toEqual({ x: { count: 100, events: 100 } });
    expect((await b.status('counters'))[0]!.lockHolder).toBe('B');
  });

  it('fences a runner whose lease expired: its late commit is refused, nothing is applied twice', async () => {
    const shop = app();
    const store = new InMemoryReadModelStore();
    await shop.append('c-x', new Counted('x', 1));
    const a = engine({
      eventStore: shop.eventStore,
      events: shop.events,
      store,
      processors: [CounterProjection],
      owner: 'A',
      lockTtlMs: 100,
    });
    a.start();
    await a.waitForHead();
    // A stalls (cannot renew) while B takes the expired lease.
    const renew = store.tryAcquireLock.bind(store);
    store.tryAcquireLock = async (lock, owner, ttl) => (owner === 'A' ? false : renew(lock, owner, ttl));
    await new Promise((r) => setTimeout(r, 150));
    const b = engine({
      eventStore: shop.eventStore,
      events: shop.events,
      store,
      processors: [CounterProjection],
      owner: 'B',
      lockTtlMs: 5000,
    });
    b.start();
    await b.runner('counters').caughtUp();
    for (let i = 0; i < 20; i++) await shop.append('c-x', new Counted('x', 1));
    await b.waitForHead();
    await new Promise((r) => setTimeout(r, 100));
    expect(await countersOf(b)).toEqual({ x: { count: 21, events: 21 } });
  });

  it('pauses and resumes, also when asked from another process', async () => {
    const shop = app();
    const store = new InMemoryReadModelStore();
    const e = engine({
      eventStore: shop.eventStore,
      events: shop.events,
      store,
      processors: [CounterProjection],
    });
    e.start();
    await e.runner('counters').caughtUp();
    // "another process": a second engine on the same store that never starts its runners
    const operator = new ProjectionEngine({
      eventStore: shop.eventStore,
      events: shop.events,
      store,
      processors: [CounterProjection],
    });
    await operator.pause('counters');
    for (let i = 0; i < 50 && e.runner('counters').status().state !== 'paused'; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(e.runner('counters').status().state).toBe('paused');
    await shop.append('c-a', new Counted('a', 1));
    await new Promise((r) => setTimeout(r, 100));
    expect(await countersOf(e)).toEqual({});
    expect((await operator.status('counters'))[0]).toMatchObject({ paused: true, eventsBehind: 1 });
    await operator.resume('counters');
    await e.waitForHead();
    expect(await countersOf(e)).toEqual({ a: { count: 1, events: 1 } });
  });

  it('runs reactors live with an idempotency key, starting from now', async () => {
    const shop = app();
    await shop.append('r-1', new Renamed('old', 'history'));
    const e = engine({
      eventStore: shop.eventStore,
      events: shop.events,
      store: new InMemoryReadModelStore(),
      processors: [NotifierReactor],
    });
    e.start();
    await e.runner('notifier').caughtUp();
    const { position } = await shop.append('r-1', new Renamed('a', 'energy bar+'));
    await e.waitForHead();
    expect(effects).toHaveLength(1);
    expect(effects[0]).toMatchObject({ key: 'a', isReplay: false });
    expect(effects[0]!.idempotencyKey).toMatch(/^notifier:/);
    expect((await e.status('notifier'))[0]!.checkpoint).toEqual(position);
  });

  it('fails at start-up on misdeclared projections, naming the fix', () => {
    const shop = app();
    const make = (processors: (new () => object)[]) =>
      new ProjectionEngine({
        eventStore: new InMemoryEventStore(),
        events: shop.events,
        store: new InMemoryReadModelStore(),
        processors,
      });
    class Undecorated {}
    @Projection('empty')
    class Empty {}
    @Projection('counters')
    class SameName {
      @On(Counted) on() {}
    }
    class NotAnEvent {}
    @Projection('bad-event')
    class BadEvent {
      @On(NotAnEvent) on() {}
    }
    expect(() => make([Undecorated])).toThrow(/no @Projection or @Reactor decorator/);
    expect(() => make([Empty])).toThrow(/"empty" \(Empty\) has no @On handlers/);
    expect(() => make([CounterProjection, SameName])).toThrow(/both named "counters"/);
    expect(() => make([BadEvent])).toThrow(
      /NotAnEvent is used as an event by BadEvent.on but is not declared/,
    );
    const e = make([CounterProjection]);
    expect(() => e.runner('counter')).toThrow(ConfigurationError);
    expect(() => e.runner('counter')).toThrow(/Did you mean "counters"/);
  });
});
