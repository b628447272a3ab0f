import { InMemoryEventStore, serializePosition } from '@rewind/core';
import { copyLog, CopyConflictError } from '../src/copy/copyLog';
import { all, event, kept, seed } from './support/seedLog';

describe('copyLog', () => {
  it('copies every stream with its revisions, ids, types, data and metadata, in log order', async () => {
    const source = new InMemoryEventStore();
    const target = new InMemoryEventStore();
    await seed(source);
    const progress: number[] = [];
    const result = await copyLog(source, target, { onProgress: (p) => progress.push(p.events) });
    const events = await all(source);
    expect((await all(target)).map(kept)).toEqual(events.map(kept));
    expect(result).toMatchObject({ events: 9, written: 9, alreadyThere: 0, streams: 3 });
    expect(serializePosition(result.position!)).toBe(serializePosition(events[8]!.position));
    // one append per run of consecutive events of one stream: a a | b | a | b b | c | a a
    expect(progress).toEqual([2, 3, 4, 6, 7, 9]);
  });

  it('bounds the events of one append by batchSize', async () => {
    const source = new InMemoryEventStore();
    await source.append(
      'a-1',
      [1, 2, 3, 4, 5].map((n) => event(n)),
      { expectedRevision: 'no_stream' },
    );
    const target = new InMemoryEventStore();
    const progress: number[] = [];
    await copyLog(source, target, { batchSize: 2, onProgress: (p) => progress.push(p.events) });
    expect(progress).toEqual([2, 4, 5]);
    expect((await all(target)).map(kept)).toEqual((await all(source)).map(kept));
  });

  it('run again, writes nothing twice: every event is found already there', async () => {
    const source = new InMemoryEventStore();
    const target = new InMemoryEventStore();
    await seed(source);
    await copyLog(source, target);
    const again = await copyLog(source, target);
    expect(again).toMatchObject({ events: 9, written: 0, alreadyThere: 9 });
    expect((await all(target)).map(kept)).toEqual((await all(source)).map(kept));
  });

  it('resumes an interrupted copy: a prefix of the events, a stream copied in part, without duplicates', async () => {
    const source = new InMemoryEventStore();
    await seed(source);
    const events = await all(source);
    const target = new InMemoryEventStore();
    // As an earlier run left it: the first 4 events, then only the first of the two b-1 events that follow.
    for (const e of [...events.slice(0, 4), events[4]!]) {
      await target.append(e.streamId, [{ id: e.id, type: e.type, data: e.data, metadata: e.metadata }], {
        expectedRevision: e.revision === 0n ? 'no_stream' : e.revision - 1n,
      });
    }
    const result = await copyLog(source, target);
    expect(result).toMatchObject({ events: 9, written: 4, alreadyThere: 5 });
    expect((await all(target)).map(kept)).toEqual(events.map(kept));
  });

  it('--after: copies only the events after a source position', async () => {
    const source = new InMemoryEventStore();
    await seed(source);
    const events = await all(source);
    const target = new InMemoryEventStore();
    await copyLog(source, target, { batchSize: 1 });
    const result = await copyLog(source, target, { after: events[6]!.position });
    expect(result).toMatchObject({ events: 2, written: 0, alreadyThere: 2 });
  });

  it('refuses a target stream holding another event at a revision, naming the stream and the revision', async () => {
    const source = new InMemoryEventStore();
    await seed(source);
    const target = new InMemoryEventStore();
    const [first] = await all(source);
    await target.append(
      'a-1',
      [{ id: first!.id, type: first!.type, data: first!.data, metadata: first!.metadata }],
      {
        expectedRevision: 'no_stream',
      },
    );
    await target.append('a-1', [event(99, 'other.thing')], { expectedRevision: 0n });
    const error = await copyLog(source, target).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CopyConflictError);
    expect(error).toMatchObject({ streamId: 'a-1', revision: 1n });
    expect((error as Error).message).toMatch(
      /Conflict in stream "a-1" at revision 1: the target holds event \S+ \(other\.thing\)/,
    );
  });

  it('refuses the same id with other data as a conflict', async () => {
    const source = new InMemoryEventStore();
    await seed(source);
    const [e0, e1] = await all(source);
    const target = new InMemoryEventStore();
    await target.append('a-1', [{ id: e0!.id, type: e0!.type, data: e0!.data, metadata: e0!.metadata }], {
      expectedRevision: 'no_stream',
    });
    await target.append(
      'a-1',
      [{ id: e1!.id, type: e1!.type, data: { changed: true }, metadata: e1!.metadata }],
      {
        expectedRevision: 0n,
      },
    );
    // The store takes the append as already made (it compares ids only); the copy compares the rest.
    const error = await copyLog(source, target).catch((e: unknown) => e);
    expect(error).toMatchObject({ streamId: 'a-1', revision: 1n });
    expect((error as Error).message).toMatch(/with other type, data or metadata/);
  });

  it('refuses to go on when the target lacks the events before the first to copy', async () => {
    const source = new InMemoryEventStore();
    await seed(source);
    const events = await all(source);
    const error = await copyLog(source, new InMemoryEventStore(), { after: events[2]!.position }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CopyConflictError);
    expect((error as Error).message).toMatch(
      /The target's stream "a-1" does not exist, but the next event to copy is its revision 2/,
    );
  });
});
