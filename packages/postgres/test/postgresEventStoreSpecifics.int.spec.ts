import {
  comparePositions,
  ConcurrencyError,
  ConfigurationError,
  StoreUnavailableError,
  ValidationError,
  type RecordedEvent,
  type SubscriptionMessage,
} from '@rewind/core';
import { PostgresEventStore, PostgresReadModelStore, PostgresSnapshotStorage } from '@rewind/postgres';
import { collect, testEvent } from '@rewind/testing';
import { startThrowawayPostgres, type ThrowawayPostgres } from '@rewind/testing/postgres';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Client, Pool, type QueryConfig } from 'pg';

jest.setTimeout(60_000);

let pg: ThrowawayPostgres;
let admin: Pool;
beforeAll(async () => {
  pg = await startThrowawayPostgres();
  admin = new Pool({ connectionString: pg.url, max: 4 });
}, 60_000);
afterAll(async () => {
  await admin?.end();
  await pg?.stop();
});

/** Resolves once `condition` holds, checking after every turn of the event loop (fails after 20 s). */
async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Consumes a subscription in the background, keeping every message. */
function consume(iterable: AsyncIterable<SubscriptionMessage>): {
  messages: SubscriptionMessage[];
  done: Promise<void>;
} {
  const messages: SubscriptionMessage[] = [];
  const done = (async () => {
    for await (const message of iterable) messages.push(message);
  })();
  return { messages, done };
}

const eventsIn = (messages: SubscriptionMessage[], tag: string): RecordedEvent[] =>
  messages.flatMap((m) => (m.type === 'event' && m.event.type.endsWith(tag) ? [m.event] : []));

describe('commit order: no reader ever skips an event that commits late', () => {
  it('holds readers at an open append transaction, then delivers every event exactly once, in order', async () => {
    // Poll fast: the held transaction commits without a notification, as a foreign writer might.
    const store = await PostgresEventStore.connect({
      connectionString: pg.url,
      schema: 'order_test',
      pollIntervalMs: 50,
    });
    const head = jest.spyOn(store as unknown as { head: () => Promise<unknown> }, 'head');
    const tag = randomUUID().slice(0, 8);
    try {
      await store.append(`warm-${tag}`, [testEvent(`warm${tag}`)]);
      const start = await store.headPosition();
      const sub = store.subscribeToAll({
        after: start!,
        filter: { streamPrefixes: [`s-${tag}`, `held-${tag}`] },
      });
      const consumer = consume(sub);
      await until(() => consumer.messages.some((m) => m.type === 'caught-up'), 'caught-up');

      // A writer takes its transaction id first (by inserting its event the way the store does), then stalls.
      const held = await admin.connect();
      await held.query('BEGIN');
      await held.query(`INSERT INTO order_test.streams (stream_id, revision) VALUES ($1, 0)`, [
        `held-${tag}`,
      ]);
      await held.query(
        `INSERT INTO order_test.events (stream_id, revision, event_id, type, data, metadata)
         VALUES ($1, 0, $2, $3, '{}', $4)`,
        [`held-${tag}`, randomUUID(), `held${tag}`, JSON.stringify(testEvent('x').metadata)],
      );
      // Others append and commit after it: their transaction ids are higher, their rows visible first.
      const later: string[] = [];
      for (let i = 0; i < 5; i++) {
        const event = { ...testEvent(`later${i}${tag}`), id: randomUUID() };
        later.push(event.id);
        await store.append(`s-${tag}-${i % 2}`, [event]);
      }
      // Not delivered, not read, not counted while the held transaction is open...
      const calls = head.mock.calls.length;
      await until(() => head.mock.calls.length >= calls + 2, 'the subscription to look at the log again');
      const sees = (events: RecordedEvent[]) =>
        events.filter((e) => e.streamId.startsWith(`s-${tag}`) || e.streamId.startsWith(`held-${tag}`));
      expect(sees(consumer.messages.flatMap((m) => (m.type === 'event' ? [m.event] : [])))).toEqual([]);
      expect(sees(await collect(store.readAll({ after: start! })))).toEqual([]);
      expect(await store.countEvents({ after: start! })).toBe(0);
      expect(await store.headPosition()).toEqual(start);
      // ...though a stream's own reads are not held back.
      expect((await collect(store.readStream(`s-${tag}-0`))).length).toBe(3);

      await held.query('COMMIT');
      held.release();

      await until(() => eventsIn(consumer.messages, tag).length >= 6, 'all six events');
      const delivered = eventsIn(consumer.messages, tag);
      expect(delivered.map((e) => e.type)).toEqual([
        `held${tag}`,
        ...[0, 1, 2, 3, 4].map((i) => `later${i}${tag}`),
      ]);
      expect(delivered.slice(1).map((e) => e.id)).toEqual(later);
      for (let i = 1; i < delivered.length; i++) {
        expect(comparePositions(delivered[i]!.position, delivered[i - 1]!.position)).toBe(1);
      }
      const read = sees(await collect(store.readAll({ after: start! })));
      expect(read.map((e) => e.id)).toEqual(delivered.map((e) => e.id));
      expect(await store.countEvents({ after: start! })).toBe(6);
      await sub.close();
      await consumer.done;
      // No duplicates arrived after the last check either.
      expect(eventsIn(consumer.messages, tag).length).toBe(6);
    } finally {
      head.mockRestore();
      await store.close();
    }
  });
});

describe('a filtered subscription over a long backlog', () => {
  it('scans it a window at a time, with a checkpoint after each, before the rare event', async () => {
    const store = await PostgresEventStore.connect({
      connectionString: pg.url,
      schema: 'sparse',
      pageSize: 10,
    });
    try {
      const tag = randomUUID().slice(0, 8);
      const head0 = await store.headPosition();
      for (let i = 0; i < 25; i++) {
        await store.append(
          `noise-${tag}`,
          Array.from({ length: 10 }, () => testEvent(`noise${tag}`)),
        );
      }
      const rare = await store.append(`rare-${tag}`, [testEvent(`rare${tag}`)]);
      const sub = store.subscribeToAll({
        ...(head0 ? { after: head0 } : {}),
        filter: { eventTypes: [`rare${tag}`] },
      });
      const messages: SubscriptionMessage[] = [];
      for await (const message of sub) {
        messages.push(message);
        if (message.type === 'caught-up') break;
      }
      await sub.close();
      const kinds = messages.map((m) => m.type);
      // 251 rows in windows of 100: a checkpoint after each of the first two, then the event (the head) and caught-up.
      expect(kinds).toEqual(['checkpoint', 'checkpoint', 'event', 'caught-up']);
      const positions = messages.flatMap((m) =>
        m.type === 'checkpoint' ? [m.position] : m.type === 'event' ? [m.event.position] : [],
      );
      for (let i = 1; i < positions.length; i++)
        expect(comparePositions(positions[i]!, positions[i - 1]!)).toBe(1);
      expect(messages[2]).toMatchObject({ type: 'event', event: { position: rare.position } });
    } finally {
      await store.close();
    }
  });
});

describe('LISTEN/NOTIFY', () => {
  it("wakes a subscription on another store's commit, without waiting for the poll", async () => {
    // The poll would take ten minutes: only the notification can deliver within the test's time.
    const reader = await PostgresEventStore.connect({
      connectionString: pg.url,
      schema: 'notified',
      pollIntervalMs: 600_000,
    });
    const writer = await PostgresEventStore.connect({ connectionString: pg.url, schema: 'notified' });
    try {
      const tag = randomUUID().slice(0, 8);
      const head0 = await reader.headPosition();
      const sub = reader.subscribeToAll({
        ...(head0 ? { after: head0 } : {}),
        filter: { eventTypes: [`ping${tag}`] },
      });
      const iterator = sub[Symbol.asyncIterator]();
      while ((await iterator.next()).value?.type !== 'caught-up');
      const next = iterator.next();
      // Appends until one lands after the LISTEN connection (opened by the first subscription) is up.
      let delivered: IteratorResult<SubscriptionMessage> | undefined;
      void next.then((result) => (delivered = result));
      for (let i = 0; delivered === undefined && i < 200; i++) {
        await writer.append(`ping-${tag}`, [testEvent(`ping${tag}`)]);
        await Promise.race([next, new Promise((resolve) => setTimeout(resolve, 50))]);
      }
      expect(delivered?.value).toMatchObject({ type: 'event', event: { type: `ping${tag}` } });
      await sub.close();
    } finally {
      await writer.close();
      await reader.close();
    }
  });
});

describe('order by number, never by text', () => {
  it('reads revisions and positions past 9 in numeric order', async () => {
    const store = await PostgresEventStore.connect({ connectionString: pg.url, schema: 'numeric' });
    try {
      const s = `long-${randomUUID()}`;
      const head0 = await store.headPosition();
      await store.append(
        s,
        Array.from({ length: 12 }, (_, i) => testEvent(`e${i}`)),
      );
      await store.append(s, [testEvent('e12')]);
      expect((await collect(store.readStream(s, { direction: 'backwards', maxCount: 1 })))[0]?.revision).toBe(
        12n,
      );
      const all = (await collect(store.readAll(head0 ? { after: head0 } : {}))).filter(
        (e) => e.streamId === s,
      );
      expect(all.map((e) => e.revision)).toEqual(Array.from({ length: 13 }, (_, i) => BigInt(i)));
      const back = (await collect(store.readAll({ direction: 'backwards', maxCount: 13 }))).map(
        (e) => e.revision,
      );
      expect(back).toEqual(Array.from({ length: 13 }, (_, i) => BigInt(12 - i)));
    } finally {
      await store.close();
    }
  });
});

describe('schema and connection errors', () => {
  it('refuses a schema holding a table of the same name that Rewind did not create, and changes nothing', async () => {
    await admin.query('CREATE SCHEMA foreign1; CREATE TABLE foreign1.events (id int)');
    const error = await PostgresEventStore.connect({ connectionString: pg.url, schema: 'foreign1' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/"events".*did not create.*schema/);
    const { rows } = await admin.query<{ relname: string }>(
      "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE nspname = 'foreign1' AND relkind = 'r'",
    );
    expect(rows.map((r) => r.relname)).toEqual(['events']);
  });

  it('refuses a bad schema name before connecting', async () => {
    await expect(
      PostgresEventStore.connect({ connectionString: pg.url, schema: 'Bad-Name' }),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it('says which server cannot be reached', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const error = await PostgresEventStore.connect({
      connectionString: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
  });

  it('sets up once when several processes start at once, beside the read-model store in the same schema', async () => {
    const stores = await Promise.all([
      ...Array.from({ length: 5 }, () =>
        PostgresEventStore.connect({ connectionString: pg.url, schema: 'together' }),
      ),
    ]);
    const readModels = await PostgresReadModelStore.connect({ connectionString: pg.url, schema: 'together' });
    try {
      await stores[0]!.append('shared-1', [testEvent('a')]);
      expect((await collect(stores[4]!.readStream('shared-1'))).map((e) => e.type)).toEqual(['a']);
      const { rows } = await admin.query<{ version: number }>(
        'SELECT version FROM together.event_store_version ORDER BY version',
      );
      expect(rows).toEqual([{ version: 1 }, { version: 2 }]);
    } finally {
      await readModels.close();
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('writes again when the stream rows it knew of were emptied under it', async () => {
    const store = await PostgresEventStore.connect({ connectionString: pg.url, schema: 'emptied' });
    try {
      await store.append('known', [testEvent('a')], { expectedRevision: 'no_stream' });
      await store.append('known', [testEvent('b')], { expectedRevision: 0n }); // the row is known now
      await admin.query('TRUNCATE emptied.events, emptied.streams');
      const result = await store.append('known', [testEvent('c')], { expectedRevision: 'no_stream' });
      expect(result.nextExpectedRevision).toBe(0n);
      expect((await collect(store.readStream('known'))).map((e) => e.type)).toEqual(['c']);
    } finally {
      await store.close();
    }
  });

  it('upgrades a version 1 schema (before inline projections) in place, keeping its events', async () => {
    const first = await PostgresEventStore.connect({ connectionString: pg.url, schema: 'upgrade' });
    await first.append('kept', [testEvent('a')]);
    await first.close();
    // As version 1 left it: no registry of inline projections.
    await admin.query('DROP TABLE upgrade.inline_projections');
    await admin.query('DELETE FROM upgrade.event_store_version WHERE version = 2');

    const upgraded = await PostgresEventStore.connect({ connectionString: pg.url, schema: 'upgrade' });
    try {
      const { rows } = await admin.query<{ version: number }>(
        'SELECT version FROM upgrade.event_store_version ORDER BY version',
      );
      expect(rows).toEqual([{ version: 1 }, { version: 2 }]);
      expect((await collect(upgraded.readStream('kept'))).map((e) => e.type)).toEqual(['a']);
      await upgraded.append('kept', [testEvent('b')]); // reads the registry in its first statement
      expect((await collect(upgraded.readStream('kept'))).map((e) => e.type)).toEqual(['a', 'b']);
    } finally {
      await upgraded.close();
    }
  });

  it('leaves a pool it was given open', async () => {
    const pool = new Pool({ connectionString: pg.url, max: 2 });
    const store = await PostgresEventStore.connect({ pool, schema: 'given' });
    await store.append('given-1', [testEvent('a')]);
    await store.close();
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await pool.end();
  });
});

describe('concurrent appenders in several processes', () => {
  it('gives each revision of a stream to exactly one writer, densely, without deadlock', async () => {
    const stores = await Promise.all(
      Array.from({ length: 4 }, () =>
        PostgresEventStore.connect({ connectionString: pg.url, schema: 'contended', maxBatch: 16 }),
      ),
    );
    const stream = `hot-${randomUUID()}`;
    const others = Array.from({ length: 3 }, (_, i) => `warm-${i}-${randomUUID()}`);
    const TARGET = 200n;
    const wins: bigint[] = [];
    let conflicts = 0;
    try {
      await Promise.all(
        stores.flatMap((store, s) =>
          Array.from({ length: 8 }, async (_, w) => {
            for (;;) {
              const last = (
                await collect(store.readStream(stream, { direction: 'backwards', maxCount: 1 })).catch(
                  () => [],
                )
              )[0];
              const expected = last ? last.revision : ('no_stream' as const);
              if (last && last.revision >= TARGET - 1n) return;
              // Appends to other streams share the same group commits (several streams locked per batch).
              void store.append(others[(s + w) % 3]!, [testEvent('noise')]).catch(() => undefined);
              try {
                const result = await store.append(stream, [testEvent(`w${s}.${w}`)], {
                  expectedRevision: expected,
                });
                wins.push(result.nextExpectedRevision);
              } catch (error) {
                if (!(error instanceof ConcurrencyError)) throw error;
                conflicts++;
              }
            }
          }),
        ),
      );
      const events = await collect(stores[0]!.readStream(stream));
      expect(events.map((e) => e.revision)).toEqual(
        Array.from({ length: Number(TARGET) }, (_, i) => BigInt(i)),
      );
      expect([...wins].sort((a, b) => (a < b ? -1 : 1))).toEqual(events.map((e) => e.revision));
      expect(conflicts).toBeGreaterThan(0);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('fails a bad append alone, never the rest of its group commit', async () => {
    const store = await PostgresEventStore.connect({ connectionString: pg.url, schema: 'contended' });
    try {
      const existing = `exists-${randomUUID()}`;
      await store.append(existing, [testEvent('a')]);
      const results = await Promise.allSettled([
        store.append(`ok-${randomUUID()}`, [testEvent('a')], { expectedRevision: 'no_stream' }),
        store.append(existing, [testEvent('b')], { expectedRevision: 'no_stream' }),
        store.append(`new-${randomUUID()}`, [testEvent('a')], { expectedRevision: 'stream_exists' }),
        store.append(`ok-${randomUUID()}`, [testEvent('a')], { expectedRevision: 'any' }),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
      expect(store.commitStats.commits).toBeLessThanOrEqual(3);
      // The stream a failed append would have created does not exist.
      expect(await collect(store.listStreams({ prefix: 'new-' }))).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

describe('stream names written into the locking statement', () => {
  it('keeps quotes, backslashes and dollar signs exactly', async () => {
    const store = await PostgresEventStore.connect({ connectionString: pg.url, schema: 'quoted' });
    try {
      const tag = randomUUID().slice(0, 8);
      const names = [
        `q${tag}-it's`,
        `q${tag}-back\\slash\\'`,
        `q${tag}-$$ x $$`,
        `q${tag}-"dq"; DROP TABLE x; --`,
      ];
      await Promise.all(
        names.map((name) => store.append(name, [testEvent('a')], { expectedRevision: 'no_stream' })),
      );
      const listed = await collect(store.listStreams({ prefix: `q${tag}-` }));
      expect(listed.map((s) => s.streamId).sort()).toEqual([...names].sort());
      for (const name of names)
        expect((await collect(store.readStream(name))).map((e) => e.streamId)).toEqual([name]);
    } finally {
      await store.close();
    }
  });
});

describe('preparedStatements', () => {
  /** Runs a bit of everything and returns the names of the prepared statements sent. */
  async function statementNames(preparedStatements: boolean): Promise<string[]> {
    const names: string[] = [];
    const realQuery = Client.prototype.query as (...args: unknown[]) => unknown;
    const query = jest.spyOn(Client.prototype, 'query').mockImplementation(function (
      this: Client,
      ...args: unknown[]
    ) {
      const config = args[0] as QueryConfig | string;
      if (typeof config === 'object' && config.name) names.push(config.name);
      return realQuery.apply(this, args);
    } as never);
    try {
      const store = await PostgresEventStore.connect({
        connectionString: pg.url,
        schema: 'prepared',
        preparedStatements,
      });
      try {
        const s = `prep-${randomUUID()}`;
        const head0 = await store.headPosition();
        await store.append(s, [{ ...testEvent('a'), id: randomUUID() }], { expectedRevision: 'any' });
        await store.append(s, [testEvent('b')], { expectedRevision: 0n });
        await collect(store.readStream(s, { direction: 'backwards' }));
        await collect(store.readAll({ ...(head0 ? { after: head0 } : {}), filter: { eventTypes: ['a'] } }));
        await collect(store.listStreams({ prefix: 'prep-' }));
        await store.countEvents();
        const snapshots = new PostgresSnapshotStorage(store);
        await snapshots.write({
          streamId: s,
          revision: 1n,
          schemaVersion: 1,
          state: {},
          takenAt: new Date(),
        });
        await snapshots.read(s);
        const sub = store.subscribeToAll({ ...(head0 ? { after: head0 } : {}) });
        for await (const message of sub) if (message.type === 'caught-up') break;
        await sub.close();
      } finally {
        await store.close();
      }
    } finally {
      query.mockRestore();
    }
    return names;
  }

  it('names hot statements by default, and sends only unnamed ones when off (PgBouncer < 1.21)', async () => {
    expect((await statementNames(true)).length).toBeGreaterThan(5);
    expect(await statementNames(false)).toEqual([]);
  });
});

describe('readStream until', () => {
  it('filters on recorded time itself, which need not grow along a stream', async () => {
    const store = await PostgresEventStore.connect({ connectionString: pg.url, schema: 'until' });
    try {
      const s = `until-${randomUUID()}`;
      await store.append(s, [testEvent('e0'), testEvent('e1'), testEvent('e2')]);
      // A transaction that began early but committed late records an earlier time at a later revision.
      await admin.query(
        `UPDATE until.events SET recorded_at = CASE revision WHEN 0 THEN '2026-01-01T10:00:00Z'::timestamptz
           WHEN 1 THEN '2026-01-01T12:00:00Z'::timestamptz ELSE '2026-01-01T11:00:00Z'::timestamptz END WHERE stream_id = $1`,
        [s],
      );
      const at = new Date('2026-01-01T11:30:00Z');
      expect((await collect(store.readStream(s, { until: at }))).map((e) => e.type)).toEqual(['e0', 'e2']);
      expect(
        (await collect(store.readStream(s, { until: at, direction: 'backwards' }))).map((e) => e.type),
      ).toEqual(['e2', 'e0']);
    } finally {
      await store.close();
    }
  });
});

describe('PostgresSnapshotStorage', () => {
  it('stores the latest snapshot per stream and never replaces a newer one', async () => {
    const store = await PostgresEventStore.connect({ connectionString: pg.url, schema: 'snaps' });
    const snapshots = new PostgresSnapshotStorage(store);
    try {
      expect(await snapshots.read('order-1')).toBeUndefined();
      const takenAt = new Date('2026-05-01T10:00:00.000Z');
      await snapshots.write({
        streamId: 'order-1',
        revision: 5n,
        schemaVersion: 2,
        state: { total: 3, at: '2026-01-01T00:00:00.000Z' },
        $types: { '/at': 'date' },
        takenAt,
      });
      await snapshots.write({
        streamId: 'order-1',
        revision: 4n,
        schemaVersion: 2,
        state: { total: 1 },
        takenAt,
      });
      expect(await snapshots.read('order-1')).toEqual({
        streamId: 'order-1',
        revision: 5n,
        schemaVersion: 2,
        state: { total: 3, at: '2026-01-01T00:00:00.000Z' },
        $types: { '/at': 'date' },
        takenAt,
      });
      await snapshots.write({
        streamId: 'order-1',
        revision: 9n,
        schemaVersion: 3,
        state: { total: 9 },
        takenAt,
      });
      expect(await snapshots.read('order-1')).toMatchObject({
        revision: 9n,
        schemaVersion: 3,
        state: { total: 9 },
      });
      expect((await snapshots.read('order-1'))?.$types).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
