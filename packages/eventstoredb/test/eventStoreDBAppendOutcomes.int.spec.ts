import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Aggregate,
  AggregateRoot,
  AppendOutcomeUnknownError,
  createRewind,
  EventSourcingHandler,
  DomainEvent,
  StreamDeletedError,
  StreamNotFoundError,
} from '@rewind/core';
import { EventStoreDBEventStore } from '@rewind/eventstoredb';
import { collect, testEvent } from '@rewind/testing';
import { EventStoreDBTestServer, type EventStoreDBAppendFault } from '@rewind/testing/eventstoredb';
import { randomUUID } from 'node:crypto';

// Appends whose answer is lost, and deleted streams. Faults are injected by the protocol test server
// (a real server cannot be told to lose an answer); the deleted-stream cases use the real client's
// deleteStream/tombstoneStream and run against EVENTSTORE_URL too through `npm run test:eventstoredb`.

@DomainEvent('esdb.noted')
class Noted {
  constructor(readonly text: string) {}
}

@Aggregate('esdbnote')
class Note extends AggregateRoot {
  texts: string[] = [];
  write(text: string): void {
    this.raise(new Noted(text));
  }
  @EventSourcingHandler(Noted)
  onNoted(event: Noted): void {
    this.texts.push(event.text);
  }
}

const stream = (name: string) => `${name}${randomUUID().replace(/-/g, '')}`;
const withId = (type: string) => ({ ...testEvent(type), id: randomUUID() });

for (const batchAppend of [true, false]) {
  describe(`EventStoreDBEventStore: appends with an unknown outcome (${batchAppend ? 'BatchAppend' : 'Append'}, protocol test server)`, () => {
    let server: EventStoreDBTestServer;
    let store: EventStoreDBEventStore;
    beforeAll(async () => {
      server = await EventStoreDBTestServer.start({ batchAppend });
      store = new EventStoreDBEventStore({ connectionString: server.connectionString });
    });
    afterAll(async () => {
      await store.close();
      await server.stop();
    });

    const faults: EventStoreDBAppendFault[] = [
      { committed: true, as: 'lost-response' },
      { committed: false, as: 'lost-response' },
      { committed: true, as: 'commit-timeout' },
      { committed: false, as: 'commit-timeout' },
    ];
    it.each(faults)(
      'reports %o as APPEND_OUTCOME_UNKNOWN with the ids, and a retry with them writes the events once',
      async (fault) => {
        const s = stream('lost');
        await store.append(s, [testEvent('first')], { expectedRevision: 'no_stream' });
        const events = [withId('a'), withId('b')];
        server.failNextAppend(fault);
        const error = await store.append(s, events, { expectedRevision: 0n }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(AppendOutcomeUnknownError);
        const unknown = error as AppendOutcomeUnknownError;
        expect(unknown).toMatchObject({
          streamId: s,
          expectedRevision: 0n,
          eventIds: events.map((e) => e.id),
        });
        expect(unknown.message).toContain(`127.0.0.1:${server.port}`);
        const retried = await store.append(s, events, { expectedRevision: 0n });
        expect(retried.nextExpectedRevision).toBe(2n);
        expect((await collect(store.readStream(s))).map((e) => e.type)).toEqual(['first', 'a', 'b']);
      },
    );

    it('gives events without ids an id before sending, so the error names what a retry must reuse', async () => {
      const s = stream('noid');
      server.failNextAppend({ committed: true, as: 'lost-response' });
      const error = (await store
        .append(s, [testEvent('x')])
        .catch((e: unknown) => e)) as AppendOutcomeUnknownError;
      expect(error).toBeInstanceOf(AppendOutcomeUnknownError);
      const [stored] = await collect(store.readStream(s));
      expect(error.eventIds).toEqual([stored!.id]);
    });

    it('lets a save survive a lost answer: the repository retries with the same ids, and the event is written once', async () => {
      const { repository } = createRewind({
        eventStore: store,
        aggregates: [Note],
        appendRetries: { ambiguousAppendBackoffMs: 1 },
      });
      const id = randomUUID();
      const note = repository.create(Note, id);
      note.write('hello');
      server.failNextAppend({ committed: true, as: 'lost-response' });
      await repository.save(note);
      expect((await repository.load(Note, id)).texts).toEqual(['hello']);
      expect(await collect(store.readStream(`esdbnote-${id}`))).toHaveLength(1);
    });
  });
}

describe('EventStoreDBEventStore: deleted streams', () => {
  const realServer = process.env['EVENTSTORE_URL'];
  let server: EventStoreDBTestServer | undefined;
  let store: EventStoreDBEventStore;
  beforeAll(async () => {
    server = realServer ? undefined : await EventStoreDBTestServer.start();
    store = new EventStoreDBEventStore({ connectionString: realServer ?? server!.connectionString });
  });
  afterAll(async () => {
    await store.close();
    await server?.stop();
  });

  it('reads a soft-deleted stream as not found; writing it again continues its revisions', async () => {
    const s = stream('soft');
    await store.append(s, [testEvent('a'), testEvent('b')], { expectedRevision: 'no_stream' });
    await store.client.deleteStream(s);
    await expect(collect(store.readStream(s))).rejects.toBeInstanceOf(StreamNotFoundError);
    // As EventStoreDB decides it: 'no_stream' (and 'any') recreate it, at the next revision.
    const again = await store.append(s, [testEvent('c')], { expectedRevision: 'no_stream' });
    expect(again.nextExpectedRevision).toBe(2n);
    expect((await collect(store.readStream(s))).map((e) => [e.revision, e.type])).toEqual([[2n, 'c']]);
  });

  it('refuses to read or write a tombstoned stream, under any expected revision, with StreamDeletedError', async () => {
    const s = stream('tomb');
    await store.append(s, [testEvent('a')], { expectedRevision: 'no_stream' });
    await store.client.tombstoneStream(s);
    for (const expectedRevision of ['any', 'no_stream', 0n] as const) {
      const error = await store.append(s, [testEvent('b')], { expectedRevision }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StreamDeletedError);
      expect((error as StreamDeletedError).code).toBe('STREAM_DELETED');
      expect((error as Error).message).toContain(s);
      expect((error as Error).message).toMatch(/Use another stream id/);
    }
    await expect(collect(store.readStream(s))).rejects.toBeInstanceOf(StreamDeletedError);
  });
});
