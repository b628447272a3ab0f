import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ConfigurationError, createRewind, DomainEvent, ProjectionError } from '@rewind/core';
import { EventStoreDBEventStore } from '@rewind/eventstoredb';
import {
  InMemoryReadModelStore,
  On,
  Projection,
  ProjectionEngine,
  type ProjectionContext,
} from '@rewind/projections';
import { testEvent } from '@rewind/testing';
import {
  EVENTSTOREDB_SERVER_MODES,
  EventStoreDBTestServer,
  type EventStoreDBServerMode,
} from '@rewind/testing/eventstoredb';
import { comparePositions } from '@rewind/core';

// Projections on EventStoreDB, on every server version the protocol test server imitates (see
// EventStoreDBServerMode for the tags each mode stands for). A real server cannot be told to be an
// older version, so these run on the test server only; `npm run test:eventstoredb` runs the adapter's
// suites against EVENTSTORE_URL.

@DomainEvent('esdb.rare')
class Rare {
  constructor(readonly key: string) {}
}

@Projection('rare', { batchSize: 50 })
class RareProjection {
  @On(Rare)
  async rare(event: Rare, ctx: ProjectionContext): Promise<void> {
    const seen = ctx.collection<{ count: number }>('seen');
    const current = await seen.get(event.key);
    await seen.put(event.key, { count: (current?.count ?? 0) + 1 });
  }
}

interface Setup {
  readonly server: EventStoreDBTestServer;
  readonly store: EventStoreDBEventStore;
  readonly engine: ProjectionEngine;
  /** Appends `Rare` events to one stream. */
  rare(stream: string, ...keys: string[]): Promise<void>;
  /** Appends `count` events no projection handles, one per append, over a few streams. */
  noise(count: number): Promise<void>;
  /** How many `Rare` events the read model counted. */
  counted(): Promise<number>;
}

async function setUp(version: EventStoreDBServerMode): Promise<Setup> {
  const server = await EventStoreDBTestServer.start({ version });
  const store = new EventStoreDBEventStore({ connectionString: server.connectionString });
  const rewind = createRewind({ eventStore: store, events: [Rare] });
  const engine = new ProjectionEngine({
    eventStore: store,
    events: rewind.events,
    store: new InMemoryReadModelStore(),
    processors: [RareProjection],
  });
  return {
    server,
    store,
    engine,
    rare: async (stream, ...keys) => {
      await store.append(
        stream,
        keys.map((key) => rewind.events.serialize(new Rare(key), { correlationId: 'c', causationId: 'c' })),
      );
    },
    noise: async (count) => {
      for (let i = 0; i < count; i++) await store.append(`noise-${i % 5}`, [testEvent('esdb.noise')]);
    },
    counted: async () => {
      const docs = await engine.query('rare').collection<{ count: number }>('seen').find();
      return docs.reduce((sum, { doc }) => sum + doc.count, 0);
    },
  };
}

const supported = EVENTSTOREDB_SERVER_MODES.filter((mode) => mode !== '22.10');

describe.each(supported)('projections on EventStoreDB %s (protocol test server)', (version) => {
  let setup: Setup;
  beforeEach(async () => {
    setup = await setUp(version);
  });
  afterEach(async () => {
    await setup.engine.stop();
    await setup.store.close();
    await setup.server.stop();
  });

  it('never goes silent after a subscription from the start on a log where nothing matched yet (KDB-710, KDB-744)', async () => {
    const { engine, rare, counted } = setup;
    engine.start();
    // Caught up on a log of system records only: 24.10.0 sends the End checkpoint (2^64−1) here, 25.0.0
    // a checkpoint at the log's end.
    await engine.runner('rare').caughtUp();
    await rare('rare-1', 'a');
    await engine.waitForHead();
    expect(await counted()).toBe(1);
    await rare('rare-1', 'b');
    await engine.waitForHead();
    expect(await counted()).toBe(2);
  });

  it('settles a sparse projection at the head: waitForHead returns after events it does not handle', async () => {
    const { engine, store, rare, noise, counted } = setup;
    engine.start();
    await rare('rare-2', 'a');
    // Fewer than a live-checkpoint interval (32) of events it does not handle, then more than one.
    await noise(7);
    await engine.waitForHead();
    expect(await counted()).toBe(1);
    await noise(45);
    await engine.waitForHead();
    const head = await store.headPosition();
    expect(comparePositions(engine.runner('rare').status().checkpoint!, head!)).toBeGreaterThanOrEqual(0);
    await rare('rare-2', 'b');
    await noise(3);
    await engine.waitForHead();
    expect(await counted()).toBe(2);
  });

  it('settles a dense projection at the head', async () => {
    const { engine, rare, counted } = setup;
    for (let i = 0; i < 10; i++) await rare(`dense-${i}`, ...Array.from({ length: 20 }, (_, j) => `k${j}`));
    engine.start();
    await engine.waitForHead();
    expect(await counted()).toBe(200);
    for (let i = 0; i < 5; i++) await rare(`dense-live-${i}`, 'x', 'y');
    await engine.waitForHead();
    expect(await counted()).toBe(210);
  });

  it('goes on after the server makes the subscription fall behind and catch up again', async () => {
    const { engine, server, rare, noise, counted } = setup;
    engine.start();
    await rare('behind-1', 'a');
    await engine.waitForHead();
    expect(server.fallBehind()).toBeGreaterThan(0);
    await rare('behind-1', 'b', 'c');
    await noise(5);
    await engine.waitForHead();
    expect(await counted()).toBe(3);
  });
});

describe('projections on EventStoreDB 22.10 (protocol test server): below the supported floor', () => {
  let setup: Setup;
  beforeEach(async () => {
    setup = await setUp('22.10');
  });
  afterEach(async () => {
    await setup.engine.stop();
    await setup.store.close();
    await setup.server.stop();
  });

  it('fails the projection at once with the version and the floor, instead of never catching up', async () => {
    const { engine } = setup;
    engine.start();
    // The runner fails (a ConfigurationError is not retried) and says why.
    const failed = await engine
      .runner('rare')
      .caughtUp()
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ProjectionError);
    expect((failed as Error).message).toMatch(/version 22\.10\.5; Rewind needs 23\.10 or later/);
    expect(engine.runner('rare').status().state).toBe('failed');
    // Anything else on that store says the same.
    await expect(engine.waitForHead()).rejects.toBeInstanceOf(ConfigurationError);
  });
});
