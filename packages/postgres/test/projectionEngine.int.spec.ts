import { ProjectionEngine, type ReadModelStore, type ReadModelTransaction } from '@rewind/projections';
import { PostgresReadModelStore } from '@rewind/postgres';
import { expectRebuildEquivalent, startThrowawayPostgres, type ThrowawayPostgres } from '@rewind/testing';
import { app, behaviour, Counted, CounterProjection, Renamed } from './fixtures/counter';

jest.setTimeout(60_000);

let pg: ThrowawayPostgres;
const stores: PostgresReadModelStore[] = [];
const engines: ProjectionEngine[] = [];
let schemas = 0;

beforeAll(async () => {
  pg = await startThrowawayPostgres();
}, 60_000);
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.stop()));
  await Promise.all(stores.splice(0).map((s) => s.close()));
  behaviour.failOnPoison = false;
});
afterAll(() => pg?.stop());

/** A store in a schema of its own: every test starts from an empty read-model database. */
async function freshStore(schema = `engine_${++schemas}`): Promise<PostgresReadModelStore> {
  const store = await PostgresReadModelStore.connect({ connectionString: pg.url, schema });
  stores.push(store);
  return store;
}

function engine(options: Omit<ConstructorParameters<typeof ProjectionEngine>[0], 'processors'>) {
  const e = new ProjectionEngine({ controlPollMs: 20, processors: [CounterProjection], ...options });
  engines.push(e);
  return e;
}

const countersOf = async (e: ProjectionEngine) =>
  Object.fromEntries((await e.query('counters').collection('counters').find()).map((x) => [x.key, x.doc]));

describe('ProjectionEngine on PostgreSQL', () => {
  it('catches up, then applies live events, each exactly once; a rebuild gives the same documents', async () => {
    const shop = app();
    await shop.append('c-a', new Counted('a', 1), new Counted('a', 2));
    const e = engine({ eventStore: shop.eventStore, events: shop.events, store: await freshStore() });
    e.start();
    await e.runner('counters').caughtUp();
    await shop.append('c-b', new Counted('b', 5));
    await shop.append('c-a', new Counted('a', 3), new Renamed('a', "energy bar'; DROP TABLE x; --"));
    await e.waitForHead();
    expect(await countersOf(e)).toEqual({
      a: { count: 6, events: 3, name: "energy bar'; DROP TABLE x; --" },
      b: { count: 5, events: 1 },
    });
    await e.stop();
    await expectRebuildEquivalent(e, 'counters');
  });

  it('loses and duplicates nothing when commits fail mid-way, and resumes from the checkpoint', async () => {
    const shop = app();
    for (let i = 0; i < 300; i++) await shop.append(`c-${i % 7}`, new Counted(`k${i % 7}`, 1));
    const inner = await freshStore();
    let commits = 0;
    // Every 3rd transaction fails after its work (and its flushed writes) ran: as if the process died
    // before COMMIT. The database rolls the flushed rows back.
    const crashing: ReadModelStore = Object.assign(Object.create(inner) as ReadModelStore, {
      transaction: <T>(ns: string, work: (tx: ReadModelTransaction) => Promise<T>) =>
        inner.transaction(ns, async (tx) => {
          const result = await work(tx);
          await tx.collection('counters').find(); // pushes buffered writes into the open transaction
          if (ns.startsWith('counters@') && ++commits % 3 === 0) throw new Error('crash before commit');
          return result;
        }),
    });
    const e = engine({ eventStore: shop.eventStore, events: shop.events, store: crashing });
    e.start();
    await e.waitForHead(20_000);
    const counters = Object.values(await countersOf(e)) as Array<{ count: number; events: number }>;
    expect(counters.reduce((n, c) => n + c.count, 0)).toBe(300);
    expect(counters.every((c) => c.count === c.events)).toBe(true);
    expect(commits).toBeGreaterThan(3);
  }, 30_000);

  it('parks a poison event after its retries, projects the rest, and applies it once after a fix', async () => {
    const shop = app();
    behaviour.failOnPoison = true;
    await shop.append('c-a', new Counted('a', 1), new Counted('bad', 100, true), new Counted('a', 2));
    const e = engine({ eventStore: shop.eventStore, events: shop.events, store: await freshStore() });
    e.start();
    await e.waitForHead();
    expect(await countersOf(e)).toEqual({ a: { count: 3, events: 2 } });
    const [letter] = await e.deadLetters('counters');
    expect(letter).toMatchObject({
      projection: 'counters',
      eventType: 'pg.counted',
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
  });

  it('keeps one active runner per projection across two stores; a standby takes over with no gap', async () => {
    const shop = app();
    const schema = `engine_${++schemas}`;
    const a = engine({
      eventStore: shop.eventStore,
      events: shop.events,
      store: await freshStore(schema),
      owner: 'A',
      lockTtlMs: 300,
    });
    const b = engine({
      eventStore: shop.eventStore,
      events: shop.events,
      store: await freshStore(schema),
      owner: 'B',
      lockTtlMs: 300,
    });
    a.start();
    await a.runner('counters').caughtUp();
    b.start();
    await new Promise((r) => setTimeout(r, 150));
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
    const schema = `engine_${++schemas}`;
    const storeA = await freshStore(schema);
    await shop.append('c-x', new Counted('x', 1));
    const a = engine({
      eventStore: shop.eventStore,
      events: shop.events,
      store: storeA,
      owner: 'A',
      lockTtlMs: 100,
    });
    a.start();
    await a.waitForHead();
    // A stalls (cannot renew) while B, in another pool, takes the expired lease.
    const renew = storeA.tryAcquireLock.bind(storeA);
    storeA.tryAcquireLock = async (lock, owner, ttl) => (owner === 'A' ? false : renew(lock, owner, ttl));
    await new Promise((r) => setTimeout(r, 150));
    const b = engine({
      eventStore: shop.eventStore,
      events: shop.events,
      store: await freshStore(schema),
      owner: 'B',
      lockTtlMs: 5000,
    });
    b.start();
    await b.runner('counters').caughtUp();
    for (let i = 0; i < 20; i++) await shop.append('c-x', new Counted('x', 1));
    await b.waitForHead();
    await new Promise((r) => setTimeout(r, 150));
    expect(await countersOf(b)).toEqual({ x: { count: 21, events: 21 } });
  });

  it('makes a takeover wait for a commit in flight: assertLock holds the lease row', async () => {
    const schema = `engine_${++schemas}`;
    const holder = await freshStore(schema);
    const rival = await freshStore(schema);
    expect(await holder.tryAcquireLock('L', 'A', 100)).toBe(true);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const committing = holder.transaction('fence@v1', async (tx) => {
      await tx.assertLock('L', 'A');
      await tx.collection('c').put('k', { by: 'A' });
      await gate;
    });
    await new Promise((r) => setTimeout(r, 200)); // A's lease has expired, but its transaction holds the row
    let taken = false;
    const takeover = rival.tryAcquireLock('L', 'B', 5000).then((ok) => (taken = ok));
    await new Promise((r) => setTimeout(r, 100));
    expect(taken).toBe(false); // still waiting for A's transaction
    release();
    await committing;
    expect(await takeover).toBe(true);
    await expect(holder.transaction('fence@v1', (tx) => tx.assertLock('L', 'A'))).rejects.toThrow(
      /no longer held/,
    );
  });
});
