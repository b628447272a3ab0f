import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  eventTypeFilter,
  jsonEvent,
  START,
  StreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type ResolvedEvent,
  type Position,
} from '@eventstore/db-client';
import { EventStoreDBTestServer } from '@rewind/testing/eventstoredb';

// Conformance of the protocol test server, written from EventStoreDB's documented client behaviour and
// driven through the real, unmodified @eventstore/db-client.

async function all<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

const event = (type: string, data: Record<string, unknown> = {}) => jsonEvent({ type, data });

/** Subscription messages as a list of labels, until `until` is true. */
function watch(sub: AllStreamSubscription) {
  const seen: string[] = [];
  const checkpoints: Position[] = [];
  sub.on('data', (e: AllStreamResolvedEvent) => seen.push(e.event!.type));
  sub.on('caughtUp', () => seen.push('caught-up'));
  return {
    seen,
    checkpoints,
    until: (test: () => boolean, ms = 5000) =>
      new Promise<void>((resolve, reject) => {
        const started = Date.now();
        const poll = () =>
          test()
            ? resolve()
            : Date.now() - started > ms
              ? reject(new Error(`saw ${seen.join(',')}`))
              : setTimeout(poll, 5);
        poll();
      }),
  };
}

for (const batchAppend of [true, false, 'unimplemented'] as const) {
  describe(`EventStoreDBTestServer (features: ${String(batchAppend)})`, () => {
    let server: EventStoreDBTestServer;
    let client: EventStoreDBClient;
    beforeAll(async () => {
      server = await EventStoreDBTestServer.start({ batchAppend });
      client = EventStoreDBClient.connectionString(server.connectionString);
    });
    afterAll(async () => {
      await client.dispose();
      await server.stop();
    });

    it('appends with dense revisions and sparse, increasing {commit, prepare} positions', async () => {
      const a = await client.appendToStream('pos-1', [event('a'), event('b', { big: 'x'.repeat(100) })], {
        expectedRevision: 'no_stream',
      });
      const b = await client.appendToStream('pos-1', [event('c')], { expectedRevision: 1n });
      expect(a.nextExpectedRevision).toBe(1n);
      expect(b.nextExpectedRevision).toBe(2n);
      const read = await all(client.readStream('pos-1'));
      const positions = read.map((e) => e.event!.position!);
      expect(read.map((e) => e.event!.revision)).toEqual([0n, 1n, 2n]);
      // byte offsets: far apart, never consecutive integers
      expect(positions[1]!.prepare - positions[0]!.prepare).toBeGreaterThan(50n);
      // each event is its own committed prepare record: commit = prepare, per event (AllReader.cs)
      for (const p of positions) expect(p.commit).toBe(p.prepare);
      expect(positions[1]!.commit).toBeGreaterThan(positions[0]!.commit);
      expect(positions[2]!.commit).toBeGreaterThan(positions[1]!.commit);
      // the append answers with the last event's position (WriteEvents.cs ClientSuccessMsg)
      expect(a.position).toEqual(positions[1]);
      expect(b.position).toEqual(positions[2]);
    });

    it('reports a wrong expected version with the stream, expected and actual revision', async () => {
      await client.appendToStream('wev-1', [event('a')]);
      const error = await client
        .appendToStream('wev-1', [event('b')], { expectedRevision: 'no_stream' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WrongExpectedVersionError);
      expect(error).toMatchObject({ streamName: 'wev-1', expectedVersion: 'no_stream', actualVersion: 0n });
      const missing = await client
        .appendToStream('wev-2', [event('b')], { expectedRevision: 'stream_exists' })
        .catch((e: unknown) => e);
      expect(missing).toMatchObject({ streamName: 'wev-2', actualVersion: 'no_stream' });
    });

    it('sends created in 100 ns ticks since the epoch', async () => {
      const before = Date.now();
      await client.appendToStream('time-1', [event('a')]);
      const [read] = await all(client.readStream('time-1'));
      const created = read!.event!.created.getTime();
      expect(created).toBeGreaterThanOrEqual(before - 1);
      expect(created).toBeLessThanOrEqual(Date.now() + 1);
    });

    it('answers a read of a missing stream with stream_not_found', async () => {
      await expect(all(client.readStream('missing-1'))).rejects.toBeInstanceOf(StreamNotFoundError);
    });

    it('reads streams both directions from a revision, with a count', async () => {
      await client.appendToStream(
        'dir-1',
        ['e0', 'e1', 'e2', 'e3'].map((t) => event(t)),
      );
      const types = (events: ResolvedEvent[]) => events.map((e) => e.event!.type);
      expect(types(await all(client.readStream('dir-1', { fromRevision: 1n, maxCount: 2 })))).toEqual([
        'e1',
        'e2',
      ]);
      expect(
        types(await all(client.readStream('dir-1', { direction: BACKWARDS, fromRevision: END }))),
      ).toEqual(['e3', 'e2', 'e1', 'e0']);
      expect(
        types(await all(client.readStream('dir-1', { direction: BACKWARDS, fromRevision: 2n, maxCount: 2 }))),
      ).toEqual(['e2', 'e1']);
    });

    it('keeps system events in $all; reads from a position forwards include it, backwards exclude it', async () => {
      for (let i = 0; i < 10; i++) await client.appendToStream(`sys-${i}`, [event('user')]);
      const log = await all(client.readAll());
      expect(log.some((e) => e.event!.type.startsWith('$') && e.event!.streamId.startsWith('$'))).toBe(true);
      expect(log.some((e) => e.event!.type === '$metadata')).toBe(true);
      const middle = log[5]!.event!.position;
      const forwards = await all(client.readAll({ fromPosition: middle, maxCount: 1 }));
      expect(forwards[0]!.event!.position).toEqual(middle);
      const backwards = await all(
        client.readAll({ fromPosition: middle, direction: BACKWARDS, maxCount: 1 }),
      );
      expect(backwards[0]!.event!.position).toEqual(log[4]!.event!.position);
    });

    it('subscribes to $all after a position (exclusive), with filter, checkpoints and caught-up', async () => {
      const start = (await all(client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 })))[0]!
        .event!.position;
      await client.appendToStream('sub-1', [event('wanted'), event('other')]);
      const checkpoints: Position[] = [];
      const sub = client.subscribeToAll({
        fromPosition: start,
        filter: eventTypeFilter({
          prefixes: ['wanted'],
          checkpointInterval: 1,
          checkpointReached: (_s, p) => {
            checkpoints.push(p);
          },
        }),
      });
      const w = watch(sub);
      try {
        await w.until(() => w.seen.includes('caught-up'));
        expect(w.seen).toEqual(['wanted', 'caught-up']);
        for (let i = 0; i < 40; i++) await client.appendToStream('sub-1', [event('other')]);
        await client.appendToStream('sub-1', [event('wanted')]);
        await w.until(() => w.seen.length === 3 && checkpoints.length > 0);
        expect(w.seen).toEqual(['wanted', 'caught-up', 'wanted']);
        expect(checkpoints[0]!.commit).toBeGreaterThan(start.commit);
      } finally {
        await sub.unsubscribe();
      }
    });

    it('drops subscriptions with UNAVAILABLE and keeps data across a restart on the same port', async () => {
      await client.appendToStream('restart-1', [event('kept')]);
      const sub = client.subscribeToAll({ fromPosition: END });
      const errors: unknown[] = [];
      sub.on('error', (e) => errors.push(e));
      const w = watch(sub);
      await w.until(() => server.subscriptionCount > 0);
      expect(server.dropSubscriptions()).toBe(1);
      await w.until(() => errors.length > 0);
      expect(errors[0]).toBeInstanceOf(UnavailableError);
      const port = server.port;
      await server.restart();
      expect(server.port).toBe(port);
      const again = async () => {
        for (let i = 0; ; i++) {
          try {
            return await all(client.readStream('restart-1'));
          } catch (error) {
            if (i > 50) throw error;
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      };
      expect((await again()).map((e) => e.event!.type)).toEqual(['kept']);
    });

    it('answers Gossip.Read for a discover connection string', async () => {
      const discovering = EventStoreDBClient.connectionString(
        `esdb+discover://127.0.0.1:${server.port}?tls=false&discoveryInterval=10&maxDiscoverAttempts=3`,
      );
      try {
        await discovering.appendToStream('gossip-1', [event('via-gossip')]);
        const read = await all(discovering.readStream('gossip-1', { fromRevision: START }));
        expect(read.map((e) => e.event!.type)).toEqual(['via-gossip']);
      } finally {
        await discovering.dispose();
      }
    });
  });
}
