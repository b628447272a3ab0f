import { ConfigurationError, createRewind, DomainEvent, InMemoryEventStore } from '@rewind/core';
import {
  LockLostError,
  On,
  Projection,
  ProjectionEngine,
  type ProjectionContext,
  type ReadModelStore,
  type ReadModelTransaction,
} from '@rewind/projections';
import { PostgresReadModelStore } from '@rewind/postgres';
import {
  startThrowawayPgBouncer,
  startThrowawayPostgres,
  type ThrowawayPgBouncer,
  type ThrowawayPostgres,
} from '@rewind/testing/postgres';

// Two runners of one projection, each with its own pool, both through PgBouncer in transaction mode
// with two server connections: leases and fencing hold because they are rows checked inside each
// commit's transaction, never session state. The log is in memory; the read models go through PgBouncer.
jest.setTimeout(60_000);

@DomainEvent('pgbouncer-test.ticked')
class Ticked {
  constructor(readonly n: number) {}
}

/** Counts how many times each event was applied (`seen/<n>.times`) and in total. */
@Projection('ticks', { batchSize: 20, retries: 0, retryBackoffMs: 1 })
class TickProjection {
  @On(Ticked)
  async ticked(event: Ticked, ctx: ProjectionContext): Promise<void> {
    const seen = ctx.collection<{ times: number }>('seen');
    const before = await seen.get(String(event.n));
    await seen.put(String(event.n), { times: (before?.times ?? 0) + 1 });
    const totals = ctx.collection<{ applied: number }>('totals');
    const total = await totals.get('all');
    await totals.put('all', { applied: (total?.applied ?? 0) + 1 });
  }
}

const LOCK = 'projection:ticks';

async function eventually(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * A store whose process can be frozen, as a stalled process (a long GC pause, a stopped container):
 * a transaction started while frozen waits after its BEGIN, holding its server connection idle in
 * transaction; lease renewals wait too. `thaw()` lets them all go on.
 */
function freezable(inner: ReadModelStore) {
  let gate: Promise<void> | undefined;
  let open: () => void = () => undefined;
  let entered: () => void = () => undefined;
  const stalled = new Promise<void>((resolve) => (entered = resolve));
  const refused: unknown[] = [];
  const wait = async () => {
    while (gate) await gate;
  };
  const store = new Proxy(inner, {
    get(target, property) {
      if (property === 'transaction') {
        return async <T>(namespace: string, work: (tx: ReadModelTransaction) => Promise<T>) => {
          let held = false;
          try {
            return await target.transaction(namespace, async (tx) => {
              if (gate) {
                held = true;
                entered();
              }
              await wait();
              return work(tx);
            });
          } catch (error) {
            if (held) refused.push(error);
            throw error;
          }
        };
      }
      if (property === 'tryAcquireLock') {
        return async (lock: string, owner: string, ttlMs: number) => {
          await wait();
          return target.tryAcquireLock(lock, owner, ttlMs);
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return {
    store,
    /** Resolves once a transaction is held up by the freeze. */
    stalled,
    /** What the transactions held up by a freeze failed with. */
    refused,
    freeze: () => {
      gate = new Promise((resolve) => (open = resolve));
    },
    thaw: () => {
      gate = undefined;
      open();
    },
  };
}

describe('two projection runners through PgBouncer (transaction mode, two server connections)', () => {
  let pg: ThrowawayPostgres;
  let bouncer: ThrowawayPgBouncer;
  let schemas = 0;
  const stores: ReadModelStore[] = [];
  const engines: ProjectionEngine[] = [];
  beforeAll(async () => {
    pg = await startThrowawayPostgres();
    bouncer = await startThrowawayPgBouncer(pg, { poolMode: 'transaction', defaultPoolSize: 2 });
  }, 60_000);
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.stop()));
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await bouncer?.stop();
    await pg?.stop();
  });

  /** A log in memory, and `append(count)` of Ticked events numbered on. */
  function log() {
    const eventStore = new InMemoryEventStore();
    const rewind = createRewind({ eventStore, events: [Ticked] });
    let next = 0;
    const append = async (count: number) => {
      for (let i = 0; i < count; i++) {
        await eventStore.append(`t-${next % 5}`, [
          rewind.events.serialize(new Ticked(next++), { correlationId: 'c', causationId: 'c' }),
        ]);
      }
    };
    return { eventStore, events: rewind.events, append, appended: () => next };
  }

  /** Two stores on one schema, each with its own pool of two connections, through the bouncer. */
  async function twoStores(): Promise<[PostgresReadModelStore, PostgresReadModelStore]> {
    const schema = `runners_${++schemas}`;
    const open = () =>
      PostgresReadModelStore.connect({
        connectionString: bouncer.url,
        schema,
        preparedStatements: false,
        poolConfig: { max: 2 },
      });
    const pair: [PostgresReadModelStore, PostgresReadModelStore] = [await open(), await open()];
    stores.push(...pair);
    return pair;
  }

  function engine(
    l: ReturnType<typeof log>,
    store: ReadModelStore,
    owner: string,
    lockTtlMs: number,
    committed: Map<string, number>,
  ) {
    const e = new ProjectionEngine({
      eventStore: l.eventStore,
      events: l.events,
      store,
      processors: [TickProjection],
      owner,
      lockTtlMs,
      controlPollMs: 20,
    });
    e.on('batch-committed', ({ count, replay }) => {
      if (!replay) committed.set(owner, (committed.get(owner) ?? 0) + count);
    });
    engines.push(e);
    return e;
  }

  /** Every appended event applied exactly once in the served model. */
  async function expectEachAppliedOnce(store: ReadModelStore, total: number): Promise<void> {
    const namespace = (await store.servedNamespace('ticks'))!;
    const seen = await store.collection<{ times: number }>(namespace, 'seen').find();
    expect(seen).toHaveLength(total);
    expect(seen.filter((s) => s.doc.times !== 1)).toEqual([]);
    expect(await store.collection(namespace, 'totals').get('all')).toEqual({ applied: total });
  }

  it('keeps exactly one active runner; when it stops, the standby takes over, applying each event once', async () => {
    const l = log();
    await l.append(100);
    const [storeA, storeB] = await twoStores();
    const committed = new Map<string, number>();
    const acquired: string[] = [];
    const a = engine(l, storeA, 'A', 1000, committed);
    const b = engine(l, storeB, 'B', 1000, committed);
    for (const e of [a, b]) e.on('lease-acquired', ({ owner }) => acquired.push(owner));
    a.start();
    b.start(); // both race for the lease
    await eventually(async () => (await storeA.lockHolder(LOCK)) !== undefined, 'a lease holder');
    const first = (await storeA.lockHolder(LOCK))!.owner;
    const [active, standby] = first === 'A' ? [a, b] : [b, a];
    await eventually(() => standby.runner('ticks').status().state === 'standby', 'the other to stand by');
    await active.runner('ticks').caughtUp();
    await l.append(100);
    await active.waitForHead();
    expect(standby.runner('ticks').status().state).toBe('standby');
    expect(committed.get(first === 'A' ? 'B' : 'A') ?? 0).toBe(0);

    await active.stop(); // gives the lease back
    await l.append(100);
    await standby.runner('ticks').caughtUp(20_000);
    await standby.waitForHead();
    const second = first === 'A' ? 'B' : 'A';
    expect(acquired).toEqual([first, second]);
    expect((await storeB.lockHolder(LOCK))?.owner).toBe(second);
    expect((committed.get('A') ?? 0) + (committed.get('B') ?? 0)).toBe(300);
    expect(committed.get(second)).toBeGreaterThan(0);
    await expectEachAppliedOnce(storeB, 300);
  });

  it('when the active one stalls and its lease lapses, the standby takes over and the stalled commit is refused', async () => {
    const l = log();
    await l.append(60);
    const [storeA, storeB] = await twoStores();
    const frozenA = freezable(storeA);
    const committed = new Map<string, number>();
    const lost: Array<{ owner: string; reason: string }> = [];
    const a = engine(l, frozenA.store, 'A', 600, committed);
    a.on('lease-lost', ({ owner, reason }) => lost.push({ owner, reason }));
    a.start();
    await a.runner('ticks').caughtUp();
    await a.waitForHead();
    const b = engine(l, storeB, 'B', 5000, committed);
    b.start();
    await eventually(() => b.runner('ticks').status().state === 'standby', 'B to stand by');

    frozenA.freeze();
    const beforeFreeze = committed.get('A');
    await l.append(40); // A begins a transaction for them and stalls in it, holding a server connection
    await frozenA.stalled;
    await eventually(
      async () => (await storeB.lockHolder(LOCK))?.owner === 'B',
      'B to take the lapsed lease',
    );
    await b.runner('ticks').caughtUp(20_000);
    await b.waitForHead();
    expect(committed.get('A')).toBe(beforeFreeze);

    frozenA.thaw(); // A's stalled transaction goes on: its assertLock finds B's lease and rolls back
    await eventually(() => lost.length > 0, 'A to learn it lost its lease');
    await eventually(() => a.runner('ticks').status().state === 'standby', 'A to stand by');
    expect(lost[0]!.owner).toBe('A');
    expect(committed.get('A')).toBe(beforeFreeze);
    // the stalled transaction itself was refused by its assertLock, inside the transaction
    expect(frozenA.refused[0]).toBeInstanceOf(LockLostError);

    await l.append(30);
    await b.waitForHead();
    expect((committed.get('A') ?? 0) + (committed.get('B') ?? 0)).toBe(130);
    await expectEachAppliedOnce(storeB, 130);
  });
});

describe('named prepared statements behind PgBouncer 1.18 in transaction mode', () => {
  let pg: ThrowawayPostgres;
  let bouncer: ThrowawayPgBouncer;
  beforeAll(async () => {
    pg = await startThrowawayPostgres();
    // one server connection: every client's statements run on the same server session
    bouncer = await startThrowawayPgBouncer(pg, { poolMode: 'transaction', defaultPoolSize: 1 });
  }, 60_000);
  afterAll(async () => {
    await bouncer?.stop();
    await pg?.stop();
  });

  it('break (42P05) with preparedStatements: true, and work with preparedStatements: false', async () => {
    const prepared = await PostgresReadModelStore.connect({
      connectionString: bouncer.url,
      poolConfig: { max: 2 },
    });
    const unnamed = await PostgresReadModelStore.connect({
      connectionString: bouncer.url,
      preparedStatements: false,
      poolConfig: { max: 2 },
    });
    try {
      await prepared.transaction('p@v1', (tx) => tx.collection('c').put('k', { ok: true }));
      // two connections of one pool each prepare "rewind-get:…": the bouncer runs both on the one
      // server session, which already has it — PostgreSQL refuses the second PREPARE
      const reads = await Promise.allSettled([
        prepared.collection('p@v1', 'c').get('k'),
        prepared.collection('p@v1', 'c').get('k'),
      ]);
      const failures = reads.filter((r) => r.status === 'rejected');
      expect(failures).toHaveLength(1);
      const reason = (failures[0] as PromiseRejectedResult).reason as Error;
      expect(reason).toBeInstanceOf(ConfigurationError);
      expect(reason).toMatchObject({ cause: { code: '42P05' } });
      expect(reason.message).toMatch(/preparedStatements: false/);
      expect(reason.message).toMatch(/prepared statement .* already exists/);

      // unnamed statements on the same server session, beside the leaked named one
      const ok = await Promise.all([
        unnamed.collection('p@v1', 'c').get('k'),
        unnamed.collection('p@v1', 'c').get('k'),
        unnamed.transaction('p@v1', (tx) => tx.collection('c').get('k')),
      ]);
      expect(ok).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    } finally {
      await prepared.close();
      await unnamed.close();
    }
  });

  it('fail the runner with a ConfigurationError instead of parking events as dead letters', async () => {
    const schema = 'misconfigured';
    const open = (preparedStatements: boolean) =>
      PostgresReadModelStore.connect({ connectionString: bouncer.url, schema, preparedStatements });
    // another process prepared "rewind-get:…" on the one server session first
    const other = await open(true);
    const store = await open(true);
    const eventStore = new InMemoryEventStore();
    const rewind = createRewind({ eventStore, events: [Ticked] });
    const engine = new ProjectionEngine({
      eventStore,
      events: rewind.events,
      store,
      processors: [TickProjection],
      controlPollMs: 20,
    });
    try {
      expect(await other.collection('ticks@v1', 'seen').get('0')).toBeUndefined();
      for (let n = 0; n < 10; n++) {
        await eventStore.append('t', [
          rewind.events.serialize(new Ticked(n), { correlationId: 'c', causationId: 'c' }),
        ]);
      }
      const errors: unknown[] = [];
      engine.on('runner-error', ({ error }) => errors.push(error));
      engine.start();
      await eventually(() => engine.runner('ticks').status().state === 'failed', 'the runner to fail');
      expect(errors.at(-1)).toBeInstanceOf(ConfigurationError);
      expect(engine.runner('ticks').status().lastError).toMatch(/preparedStatements: false/);
      expect(await store.listDeadLetters()).toEqual([]);
      expect(await store.getCheckpoint('ticks@v1')).toBeUndefined();
    } finally {
      await engine.stop();
      await store.close();
      await other.close();
    }
  });
});
