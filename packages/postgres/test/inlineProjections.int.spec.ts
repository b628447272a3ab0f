import {
  ConfigurationError,
  createRewind,
  DomainEvent,
  InMemoryEventStore,
  instrumentEventStore,
  ProjectionError,
  type EventStore,
} from '@rewind/core';
import {
  InMemoryReadModelStore,
  On,
  Projection,
  ProjectionEngine,
  rebuildProjection,
  type ProjectionContext,
  type ReadModelStore,
} from '@rewind/projections';
import { InlineRejectedError, PostgresEventStore, PostgresReadModelStore } from '@rewind/postgres';
import {
  startThrowawayPgBouncer,
  startThrowawayPostgres,
  type ThrowawayPgBouncer,
  type ThrowawayPostgres,
} from '@rewind/testing/postgres';
import { Client } from 'pg';

// Inline projections: applied in the transaction of the append that writes their events, with the
// PostgreSQL event store and read-model store in one database.

@DomainEvent('inline-test.counted')
class Counted {
  constructor(
    readonly key: string,
    readonly by: number,
    readonly poison = false,
  ) {}
}

interface Counter {
  readonly count: number;
  readonly events: number;
}

async function count(event: Counted, ctx: ProjectionContext): Promise<void> {
  if (event.poison) throw new Error(`poison for ${event.key}`);
  const counters = ctx.collection<Counter>('counters');
  const current = await counters.get(event.key);
  await counters.put(event.key, {
    count: (current?.count ?? 0) + event.by,
    events: (current?.events ?? 0) + 1,
  });
}

@Projection('counters', { inline: true })
class InlineCounters {
  @On(Counted)
  counted(event: Counted, ctx: ProjectionContext): Promise<void> {
    return count(event, ctx);
  }
}

/** The same projection, run by the asynchronous runner. */
@Projection('counters', { retries: 0, retryBackoffMs: 1 })
class AsyncCounters {
  @On(Counted)
  counted(event: Counted, ctx: ProjectionContext): Promise<void> {
    return count(event, ctx);
  }
}

jest.setTimeout(60_000);

let pg: ThrowawayPostgres | undefined;
let bouncer: ThrowawayPgBouncer | undefined;
let schemas = 0;
const closers: Array<() => Promise<unknown>> = [];
beforeAll(async () => {
  pg = await startThrowawayPostgres();
  bouncer = await startThrowawayPgBouncer(pg, { poolMode: 'transaction', defaultPoolSize: 4 });
}, 60_000);
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});
afterAll(async () => {
  await bouncer?.stop();
  await pg?.stop();
});

/** How a test reaches the database: directly, or through PgBouncer in transaction mode. */
interface Route {
  readonly url: string;
  /** Behind a transaction-mode pooler: no named statements, no LISTEN. */
  readonly pooled: boolean;
}
let route: () => Route = () => ({ url: pg!.url, pooled: false });

/** The event store and the read models of one application on one schema: another pool per call. */
async function open(schema: string, { url, pooled }: Route = route()) {
  const pooling = pooled ? { preparedStatements: false } : {};
  const eventStore = await PostgresEventStore.connect({
    connectionString: url,
    schema,
    ...pooling,
    ...(pooled ? { notifications: false } : {}),
  });
  const readModels = await PostgresReadModelStore.connect({ connectionString: url, schema, ...pooling });
  closers.push(
    () => eventStore.close(),
    () => readModels.close(),
  );
  const rewind = createRewind({ eventStore, events: [Counted] });
  const append = (stream: string, ...events: Counted[]) =>
    eventStore.append(
      stream,
      events.map((e) => rewind.events.serialize(e, { correlationId: 'c', causationId: 'c' })),
    );
  const engine = (
    processors: Array<new () => object>,
    store: ReadModelStore = readModels,
    events: EventStore = eventStore,
  ) => {
    const e = new ProjectionEngine({
      eventStore: events,
      events: rewind.events,
      store,
      processors,
      controlPollMs: 20,
    });
    closers.push(() => e.stop());
    return e;
  };
  const counter = (e: ProjectionEngine, key: string) =>
    e.query('counters').collection<Counter>('counters').get(key);
  return { eventStore, readModels, append, engine, counter };
}

const fresh = () => `inline_${++schemas}`;

describe.each([
  ['directly', (): Route => ({ url: pg!.url, pooled: false })],
  ['behind PgBouncer in transaction mode', (): Route => ({ url: bouncer!.url, pooled: true })],
])('inline projections (PostgreSQL event store + read models in one database), %s', (_, via) => {
  beforeAll(() => {
    route = via;
  });
  it('has the read model updated when the append returns, with no runner and the checkpoint at the append', async () => {
    const app = await open(fresh());
    const engine = app.engine([InlineCounters]);
    engine.start();
    await engine.ready();

    const appended = await app.append('order-1', new Counted('a', 2), new Counted('b', 1));
    // No waiting: the append's transaction wrote the read model.
    expect(await app.counter(engine, 'a')).toEqual({ count: 2, events: 1 });
    expect(await app.counter(engine, 'b')).toEqual({ count: 1, events: 1 });
    await app.append('order-2', new Counted('a', 3));
    expect(await app.counter(engine, 'a')).toEqual({ count: 5, events: 2 });

    const [status] = await engine.status('counters');
    expect(status).toMatchObject({
      inline: true,
      state: 'running',
      eventsBehind: 0,
      namespace: 'counters@v1',
    });
    expect(status!.checkpoint!.commit).toBeGreaterThan(appended.position.commit);
    expect(() => engine.runner('counters')).toThrow(ConfigurationError);
    await expect(engine.pause('counters')).rejects.toThrow(/inline and cannot be paused/);
  });

  it('fails only the append whose event a handler rejects; the rest of its group commit is written', async () => {
    const app = await open(fresh());
    const engine = app.engine([InlineCounters]);
    engine.start();
    await engine.ready();
    const before = app.eventStore.commitStats.commits;

    // Made in one turn of the event loop: one group commit holds all three.
    const results = await Promise.allSettled([
      app.append('good-1', new Counted('a', 1)),
      app.append('bad', new Counted('b', 1), new Counted('b', 1, true)),
      app.append('good-2', new Counted('a', 1)),
    ]);
    expect(app.eventStore.commitStats.commits - before).toBe(1);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const error = (results[1] as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(InlineRejectedError);
    expect(error).toBeInstanceOf(ProjectionError);
    expect(error.message).toMatch(/Nothing was appended to "bad": the inline projection "counters" failed/);
    expect(error.message).toMatch(/poison for b/);

    // Nothing of the rejected append: no events, no document.
    const stored: string[] = [];
    for await (const e of app.eventStore.readAll()) stored.push(e.streamId);
    expect(stored.sort()).toEqual(['good-1', 'good-2']);
    expect(await app.counter(engine, 'a')).toEqual({ count: 2, events: 2 });
    expect(await app.counter(engine, 'b')).toBeUndefined();
  });

  it('catches up at attach, and applies what a process without the projection appended', async () => {
    const schema = fresh();
    const app = await open(schema);
    await app.append('early', new Counted('a', 1), new Counted('a', 1)); // before any engine
    const engine = app.engine([InlineCounters]);
    engine.start();
    await engine.ready();
    expect(await app.counter(engine, 'a')).toEqual({ count: 2, events: 2 });

    // Another process appends with no engine: it takes the projection's lock (the registry says so),
    // applies nothing; its events and a poison one wait for the next inline append.
    const other = await open(schema);
    await other.append('other', new Counted('a', 10), new Counted('c', 1, true), new Counted('c', 4));
    expect(await app.counter(engine, 'a')).toEqual({ count: 2, events: 2 });

    await app.append('next', new Counted('a', 100));
    expect(await app.counter(engine, 'a')).toEqual({ count: 112, events: 4 });
    expect(await app.counter(engine, 'c')).toEqual({ count: 4, events: 1 });
    const letters = await app.readModels.listDeadLetters();
    expect(letters).toEqual([
      expect.objectContaining({
        projection: 'counters',
        streamId: 'other',
        revision: 1n,
        error: 'Error: poison for c',
      }),
    ]);
  });

  it('applies each event exactly once with writers in two processes on shared documents', async () => {
    const schema = fresh();
    const apps = [await open(schema), await open(schema)];
    const engines = apps.map((app) => app.engine([InlineCounters]));
    for (const engine of engines) engine.start();
    await Promise.all(engines.map((engine) => engine.ready()));

    const writers = 8;
    const each = 20;
    await Promise.all(
      apps.flatMap((app, p) =>
        Array.from({ length: writers }, async (_, w) => {
          for (let i = 0; i < each; i++) await app.append(`w-${p}-${w}-${i}`, new Counted(`k${i % 5}`, 1));
        }),
      ),
    );
    const total = apps.length * writers * each;
    let sum = 0;
    for (let k = 0; k < 5; k++) {
      const counter = await apps[0]!.counter(engines[0]!, `k${k}`);
      expect(counter?.count).toBe(counter?.events);
      sum += counter?.events ?? 0;
    }
    expect(sum).toBe(total);
    const [status] = await engines[1]!.status('counters');
    expect(status!.checkpoint).toEqual(await apps[1]!.eventStore.headPosition());
  });

  it('rebuilds while appends go on: the swapped-in model equals the log', async () => {
    const app = await open(fresh());
    const engine = app.engine([InlineCounters]);
    engine.start();
    await engine.ready();
    for (let i = 0; i < 50; i++) await app.append(`before-${i}`, new Counted(`k${i % 3}`, 1));

    // Four writers append while two rebuilds, one after the other, build and swap; each checks that
    // its append's effect is in the served model when the append returns, across the swaps.
    let writing = true;
    let written = 50;
    const missing: string[] = [];
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; writing || i < 10; i++) {
        const key = `u-${w}-${i}`;
        await app.append(`during-${w}-${i}`, new Counted(key, 1));
        written++;
        if (!(await app.counter(engine, key))) missing.push(key);
      }
    });
    const first = await rebuildProjection(engine, 'counters', { batchSize: 10 });
    const result = await rebuildProjection(engine, 'counters', { batchSize: 10 });
    writing = false;
    await Promise.all(writers);

    expect(first.namespace).not.toBe('counters@v1');
    expect(result.namespace).not.toBe('counters@v1');
    expect(await app.readModels.servedNamespace('counters')).toBe(result.namespace);
    expect(missing).toEqual([]);
    const all = await engine.query('counters').collection<Counter>('counters').find();
    expect(all.reduce((sum, { doc }) => sum + doc.events, 0)).toBe(written);
  });

  it('runs asynchronously again once declared without inline, from where inline left off', async () => {
    const schema = fresh();
    const app = await open(schema);
    const inline = app.engine([InlineCounters]);
    inline.start();
    await inline.ready();
    await app.append('s-1', new Counted('a', 1));
    await inline.stop();

    const later = await open(schema);
    const async = later.engine([AsyncCounters]);
    async.start();
    await async.ready(); // drops "counters" from the registry: appends apply it inline no more
    await later.append('s-2', new Counted('a', 1));
    expect(await later.counter(async, 'a')).toEqual({ count: 1, events: 1 }); // not applied inline
    await async.runner('counters').waitForHead(10_000);
    expect(await later.counter(async, 'a')).toEqual({ count: 2, events: 2 });
    const [status] = await async.status('counters');
    expect(status).toMatchObject({ inline: false, eventsBehind: 0 });
  });
});

describe('inline projections', () => {
  beforeAll(() => {
    route = () => ({ url: pg!.url, pooled: false });
  });

  describe('refuses set-ups that cannot share the append transaction, naming the fix', () => {
    it('a read-model store other than PostgreSQL', async () => {
      const app = await open(fresh());
      expect(() => app.engine([InlineCounters], new InMemoryReadModelStore())).toThrow(
        /"counters" are inline .* InMemoryReadModelStore cannot; remove `inline: true`/,
      );
    });

    it('accepts the PostgreSQL event store wrapped for OpenTelemetry', async () => {
      const app = await open(fresh());
      const engine = app.engine([InlineCounters], app.readModels, instrumentEventStore(app.eventStore));
      engine.start();
      await engine.ready();
      await app.append('wrapped', new Counted('w', 1));
      expect(await app.counter(engine, 'w')).toEqual({ count: 1, events: 1 });
    });

    it('an event store other than PostgreSQL', async () => {
      const app = await open(fresh());
      const engine = app.engine([InlineCounters], app.readModels, new InMemoryEventStore());
      await expect(engine.ready()).rejects.toThrow(ConfigurationError);
      await expect(engine.ready()).rejects.toThrow(/need the PostgreSQL event store .* InMemoryEventStore/);
    });

    it('read models in another database', async () => {
      const admin = new Client({ connectionString: pg!.url });
      await admin.connect();
      await admin.query('CREATE DATABASE inline_other');
      await admin.end();
      const otherUrl = pg!.url.replace(/\/postgres(\?|$)/, '/inline_other$1');
      expect(otherUrl).not.toBe(pg!.url);
      const schema = fresh();
      const events = await open(schema);
      const models = await open(schema, { url: otherUrl, pooled: false });
      const engine = events.engine([InlineCounters], models.readModels);
      engine.start();
      await expect(engine.ready()).rejects.toThrow(
        /must share one database; the event store is in database "postgres" and the read models in "inline_other"/,
      );
      const [status] = await engine.status('counters');
      expect(status).toMatchObject({ state: 'failed', inline: true });
    });
  });
});
