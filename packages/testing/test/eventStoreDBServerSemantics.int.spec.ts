import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  BACKWARDS,
  DeadlineExceededError,
  END,
  EventStoreDBClient,
  jsonEvent,
  MaxAppendSizeExceededError,
  StreamDeletedError,
  StreamNotFoundError,
  TimeoutError,
  UnavailableError,
  WrongExpectedVersionError,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { EventStoreDBTestServer } from '@rewind/testing/eventstoredb';

// Stream semantics of the test server that do not depend on the server version, written from the server's
// source (EventStore/EventStore v24.10.4; files cited per test) and driven through @eventstore/db-client 6.2.1,
// once over Streams.BatchAppend and once over Streams.Append.

async function all<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

const event = (type: string, id?: string) => jsonEvent({ type, data: {}, ...(id ? { id } : {}) });
const types = (events: ResolvedEvent[]) => events.map((e) => e.event!.type);
const revisions = (events: ResolvedEvent[]) => events.map((e) => e.event!.revision);

for (const batchAppend of [true, false] as const) {
  describe(`EventStoreDB test server semantics (${batchAppend ? 'BatchAppend' : 'Append'})`, () => {
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
    const logLength = async () => (await all(client.readAll())).length;

    // StorageWriterService.WriteDelete (soft): `$tb = long.MaxValue` in `$$stream`; reads → not found;
    // appending continues the revisions and writes `$tb = first new revision` (SoftUndeleteStream).
    it('soft-deletes: reads say not found, an append recreates the stream continuing its revisions', async () => {
      await client.appendToStream('soft-1', [event('a'), event('b')]);
      const deleted = await client.deleteStream('soft-1', { expectedRevision: 1n });
      expect(deleted.position).toBeDefined();
      await expect(all(client.readStream('soft-1'))).rejects.toBeInstanceOf(StreamNotFoundError);
      const recreated = await client.appendToStream('soft-1', [event('c')], {
        expectedRevision: 'no_stream',
      });
      expect(recreated.nextExpectedRevision).toBe(2n);
      const read = await all(client.readStream('soft-1'));
      expect(types(read)).toEqual(['c']);
      expect(revisions(read)).toEqual([2n]);
      const meta = await client.getStreamMetadata('soft-1');
      expect(meta.metadata?.truncateBefore).toBe(2);
      // the deleted events stay in $all (no scavenge)
      const log = await all(client.readAll());
      expect(log.filter((e) => e.event!.streamId === 'soft-1').map((e) => e.event!.type)).toEqual([
        'a',
        'b',
        'c',
      ]);
    });

    // IndexWriter.CheckCommit: a soft-deleted stream with StreamExists → Deleted (StreamDeleted).
    it('refuses expected "stream_exists" on a soft-deleted stream with StreamDeleted', async () => {
      await client.appendToStream('soft-2', [event('a')]);
      await client.deleteStream('soft-2');
      await expect(
        client.appendToStream('soft-2', [event('b')], { expectedRevision: 'stream_exists' }),
      ).rejects.toBeInstanceOf(StreamDeletedError);
    });

    // Streams.Delete.cs: WrongExpectedVersion → RpcExceptions.WrongExpectedVersion (FAILED_PRECONDITION).
    it('checks the expected revision of a delete, and refuses to soft-delete a stream that never existed', async () => {
      await client.appendToStream('soft-3', [event('a'), event('b')]);
      const wrong = await client.deleteStream('soft-3', { expectedRevision: 0n }).catch((e: unknown) => e);
      expect(wrong).toBeInstanceOf(WrongExpectedVersionError);
      expect(wrong).toMatchObject({ streamName: 'soft-3', expectedVersion: 0n, actualVersion: 1n });
      const missing = await client.deleteStream('soft-missing').catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(WrongExpectedVersionError);
    });

    // StorageWriterService.WriteDelete (hard): a `$streamDeleted` tombstone; every later operation →
    // StreamDeleted (IndexWriter.CheckCommit: Deleted; RpcExceptions.StreamDeleted on read).
    it('tombstones: read, append and delete raise StreamDeletedError; the tombstone is in $all', async () => {
      await client.appendToStream('hard-1', [event('a')]);
      await client.tombstoneStream('hard-1');
      await expect(all(client.readStream('hard-1'))).rejects.toBeInstanceOf(StreamDeletedError);
      await expect(client.appendToStream('hard-1', [event('b')])).rejects.toBeInstanceOf(StreamDeletedError);
      await expect(client.deleteStream('hard-1')).rejects.toBeInstanceOf(StreamDeletedError);
      await expect(client.tombstoneStream('hard-1')).rejects.toBeInstanceOf(StreamDeletedError);
      const log = await all(client.readAll());
      expect(log.filter((e) => e.event!.streamId === 'hard-1').map((e) => e.event!.type)).toEqual([
        'a',
        '$streamDeleted',
      ]);
    });

    it('truncates stream reads by $maxCount, keeping the events in $all', async () => {
      await client.appendToStream(
        'maxcount-1',
        ['e0', 'e1', 'e2', 'e3'].map((t) => event(t)),
      );
      await client.setStreamMetadata('maxcount-1', { maxCount: 2 });
      expect(types(await all(client.readStream('maxcount-1')))).toEqual(['e2', 'e3']);
      expect(
        types(await all(client.readStream('maxcount-1', { direction: BACKWARDS, fromRevision: END }))),
      ).toEqual(['e3', 'e2']);
      const log = await all(client.readAll());
      expect(log.filter((e) => e.event!.streamId === 'maxcount-1')).toHaveLength(4);
    });

    it('hides events older than $maxAge from stream reads', async () => {
      await client.appendToStream('maxage-1', [event('old')]);
      const [written] = await all(client.readStream('maxage-1'));
      await client.setStreamMetadata('maxage-1', { maxAge: 1 });
      // wait (for a condition, not a fixed time) until the event is more than a second old
      await new Promise<void>((resolve) => {
        const poll = () =>
          Date.now() - written!.event!.created.getTime() > 1100 ? resolve() : setTimeout(poll, 50);
        poll();
      });
      await client.appendToStream('maxage-1', [event('new')]);
      expect(types(await all(client.readStream('maxage-1')))).toEqual(['new']);
    });

    // Streams.Append.cs / Streams.BatchAppend.cs: the sum of Event.SizeOnDisk (data + metadata + 2 × type
    // length) against MaxAppendSize (ClusterVNodeOptions.cs: 1_024 * 1_024).
    it('refuses appends over 1 MiB with MaxAppendSizeExceededError and writes nothing', async () => {
      const before = await logLength();
      const big = (n: number) => jsonEvent({ type: 'big', data: { text: 'x'.repeat(n) } });
      const error = await client
        .appendToStream('big-1', [big(600_000), big(600_000)])
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MaxAppendSizeExceededError);
      expect(error).toMatchObject({ maxAppendSize: 1_048_576 });
      expect(await logLength()).toBe(before);
      await expect(client.appendToStream('big-1', [big(500_000)])).resolves.toMatchObject({ success: true });
    });

    // IndexWriter.CheckCommit: same ids + same expected revision → Idempotent (AlreadyCommitted): success,
    // nothing written; a partial match → CorruptedIdempotency → WrongExpectedVersion.
    it('treats a retried append (same ids, same expected revision) as idempotent', async () => {
      const ids = [globalThis.crypto.randomUUID(), globalThis.crypto.randomUUID()];
      const first = await client.appendToStream('idem-1', [event('a', ids[0]), event('b', ids[1])], {
        expectedRevision: 'no_stream',
      });
      const before = await logLength();
      const again = await client.appendToStream('idem-1', [event('a', ids[0]), event('b', ids[1])], {
        expectedRevision: 'no_stream',
      });
      expect(again.nextExpectedRevision).toBe(first.nextExpectedRevision);
      expect(again.position).toEqual(first.position);
      const anyAgain = await client.appendToStream('idem-1', [event('a', ids[0]), event('b', ids[1])]);
      expect(anyAgain.nextExpectedRevision).toBe(1n);
      expect(await logLength()).toBe(before);
      expect(revisions(await all(client.readStream('idem-1')))).toEqual([0n, 1n]);
      // first id known, second new: not idempotent, not a new write
      await expect(
        client.appendToStream('idem-1', [event('a', ids[0]), event('c')], { expectedRevision: 'no_stream' }),
      ).rejects.toBeInstanceOf(WrongExpectedVersionError);
      await expect(
        client.appendToStream('idem-1', [event('a', ids[0]), event('c')], { expectedRevision: 'any' }),
      ).rejects.toBeInstanceOf(WrongExpectedVersionError);
      // exact revision retry
      const third = globalThis.crypto.randomUUID();
      const c = await client.appendToStream('idem-1', [event('c', third)], { expectedRevision: 1n });
      const afterC = await logLength();
      const cAgain = await client.appendToStream('idem-1', [event('c', third)], { expectedRevision: 1n });
      expect(cAgain).toEqual(c);
      expect(await logLength()).toBe(afterC);
    });

    it('writes the standard projections link events, resolvable with resolveLinkTos', async () => {
      await client.appendToStream('order-77', [event('OrderPlaced'), event('OrderPaid')]);
      const category = await all(client.readStream('$ce-order', { resolveLinkTos: true }));
      const mine = category.filter((e) => e.event!.streamId === 'order-77');
      expect(types(mine)).toEqual(['OrderPlaced', 'OrderPaid']);
      expect(mine.every((e) => e.link?.type === '$>')).toBe(true);
      const byType = await all(client.readStream('$et-OrderPaid', { resolveLinkTos: true }));
      expect(byType.map((e) => e.event!.streamId)).toContain('order-77');
      const streams = await all(client.readStream('$streams'));
      expect(streams.map((e) => Buffer.from(e.event!.data as Uint8Array).toString())).toContain('0@order-77');
      const log = await all(client.readAll());
      const system = log.filter((e) => e.event!.streamId.startsWith('$'));
      expect(system.length).toBeGreaterThan(log.length / 2);
    });

    // Streams.Append.cs: CommitTimeout → RpcExceptions.Timeout (ABORTED) → client TimeoutError;
    // Streams.BatchAppend.cs: Status.Timeout (DEADLINE_EXCEEDED) → client DeadlineExceededError.
    it.each([
      [true, 'commit-timeout'],
      [false, 'commit-timeout'],
      [true, 'lost-response'],
      [false, 'lost-response'],
    ] as const)('fails the next append (committed: %s, as %s)', async (committed, as) => {
      const stream = `fault-${String(committed)}-${as}`;
      server.failNextAppend({ committed, as });
      const error = await client.appendToStream(stream, [event('x')]).catch((e: unknown) => e);
      if (as === 'lost-response') expect(error).toBeInstanceOf(UnavailableError);
      else expect(error).toBeInstanceOf(batchAppend ? DeadlineExceededError : TimeoutError);
      const read = async () => {
        for (let i = 0; ; i++) {
          try {
            return await all(client.readStream(stream));
          } catch (e) {
            if (e instanceof StreamNotFoundError) return [];
            if (i > 50) throw e;
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      };
      expect(types(await read())).toEqual(committed ? ['x'] : []);
      // one append only: the next one succeeds
      await expect(client.appendToStream(`${stream}-next`, [event('y')])).resolves.toMatchObject({
        success: true,
      });
    });
  });
}

describe('EventStoreDB test server without system projections', () => {
  it('writes no link events', async () => {
    const server = await EventStoreDBTestServer.start({ systemProjections: false });
    const client = EventStoreDBClient.connectionString(server.connectionString);
    try {
      await client.appendToStream('order-1', [event('OrderPlaced')]);
      await expect(all(client.readStream('$ce-order'))).rejects.toBeInstanceOf(StreamNotFoundError);
    } finally {
      await client.dispose();
      await server.stop();
    }
  });
});
