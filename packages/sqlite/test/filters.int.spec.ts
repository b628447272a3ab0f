import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serializePosition, type EventToAppend, type SubscriptionMessage } from '@rewind/core';
import { SqliteEventStore } from '@rewind/sqlite';
import { collect } from '@rewind/testing';

const metadata = {
  schemaVersion: 1,
  correlationId: 'c',
  causationId: 'c',
  occurredAt: '2026-01-01T00:00:00Z',
};
const event = (type: string, data: unknown = null): EventToAppend => ({ type, data, metadata });

// More filler than one scan window (65,536 positions), so filtered reads must cross windows.
const FILLER = 70_000;
let dir: string;
let store: SqliteEventStore;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rewind-sqlite-filters-'));
  store = SqliteEventStore.open({ path: join(dir, 'events.db'), synchronous: 'normal' });
  await store.append('rare-1', [event('rare.happened', 'first')]);
  for (let i = 0; i < FILLER; i += 10_000) {
    await store.append(
      `filler-${i}`,
      Array.from({ length: 10_000 }, () => event('filler.happened')),
    );
  }
  await store.append('rare-2', [event('rare.happened', 'last')]);
  await store.append('other-1', [event('other.happened', 'by prefix')]);
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SqliteEventStore filters (in SQL, across scan windows)', () => {
  it('reads sparse matches forwards and backwards across the whole log', async () => {
    const filter = { eventTypes: ['rare.happened', 'nothing.here'], streamPrefixes: ['other-'] };
    const forwards = await collect(store.readAll({ filter }));
    expect(forwards.map((e) => e.data)).toEqual(['first', 'last', 'by prefix']);
    expect(forwards.map((e) => e.position.commit)).toEqual([1n, BigInt(FILLER + 2), BigInt(FILLER + 3)]);
    const backwards = await collect(store.readAll({ filter, direction: 'backwards' }));
    expect(backwards.map((e) => e.data)).toEqual(['by prefix', 'last', 'first']);
    const fromMiddle = await collect(
      store.readAll({ filter, direction: 'backwards', before: forwards[1]!.position, maxCount: 5 }),
    );
    expect(fromMiddle.map((e) => e.data)).toEqual(['first']);
    expect(await store.countEvents({ filter })).toBe(3);
  });

  it('pages a dense filter in order without losing or repeating events', async () => {
    const filler = await collect(store.readAll({ filter: { eventTypes: ['filler.happened'] } }));
    expect(filler).toHaveLength(FILLER);
    expect(filler.every((e, i) => e.position.commit === BigInt(i + 2))).toBe(true);
    const lastTen = await collect(
      store.readAll({ filter: { streamPrefixes: ['filler-'] }, direction: 'backwards', maxCount: 10 }),
    );
    expect(lastTen.map((e) => e.position.commit)).toEqual(
      Array.from({ length: 10 }, (_, i) => BigInt(FILLER + 1 - i)),
    );
  });

  it('moves a filtered subscription checkpoint through non-matching events, then delivers live ones', async () => {
    const slowPoll = SqliteEventStore.open({ path: store.path, pollIntervalMs: 3_600_000 });
    const subscription = slowPoll.subscribeToAll({ filter: { eventTypes: ['rare.happened'] } });
    const iterator = subscription[Symbol.asyncIterator]();
    const messages: SubscriptionMessage[] = [];
    try {
      for (;;) {
        const { value } = await iterator.next();
        messages.push(value);
        if (value.type === 'caught-up') break;
      }
      const summary = messages.map((m) =>
        m.type === 'event' ? `event ${String(m.event.data)}` : `${m.type} ${serializePosition(m.position!)}`,
      );
      expect(summary[0]).toBe('event first');
      expect(summary).toContain('event last');
      expect(summary.at(-1)).toBe(`caught-up ${FILLER + 3}`);
      // the filler in between was skipped with at least one checkpoint inside it
      const checkpoints = messages
        .filter((m) => m.type === 'checkpoint')
        .map((m) => Number(m.position.commit));
      expect(checkpoints.some((p) => p > 1 && p < FILLER + 2)).toBe(true);

      await slowPoll.append('rare-3', [event('rare.happened', 'live')]);
      await slowPoll.append('filler-live', [event('filler.happened')]);
      // an append made while nobody was waiting is found at once, not at the next poll (an hour here):
      // were it left to the poll, this await would outlive the test's timeout
      const next = (await iterator.next()).value as SubscriptionMessage;
      expect(next).toMatchObject({ type: 'event', event: { data: 'live' } });
    } finally {
      await subscription.close();
      await slowPoll.close();
    }
  });
});
