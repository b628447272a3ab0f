import { createRewind, DomainEvent, type RewindLogger } from '@rewind/core';
import { On, Projection, ProjectionEngine, type ProjectionContext } from '@rewind/projections';
import { PostgresEventStore, PostgresReadModelStore } from '@rewind/postgres';
import { collect, testEvent } from '@rewind/testing';
import { startThrowawayPostgres, type ThrowawayPostgres } from '@rewind/testing/postgres';
import { Client } from 'pg';

// What the PostgreSQL stores log beside the calls they answer (the `logger` option).
jest.setTimeout(60_000);

interface Entry {
  readonly level: 'error' | 'warn' | 'info' | 'debug';
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

/** A logger with pino's shape that keeps what it is given. */
function capture(): RewindLogger & { readonly entries: Entry[] } {
  const entries: Entry[] = [];
  const at =
    (level: Entry['level']) =>
    (fields: object | string, message?: string): void => {
      if (typeof fields === 'string') entries.push({ level, fields: {}, message: fields });
      else entries.push({ level, fields: fields as Record<string, unknown>, message: message ?? '' });
    };
  return { entries, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

/** Waits until `condition` holds (a reconnect takes a backoff or two). */
async function eventually(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`not within 30 s: ${what}`);
}

@DomainEvent('logging-test.counted')
class Counted {
  constructor(
    readonly key: string,
    readonly poison = false,
  ) {}
}

@Projection('logged-counters', { inline: true })
class LoggedCounters {
  @On(Counted)
  async counted(event: Counted, ctx: ProjectionContext): Promise<void> {
    if (event.poison) throw new Error(`poison ${event.key}`);
    await ctx.collection('counters').put(event.key, { seen: true });
  }
}

let pg: ThrowawayPostgres | undefined;
let admin: Client | undefined;
beforeAll(async () => {
  pg = await startThrowawayPostgres();
  admin = new Client({ connectionString: pg.url });
  await admin.connect();
}, 60_000);
afterAll(async () => {
  await admin?.end();
  await pg?.stop();
});

describe('what the PostgreSQL stores log', () => {
  it('the event store: its tables created, then upgraded', async () => {
    const created = capture();
    const first = await PostgresEventStore.connect({
      connectionString: pg!.url,
      schema: 'logged',
      logger: created,
    });
    await first.close();
    expect(created.entries).toEqual([
      expect.objectContaining({
        level: 'info',
        fields: expect.objectContaining({ schema: 'logged', from: 0, to: 2 }),
        message: expect.stringMatching(/created the event store's tables in schema "logged"/),
      }),
    ]);

    await admin!.query('DROP TABLE logged.inline_projections');
    await admin!.query('DELETE FROM logged.event_store_version WHERE version = 2');
    const upgraded = capture();
    const again = await PostgresEventStore.connect({
      connectionString: pg!.url,
      schema: 'logged',
      logger: upgraded,
    });
    await again.close();
    expect(upgraded.entries.map((e) => e.message)).toEqual([
      expect.stringMatching(/upgraded the event store's tables in schema "logged" from version 1 to 2/),
    ]);

    const quiet = capture(); // nothing to do: nothing said
    await (
      await PostgresEventStore.connect({ connectionString: pg!.url, schema: 'logged', logger: quiet })
    ).close();
    expect(quiet.entries).toEqual([]);
  });

  it('the event store: the LISTEN connection lost (subscriptions poll) and back', async () => {
    const logger = capture();
    const store = await PostgresEventStore.connect({
      connectionString: pg!.url,
      schema: 'listen',
      logger,
      pollIntervalMs: 50,
    });
    logger.entries.length = 0; // the tables created: not what this test is about
    const subscription = store.subscribeToAll();
    const seen: string[] = [];
    const reading = (async () => {
      for await (const message of subscription) {
        if (message.type === 'event') seen.push(message.event.type);
      }
    })();
    try {
      await store.append('s-1', [testEvent('before')]);
      await eventually(() => seen.includes('before'), 'the first event');
      expect(logger.entries).toEqual([]); // connected: nothing to say
      const { rowCount } = await admin!.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN %rewind_events_listen%'`,
      );
      expect(rowCount).toBe(1);
      await eventually(() => logger.entries.some((e) => e.level === 'warn'), 'the loss logged');
      await eventually(() => logger.entries.some((e) => e.level === 'info'), 'the return logged');
      expect(logger.entries.map((e) => [e.level, e.message])).toEqual([
        [
          'warn',
          expect.stringMatching(
            /LISTEN connection to PostgreSQL is lost; live subscriptions poll every 50 ms/,
          ),
        ],
        ['info', expect.stringMatching(/LISTEN connection to PostgreSQL is back/)],
      ]);
      await store.append('s-1', [testEvent('after')]);
      await eventually(() => seen.includes('after'), 'an event after the return');
    } finally {
      await subscription.close();
      await reading;
      await store.close();
    }
  });

  it('the event store: an inline projection attached, and an event it parked', async () => {
    const logger = capture();
    const eventStore = await PostgresEventStore.connect({
      connectionString: pg!.url,
      schema: 'inline_log',
      logger,
    });
    const store = await PostgresReadModelStore.connect({ connectionString: pg!.url, schema: 'inline_log' });
    const rewind = createRewind({ eventStore, events: [Counted] });
    const serialize = (e: Counted) => rewind.events.serialize(e, { correlationId: 'c', causationId: 'c' });
    const engine = new ProjectionEngine({
      eventStore,
      events: rewind.events,
      store,
      processors: [LoggedCounters],
    });
    try {
      engine.start();
      await engine.ready();
      expect(logger.entries).toContainEqual(
        expect.objectContaining({
          level: 'info',
          fields: expect.objectContaining({ projection: 'logged-counters' }),
          message: expect.stringMatching(/"logged-counters" is applied inline/),
        }),
      );
      // Another process, without the projection, appends a poison event; the next inline append parks it.
      const other = await PostgresEventStore.connect({ connectionString: pg!.url, schema: 'inline_log' });
      await other.append('other', [serialize(new Counted('x', true))]);
      await other.close();
      await eventStore.append('mine', [serialize(new Counted('y'))]);
      expect(logger.entries).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          fields: expect.objectContaining({
            projection: 'logged-counters',
            streamId: 'other',
            revision: '0',
            type: 'logging-test.counted',
            error: 'poison x',
          }),
          message: expect.stringMatching(/parked as a dead letter/),
        }),
      );
      expect((await collect(eventStore.readAll())).map((e) => e.streamId)).toEqual(['other', 'mine']);
    } finally {
      await engine.stop();
      await eventStore.close();
      await store.close();
    }
  });

  it('the read-model store: its tables created', async () => {
    const logger = capture();
    const store = await PostgresReadModelStore.connect({
      connectionString: pg!.url,
      schema: 'rm_logged',
      logger,
    });
    await store.close();
    expect(logger.entries).toEqual([
      expect.objectContaining({
        level: 'info',
        message: expect.stringMatching(/created the read-model tables/),
      }),
    ]);
  });
});
