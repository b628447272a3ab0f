import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventDecodingError, sequencePosition, type RecordedEvent } from '@rewind/core';
import { SqliteEventStore } from '@rewind/sqlite';
import { testEvent } from '@rewind/testing';
import { describeEventStoreContract } from '@rewind/testing/jest';

const dirs: string[] = [];
const tempFile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'rewind-sqlite-'));
  dirs.push(dir);
  return join(dir, 'events.db');
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describeEventStoreContract('SqliteEventStore (synchronous=FULL)', () => ({
  store: SqliteEventStore.open({ path: tempFile(), pollIntervalMs: 20 }),
}));

describeEventStoreContract('SqliteEventStore (synchronous=NORMAL, small pages)', () => ({
  store: SqliteEventStore.open({ path: tempFile(), synchronous: 'normal', pageSize: 2, pollIntervalMs: 20 }),
}));

describeEventStoreContract(
  'SqliteEventStore (every forward read of $all from the read-ahead worker)',
  () => ({
    store: SqliteEventStore.open({ path: tempFile(), pageSize: 2, pollIntervalMs: 20, readAheadAfter: 0 }),
  }),
);

describe('SqliteEventStore read path', () => {
  it('parses the metadata an append shares once, as one deeply frozen object per append', async () => {
    const store = SqliteEventStore.open({ path: tempFile(), pageSize: 3 });
    try {
      const meta = (correlationId: string) => ({
        schemaVersion: 1,
        correlationId,
        causationId: 'cmd',
        occurredAt: '2026-01-01T00:00:00.000Z',
        tenant: { id: 't1' },
      });
      const event = (n: number, correlationId: string) => ({
        type: 'counted',
        data: { n },
        metadata: meta(correlationId),
      });
      await store.append('a', [event(0, 'c1'), event(1, 'c1'), event(2, 'c1'), event(3, 'c1')]);
      await store.append('b', [event(4, 'c2')]);
      const pages: RecordedEvent[][] = [];
      for await (const page of store.readAllPages!()) pages.push([...page]);
      expect(pages.map((p) => p.length)).toEqual([3, 2]);
      const all = pages.flat();
      expect(all.map((e) => (e.data as { n: number }).n)).toEqual([0, 1, 2, 3, 4]);
      expect(all[1]!.metadata).toBe(all[0]!.metadata);
      expect(all[4]!.metadata).not.toBe(all[3]!.metadata);
      expect(all[4]!.metadata.correlationId).toBe('c2');
      expect(Object.isFrozen(all[0]!.metadata)).toBe(true);
      expect(Object.isFrozen(all[0]!.metadata.tenant)).toBe(true);
      // payloads are never shared
      expect(all[1]!.data).not.toBe(all[0]!.data);
      const streamed: RecordedEvent[] = [];
      for await (const e of store.readStream('a')) streamed.push(e);
      expect(streamed.map((e) => e.metadata.correlationId)).toEqual(['c1', 'c1', 'c1', 'c1']);
    } finally {
      await store.close();
    }
  });
});

describe('SqliteEventStore read-ahead (a worker thread reads the rest of a long read of $all)', () => {
  const fill = async (store: SqliteEventStore, count: number, type: (i: number) => string) => {
    for (let i = 0; i < count; i += 1000) {
      await store.append(
        `fill-${i}`,
        Array.from({ length: Math.min(1000, count - i) }, (_, k) => ({
          type: type(i + k),
          data: { i: i + k, at: new Date(0).toISOString() },
          metadata: {
            schemaVersion: 1,
            correlationId: `c${Math.floor((i + k) / 7)}`,
            causationId: 'x',
            occurredAt: '2026-01-01T00:00:00.000Z',
          },
        })),
      );
    }
  };
  const pagesOf = async (iterable: AsyncIterable<readonly RecordedEvent[]>) => {
    const pages: RecordedEvent[][] = [];
    for await (const page of iterable) pages.push([...page]);
    return pages;
  };
  const readers = (store: SqliteEventStore) => (store as unknown as { readers: Set<unknown> }).readers;

  it('returns exactly what reading on this thread returns: dense, sparse beyond the scan window, bounded', async () => {
    const path = tempFile();
    const writer = SqliteEventStore.open({ path, synchronous: 'normal' });
    // 70,000 events: more than one scan window (65,536 positions), with a type that appears only at
    // both ends, so a filtered read must cross an empty window.
    await fill(writer, 70_000, (i) => (i < 3 || i >= 69_998 ? 'rare' : i % 3 === 0 ? 'fizz' : 'other'));
    const inThread = SqliteEventStore.open({ path, readAheadAfter: Infinity });
    const ahead = SqliteEventStore.open({ path, readAheadAfter: 2_500, pageSize: 700 });
    try {
      const cases = [
        {},
        { filter: { eventTypes: ['rare'] } },
        { filter: { eventTypes: ['fizz', 'rare'] }, maxCount: 20_001 },
        { after: { commit: 12_345n, prepare: 12_345n }, filter: { streamPrefixes: ['fill-6'] } },
      ];
      for (const options of cases) {
        const expected = (await pagesOf(inThread.readAllPages!(options))).flat();
        const pages = await pagesOf(ahead.readAllPages!(options));
        expect(pages.every((p) => p.length > 0 && p.length <= 700)).toBe(true);
        expect(pages.flat()).toEqual(expected);
      }
      expect((await pagesOf(ahead.readAllPages!({ filter: { eventTypes: ['rare'] } }))).flat()).toHaveLength(
        5,
      );
      expect(readers(ahead).size).toBe(0);
    } finally {
      await Promise.all([writer.close(), inThread.close(), ahead.close()]);
    }
  });

  it('sees events appended while it reads, as reading on this thread does', async () => {
    const path = tempFile();
    const store = SqliteEventStore.open({ path, synchronous: 'normal', readAheadAfter: 0, pageSize: 100 });
    try {
      await fill(store, 3_000, () => 'counted');
      let seen = 0;
      let appended = false;
      for await (const page of store.readAllPages!()) {
        seen += page.length;
        if (!appended) {
          appended = true;
          await store.append('late', [testEvent('counted')]);
        }
      }
      expect(seen).toBe(3_001);
    } finally {
      await store.close();
    }
  });

  it('hands every page to a reader slower than its worker, which waits for credits and goes on', async () => {
    const path = tempFile();
    const store = SqliteEventStore.open({ path, synchronous: 'normal', readAheadAfter: 0, pageSize: 20 });
    try {
      await fill(store, 2_000, () => 'counted');
      const positions: bigint[] = [];
      // 100 pages, many times the worker's depth: it runs out of credits over and over.
      for await (const page of store.readAllPages!()) {
        for (const event of page) positions.push(event.position.commit);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      expect(positions).toEqual(Array.from({ length: 2_000 }, (_, i) => BigInt(i + 1)));
      expect(readers(store).size).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('ends its worker when the reader stops early or the store is closed', async () => {
    const path = tempFile();
    const store = SqliteEventStore.open({ path, synchronous: 'normal', readAheadAfter: 0, pageSize: 50 });
    await fill(store, 2_000, () => 'counted');
    for await (const page of store.readAllPages!()) {
      expect(page).toHaveLength(50);
      expect(readers(store).size).toBe(1);
      break;
    }
    expect(readers(store).size).toBe(0);

    const iterator = store.readAllPages!()[Symbol.asyncIterator]();
    await iterator.next();
    expect(readers(store).size).toBe(1);
    await store.close();
    await expect(iterator.next()).rejects.toThrow(/is closed/);
    expect(readers(store).size).toBe(0);
  });

  it('hands over pages larger than its young generation, non-ASCII text intact', async () => {
    const path = tempFile();
    const writer = SqliteEventStore.open({ path, synchronous: 'normal' });
    const text = 'é✓😀 "quoted", [bracketed] ' + 'x'.repeat(1_000_000);
    await writer.append(
      'large',
      Array.from({ length: 12 }, (_, i) => ({
        type: 'large',
        data: { i, text },
        metadata: {
          schemaVersion: 1,
          correlationId: `c${i}`,
          causationId: text.slice(0, 40),
          occurredAt: '2026-01-01T00:00:00.000Z',
        },
      })),
    );
    await writer.close();
    const inThread = SqliteEventStore.open({ path, readAheadAfter: Infinity });
    const ahead = SqliteEventStore.open({ path, readAheadAfter: 0, pageSize: 12 });
    try {
      const expected = (await pagesOf(inThread.readAllPages!())).flat();
      const pages = await pagesOf(ahead.readAllPages!());
      expect(pages.map((p) => p.length)).toEqual([12]);
      expect(pages[0]!.map((e) => (e.data as { text: string }).text === text)).toEqual(Array(12).fill(true));
      expect(pages[0]).toEqual(expected);
    } finally {
      await Promise.all([inThread.close(), ahead.close()]);
    }
  });

  it('treats a stored text that is two JSON values as undecodable, never shifting the values after it', async () => {
    const path = tempFile();
    const writer = SqliteEventStore.open({ path, synchronous: 'normal' });
    await fill(writer, 300, () => 'counted');
    writer.database.prepare("UPDATE rewind_events SET data = '1,2' WHERE position = 250").run();
    writer.database.prepare("UPDATE rewind_events SET metadata = '{},{}' WHERE position = 280").run();
    await writer.close();
    const store = SqliteEventStore.open({ path, readAheadAfter: 0, pageSize: 100 });
    try {
      for (const [after, bad] of [
        [0, 250],
        [250, 280],
      ]) {
        const seen: number[] = [];
        const error = await (async () => {
          for await (const event of store.readAll({ after: sequencePosition(after!) }))
            seen.push(Number(event.position.commit));
        })().catch((e: unknown) => e);
        expect(error).toMatchObject({ position: sequencePosition(bad!) });
        expect(seen).toEqual(Array.from({ length: bad! - after! - 1 }, (_, i) => i + after! + 1));
      }
    } finally {
      await store.close();
    }
  });

  it('delivers the events before an undecodable one, then names its position; a read after it goes on', async () => {
    const path = tempFile();
    const writer = SqliteEventStore.open({ path, synchronous: 'normal' });
    await fill(writer, 300, () => 'counted');
    writer.database.prepare("UPDATE rewind_events SET data = '{broken' WHERE position = 250").run();
    await writer.close();
    for (const readAheadAfter of [Infinity, 0]) {
      const store = SqliteEventStore.open({ path, readAheadAfter, pageSize: 100 });
      try {
        const seen: number[] = [];
        const error = await (async () => {
          for await (const event of store.readAll()) seen.push(Number(event.position.commit));
        })().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(EventDecodingError);
        expect(error).toMatchObject({ position: sequencePosition(250), streamId: expect.any(String) });
        expect((error as Error).message).toMatch(
          /The event at position 250 .* cannot be decoded: .*not JSON/,
        );
        expect(seen).toEqual(Array.from({ length: 249 }, (_, i) => i + 1));
        const rest: number[] = [];
        for await (const event of store.readAll({ after: sequencePosition(250) }))
          rest.push(Number(event.position.commit));
        expect(rest).toEqual(Array.from({ length: 50 }, (_, i) => i + 251));
      } finally {
        await store.close();
      }
    }
    const store = SqliteEventStore.open({ path, pageSize: 100 });
    try {
      // a subscription delivers what precedes it, then fails with the same error
      const subscription = store.subscribeToAll({ after: sequencePosition(200) });
      const events: number[] = [];
      const failure = await (async () => {
        for await (const message of subscription)
          if (message.type === 'event') events.push(Number(message.event.position.commit));
      })().catch((e: unknown) => e);
      await subscription.close();
      expect(failure).toBeInstanceOf(EventDecodingError);
      expect(events).toEqual(Array.from({ length: 49 }, (_, i) => i + 201));
    } finally {
      await store.close();
    }
  });
});
