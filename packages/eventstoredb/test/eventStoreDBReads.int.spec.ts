import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { comparePositions } from '@rewind/core';
import { EventStoreDBEventStore } from '@rewind/eventstoredb';
import { collect, testEvent } from '@rewind/testing';
import { randomUUID } from 'node:crypto';
import { startTarget, SUITE_MODES, type EventStoreDBTarget } from './eventStoreDBTarget';

// What the adapter adds on top of the contract: EventStoreDB's own events stay out of Rewind's reads.
describe.each(SUITE_MODES)('EventStoreDBEventStore and system events (%s)', (version) => {
  let target: EventStoreDBTarget;
  let store: EventStoreDBEventStore;
  beforeAll(async () => {
    target = await startTarget(true, version);
    store = new EventStoreDBEventStore({ connectionString: target.connectionString });
  });
  afterAll(async () => {
    await store.close();
    await target.dispose();
  });

  it('leaves system events out of $all reads, listStreams and the head position, though the server has them', async () => {
    const tag = randomUUID().slice(0, 8);
    let last;
    // 14 appends: the server writes system events after the 7th and after the last one
    for (let i = 0; i < 14; i++) last = await store.append(`sys${tag}-${i % 4}`, [testEvent('user')]);
    const raw: string[] = [];
    for await (const resolved of store.client.readAll()) raw.push(resolved.event!.type);
    expect(raw.some((type) => type.startsWith('$'))).toBe(true);
    const events = await collect(store.readAll());
    expect(events.filter((e) => e.type.startsWith('$') || e.streamId.startsWith('$'))).toEqual([]);
    const backwards = await collect(store.readAll({ direction: 'backwards' }));
    expect(backwards.map((e) => e.id)).toEqual(events.map((e) => e.id).reverse());
    const streams = await collect(store.listStreams());
    expect(streams.filter((s) => s.streamId.startsWith('$'))).toEqual([]);
    expect(streams.filter((s) => s.streamId.startsWith(`sys${tag}`))).toHaveLength(4);
    const head = await store.headPosition();
    expect(head && comparePositions(head, last!.position)).toBe(0);
  });

  it('lists streams with a limit', async () => {
    const tag = `lim${randomUUID().slice(0, 8)}`;
    for (let i = 0; i < 5; i++) await store.append(`${tag}-${i}`, [testEvent('x')]);
    expect(await collect(store.listStreams({ prefix: `${tag}-`, limit: 2 }))).toHaveLength(2);
  });

  it('reads a stream backwards down to a revision, up to a recorded time', async () => {
    const s = `time${randomUUID().slice(0, 8)}-1`;
    await store.append(s, [testEvent('e0'), testEvent('e1')]);
    await new Promise((r) => setTimeout(r, 20));
    const cut = new Date();
    await new Promise((r) => setTimeout(r, 20));
    await store.append(s, [testEvent('e2')]);
    const read = await collect(store.readStream(s, { direction: 'backwards', until: cut, toRevision: 1n }));
    expect(read.map((e) => e.type)).toEqual(['e1']);
  });
});
