import { ConfigurationError, EventStore, InMemoryEventStore, rewindModule } from '@rewind/core';
import {
  InMemoryReadModelStore,
  On,
  Projection,
  ProjectionEngine,
  projectionsModule,
  PROJECTION_TOKENS,
  rebuildProjection,
  type ProjectionContext,
  type ReadModelStore,
  type ReadModelTransaction,
} from '@rewind/projections';
import { Container, inject, injectable } from 'inversify';
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
} from './fixtures/counter';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Applies every Counted, and lets a test "kill the process" from inside a handler. */
const tallyHooks: { onApply?: (applied: number) => void; applied: number } = { applied: 0 };

@Projection('tally', { batchSize: 25, retries: 0, retryBackoffMs: 1 })
class TallyProjection {
  @On(Counted)
  async counted(event: Counted, ctx: ProjectionContext): Promise<void> {
    tallyHooks.onApply?.(++tallyHooks.applied);
    const tallies = ctx.collection<{ count: number }>('tallies');
    const current = await tallies.get(event.key);
    await tallies.put(event.key, { count: (current?.count ?? 0) + event.by });
  }
}

/**
 * A read-model store as seen by one process that can be killed: after `kill()`, the transaction in
 * flight rolls back (its commit never happens) and every later call hangs — no commit, no lease
 * renewal, like a process that got SIGKILL. `bury()` lets the hung calls return nothing, so that a
 * stopping runner can wind down at the end of the test.
 */
function mortal(inner: ReadModelStore, afterCommit?: (commits: number) => boolean) {
  let dead = false;
  let buried = false;
  let commits = 0;
  const hung: Array<() => void> = [];
  const hang = () =>
    buried
      ? Promise.resolve(undefined)
      : new Promise<undefined>((resolve) => {
          hung.push(() => resolve(undefined));
        });
  const store = new Proxy(inner, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      if (property === 'transaction') {
        return async <T>(namespace: string, work: (tx: ReadModelTransaction) => Promise<T>) => {
          if (dead) return hang();
          const result = await target.transaction(namespace, async (tx) => {
            const out = await work(tx);
            if (dead) throw new Error('killed before commit');
            return out;
          });
          if (namespace.startsWith('tally@') && afterCommit?.(++commits)) dead = true;
          return result;
        };
      }
      return (...args: unknown[]) =>
        dead ? hang() : (value as (...a: unknown[]) => unknown).apply(target, args);
    },
  });
  return {
    store,
    kill: () => {
      dead = true;
    },
    bury: () => {
      buried = true;
      for (const release of hung.splice(0)) release();
    },
  };
}

const engines: ProjectionEngine[] = [];
function engine(options: ConstructorParameters<typeof ProjectionEngine>[0], track = true): ProjectionEngine {
  const e = new ProjectionEngine({ controlPollMs: 20, ...options });
  if (track) engines.push(e);
  return e;
}
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.stop()));
  tallyHooks.onApply = undefined;
  tallyHooks.applied = 0;
  effects.length = 0;
  behaviour.seenReplay.length = 0;
  behaviour.failOnPoison = false;
});

async function talliesOf(store: ReadModelStore): Promise<Record<string, number>> {
  const namespace = (await store.servedNamespace('tally'))!;
  const found = await store.collection<{ count: number }>(namespace, 'tallies').find();
  return Object.fromEntries(found.map((e) => [e.key, e.doc.count]));
}

async function expectCheckpointMatchesWrites(store: ReadModelStore, eventStore: EventStore): Promise<void> {
  const namespace = (await store.servedNamespace('tally'))!;
  const checkpoint = await store.transaction(namespace, (tx) => tx.getCheckpoint());
  const all = await eventStore.countEvents!({ filter: { eventTypes: ['test.counted'] } });
  const after = await eventStore.countEvents!({
    ...(checkpoint ? { after: checkpoint } : {}),
    filter: { eventTypes: ['test.counted'] },
  });
  const total = Object.values(await talliesOf(store)).reduce((n, c) => n + c, 0);
  expect(total).toBe(all - after);
}

describe('ProjectionEngine guarantees', () => {
  describe('exactly once across a crash', () => {
    const run = async (killWhen: 'mid-batch' | 'between batches') => {
      const shop = app();
      for (let i = 0; i < 200; i++) await shop.append(`c-${i % 5}`, new Counted(`k${i % 5}`, 1));
      const inner = new InMemoryReadModelStore();
      let died = false;
      const a = mortal(
        inner,
        killWhen === 'between batches' ? (commits) => (died = commits === 4) : undefined,
      );
      if (killWhen === 'mid-batch') {
        tallyHooks.onApply = (applied) => {
          if (applied === 90) {
            died = true;
            a.kill();
          }
        };
      }
      const first = engine(
        {
          eventStore: shop.eventStore,
          events: shop.events,
          store: a.store,
          processors: [TallyProjection],
          owner: 'A',
          lockTtlMs: 150,
        },
        false,
      );
      first.start();
      for (let i = 0; i < 200 && !died; i++) await sleep(5);
      expect(died).toBe(true);
      await sleep(20);
      // A is dead: what it committed is consistent, and it got part of the way only.
      await expectCheckpointMatchesWrites(inner, shop.eventStore);
      const committed = Object.values(await talliesOf(inner)).reduce((n, c) => n + c, 0);
      expect(committed).toBeGreaterThan(0);
      expect(committed).toBeLessThan(200);
      if (killWhen === 'mid-batch') expect(committed).toBe(75);
      const b = engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store: inner,
        processors: [TallyProjection],
        owner: 'B',
        lockTtlMs: 150,
      });
      b.start();
      for (let i = 0; i < 50; i++) await shop.append(`c-${i % 5}`, new Counted(`k${i % 5}`, 1));
      await b.runner('tally').waitForHead(10_000);
      expect(await talliesOf(inner)).toEqual({ k0: 50, k1: 50, k2: 50, k3: 50, k4: 50 });
      await expectCheckpointMatchesWrites(inner, shop.eventStore);
      expect((await inner.lockHolder('projection:tally'))?.owner).toBe('B');
      const stopped = first.stop();
      a.bury();
      await stopped;
    };

    it('loses nothing and counts nothing twice when the process dies in the middle of a batch', async () => {
      await run('mid-batch');
    });

    it('loses nothing and counts nothing twice when the process dies between batches', async () => {
      await run('between batches');
    });
  });

  describe('reactors', () => {
    it('keep a durable checkpoint: a restarted process reacts to new events only', async () => {
      const shop = app();
      const store = new InMemoryReadModelStore();
      const first = engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store,
        processors: [NotifierReactor],
      });
      first.start();
      await first.runner('notifier').caughtUp();
      await shop.append('r-1', new Renamed('a', 'one'));
      await first.waitForHead();
      await first.stop();
      await shop.append('r-1', new Renamed('b', 'two'));
      const second = engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store,
        processors: [NotifierReactor],
      });
      second.start();
      await second.runner('notifier').caughtUp();
      await second.waitForHead();
      expect(effects.map((e) => e.key)).toEqual(['a', 'b']);
      expect(new Set(effects.map((e) => e.idempotencyKey)).size).toBe(2);
    });

    it('never fire during a rebuild, while the projector sees isReplay', async () => {
      const shop = app();
      const store = new InMemoryReadModelStore();
      const e = engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store,
        processors: [CounterProjection, NotifierReactor],
      });
      e.start();
      await e.runner('notifier').caughtUp();
      await shop.append('c-a', new Counted('a', 2), new Renamed('a', 'energy bar+'));
      await e.waitForHead();
      expect(effects).toHaveLength(1);
      expect(behaviour.seenReplay).toEqual([false]);
      behaviour.seenReplay.length = 0;
      await rebuildProjection(e, 'counters');
      expect(behaviour.seenReplay).toEqual([true]);
      expect(effects).toHaveLength(1);
      await expect(rebuildProjection(e, 'notifier')).rejects.toThrow(/reactor/);
      expect(effects).toHaveLength(1);
    });
  });

  describe('status', () => {
    it('reports state, checkpoint, lag behind the head, throughput, dead letters and the last error', async () => {
      const shop = app();
      for (let i = 0; i < 40; i++) await shop.append('c-a', new Counted('a', 1, i === 20));
      behaviour.failOnPoison = true;
      const e = engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store: new InMemoryReadModelStore(),
        processors: [CounterProjection],
      });
      const states: string[] = [];
      e.start();
      states.push(e.runner('counters').status().state);
      await e.waitForHead();
      const [status] = await e.status('counters');
      expect(status).toMatchObject({
        name: 'counters',
        kind: 'projection',
        version: 1,
        state: 'running',
        eventsBehind: 0,
        deadLetters: 1,
        paused: false,
      });
      expect(status!.checkpoint).toEqual(await shop.eventStore.headPosition());
      expect(status!.head).toEqual(await shop.eventStore.headPosition());
      expect(status!.eventsPerSecond).toBeGreaterThan(0);
      expect(status!.lastError).toMatch(/test\.counted at c-a@20 .*poison a/);
      expect(states[0]).not.toBe('stopped');
      await e.pause('counters');
      await shop.append('c-a', new Counted('a', 1), new Noise(1), new Counted('a', 1));
      expect((await e.status('counters'))[0]).toMatchObject({ state: 'paused', eventsBehind: 2 });
      await e.resume('counters');
      await e.waitForHead();
      await e.stop();
      expect((await e.status('counters'))[0]).toMatchObject({ state: 'stopped', eventsBehind: 0 });
    });

    it('leaves eventsBehind undefined when the event store cannot count, and still reports positions', async () => {
      const inner = new InMemoryEventStore();
      const uncounted = new Proxy(inner, {
        get: (target, property) =>
          property === 'countEvents' ? undefined : (Reflect.get(target, property, target) as unknown),
      }) as EventStore;
      const shop = app(uncounted);
      await shop.append('c-a', new Counted('a', 1));
      const e = engine({
        eventStore: uncounted,
        events: shop.events,
        store: new InMemoryReadModelStore(),
        processors: [CounterProjection],
      });
      e.start();
      await e.waitForHead();
      const [status] = await e.status('counters');
      expect(status!.eventsBehind).toBeUndefined();
      expect(status!.checkpoint).toEqual(await inner.headPosition());
      expect(status!.head).toEqual(await inner.headPosition());
    });
  });

  describe('catching up a backlog', () => {
    /** Counts what reaches the runner by pages (readAllPages) and by the subscription. */
    const counting = (inner: EventStore) => {
      const seen = { paged: 0, subscribed: 0 };
      const store = new Proxy(inner, {
        get(target, property) {
          const value = Reflect.get(target, property, target) as unknown;
          if (property === 'readAllPages') {
            return async function* (...args: Parameters<NonNullable<EventStore['readAllPages']>>) {
              for await (const page of target.readAllPages!(...args)) {
                seen.paged += page.length;
                yield page;
              }
            };
          }
          if (property === 'subscribeToAll') {
            return (...args: Parameters<EventStore['subscribeToAll']>) => {
              const subscription = target.subscribeToAll(...args);
              return {
                close: () => subscription.close(),
                async *[Symbol.asyncIterator]() {
                  for await (const message of subscription) {
                    if (message.type === 'event') seen.subscribed++;
                    yield message;
                  }
                },
              };
            };
          }
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      return { store, seen };
    };

    it('reads the backlog a page at a time, then takes live events from the subscription', async () => {
      const shop = app();
      for (let i = 0; i < 230; i++) await shop.append(`c-${i % 5}`, new Counted(`k${i % 5}`, 1));
      for (let i = 0; i < 30; i++) await shop.append('noise-1', new Noise(i));
      const { store: eventStore, seen } = counting(shop.eventStore);
      const store = new InMemoryReadModelStore();
      const e = engine({ eventStore, events: shop.events, store, processors: [TallyProjection] });
      e.start();
      await e.runner('tally').waitForHead(10_000);
      expect(seen).toEqual({ paged: 230, subscribed: 0 });
      // caught up to the head, past the noise it does not handle
      expect(e.runner('tally').status().checkpoint).toEqual(await shop.eventStore.headPosition());
      for (let i = 0; i < 10; i++) await shop.append(`c-${i % 5}`, new Counted(`k${i % 5}`, 1));
      await e.runner('tally').waitForHead(10_000);
      expect(seen).toEqual({ paged: 230, subscribed: 10 });
      expect(await talliesOf(store)).toEqual({ k0: 48, k1: 48, k2: 48, k3: 48, k4: 48 });
      await expectCheckpointMatchesWrites(store, shop.eventStore);
    });

    it('stops after the batch in hand when stopped in the middle of a backlog', async () => {
      const shop = app();
      for (let i = 0; i < 500; i++) await shop.append(`c-${i % 5}`, new Counted(`k${i % 5}`, 1));
      const store = new InMemoryReadModelStore();
      const e = engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store,
        processors: [TallyProjection],
      });
      let stopping: Promise<void> | undefined;
      tallyHooks.onApply = (applied) => {
        if (applied === 60) stopping = e.stop();
      };
      e.start();
      for (let i = 0; i < 200 && !stopping; i++) await sleep(5);
      await stopping;
      const total = Object.values(await talliesOf(store)).reduce((n, c) => n + c, 0);
      expect(total).toBe(75); // three batches of 25: the one in hand was finished, no more
      await expectCheckpointMatchesWrites(store, shop.eventStore);
      expect(e.runner('tally').status().state).toBe('stopped');
    });
  });

  describe('sparse processors', () => {
    it('move their checkpoint past unrelated appends at most once per interval, and reach the head', async () => {
      const shop = app();
      const inner = new InMemoryReadModelStore();
      let commits = 0;
      const store = new Proxy(inner, {
        get(target, property) {
          if (property !== 'transaction') return Reflect.get(target, property, target) as unknown;
          return <T>(namespace: string, work: (tx: ReadModelTransaction) => Promise<T>) =>
            target.transaction(namespace, async (tx) => {
              const result = await work(tx);
              if (namespace === 'renames@v1' && (await tx.getCheckpoint()) !== undefined) commits++;
              return result;
            });
        },
      });
      const e = engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store,
        processors: [RenameProjection],
        checkpointIntervalMs: 300,
      });
      e.start();
      await e.runner('renames').caughtUp();
      const before = commits;
      const started = Date.now();
      for (let i = 0; i < 40; i++) {
        await shop.append('noise-1', new Noise(i));
        await sleep(5);
      }
      const elapsed = Date.now() - started;
      await e.runner('renames').waitForHead(5000);
      expect(e.runner('renames').status().checkpoint).toEqual(await shop.eventStore.headPosition());
      expect(commits - before).toBeLessThanOrEqual(Math.ceil(elapsed / 300) + 2);
      expect(commits - before).toBeGreaterThanOrEqual(1);
      // an event it handles is applied at once, not held back by the interval
      const { position } = await shop.append('r-1', new Renamed('a', 'energy bar+'));
      const t0 = Date.now();
      await e.runner('renames').waitForHead(5000);
      expect(Date.now() - t0).toBeLessThan(250);
      expect(e.runner('renames').status().checkpoint).toEqual(position);
    });
  });

  describe('queries', () => {
    it('never read a namespace that a rebuild swapped out and dropped while the query ran', async () => {
      const shop = app();
      await shop.append('c-a', new Counted('a', 1));
      const inner = new InMemoryReadModelStore();
      let swapDuringRead: (() => Promise<void>) | undefined;
      const store = new Proxy(inner, {
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
      const e = engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store,
        processors: [CounterProjection],
      });
      e.start();
      await e.waitForHead();
      const old = (await inner.servedNamespace('counters'))!;
      swapDuringRead = async () => {
        await inner.transaction('counters@v1#next', async (tx) => {
          await tx.collection('counters').put('a', { count: 1, events: 1, rebuilt: true });
          await tx.setServed('counters', 'counters@v1#next');
        });
        await inner.dropNamespace(old);
      };
      expect(await e.query('counters').collection('counters').get('a')).toEqual({
        count: 1,
        events: 1,
        rebuilt: true,
      });
      expect(swapDuringRead).toBeUndefined();
    });
  });

  describe('registration', () => {
    it('refuses two handlers for one event in one projector', () => {
      @Projection('twice')
      class Twice {
        @On(Counted) first() {}
        @On(Counted) second() {}
      }
      const shop = app();
      expect(
        () =>
          new ProjectionEngine({
            eventStore: shop.eventStore,
            events: shop.events,
            store: new InMemoryReadModelStore(),
            processors: [Twice],
          }),
      ).toThrow(ConfigurationError);
      expect(
        () =>
          new ProjectionEngine({
            eventStore: shop.eventStore,
            events: shop.events,
            store: new InMemoryReadModelStore(),
            processors: [Twice],
          }),
      ).toThrow(/two @On\(Counted\) handlers/);
    });

    it('resolves projectors from an inversify container with their injected services', async () => {
      @injectable()
      class Greeter {
        greet(name: string): string {
          return `hello ${name}`;
        }
      }
      @injectable()
      @Projection('greetings')
      class GreetingProjection {
        constructor(@inject(Greeter) private readonly greeter: Greeter) {}
        @On(Renamed)
        async renamed(event: Renamed, ctx: ProjectionContext): Promise<void> {
          await ctx.collection('greetings').put(event.key, { text: this.greeter.greet(event.name) });
        }
      }
      const eventStore = new InMemoryEventStore();
      const container = new Container();
      container.bind(Greeter).toSelf();
      const store = new InMemoryReadModelStore();
      await container.load(
        rewindModule({ eventStore, events: [Counted, Renamed, Noise] }),
        projectionsModule({ store, processors: [GreetingProjection] }),
      );
      const e = container.get(ProjectionEngine);
      engines.push(e);
      expect(container.get(PROJECTION_TOKENS.ReadModelStore)).toBe(store);
      e.start();
      const shop = app(eventStore);
      await shop.append('r-1', new Renamed('a', 'energy bar+'));
      await e.waitForHead();
      expect(await e.query('greetings').collection('greetings').get('a')).toEqual({
        text: 'hello energy bar+',
      });
      expect(e.definition('greetings').instance).toBe(container.get(GreetingProjection));
    });
  });
});
