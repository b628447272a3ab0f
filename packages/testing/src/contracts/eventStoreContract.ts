import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ConcurrencyError,
  comparePositions,
  readAllInPages,
  StreamNotFoundError,
  ValidationError,
  type EventStore,
  type ExpectedRevision,
  type RecordedEvent,
  type SubscriptionMessage,
} from '@rewind/core';
import { randomUUID } from 'node:crypto';
import { collect, eventsOf, takeMessages, testEvent } from '../support/eventStoreHelpers';

/** How the contract suite obtains a store; `dispose` runs after the suite. */
export interface EventStoreUnderTest {
  readonly store: EventStore;
  dispose?(): Promise<void>;
}

/** Options for {@link describeEventStoreContract}. */
export interface EventStoreContractOptions {
  /** Longest wait for a live subscription message, in ms (default 5000). */
  readonly liveTimeoutMs?: number;
}

/**
 * The behaviour every EventStore must have, specified once. Run it against a store:
 *
 * @example
 * describeEventStoreContract('InMemoryEventStore', async () => ({ store: new InMemoryEventStore() }));
 */
export function describeEventStoreContract(
  name: string,
  create: () => Promise<EventStoreUnderTest> | EventStoreUnderTest,
  options: EventStoreContractOptions = {},
): void {
  const liveTimeout = options.liveTimeoutMs ?? 5000;

  describe(`${name} (EventStore contract)`, () => {
    let store: EventStore;
    let under: EventStoreUnderTest;
    // Each test works in streams of its own, so the suite can share one store (and one server).
    const stream = (category = 'contract') => `${category}${randomUUID().replace(/-/g, '')}-${randomUUID()}`;

    beforeAll(async () => {
      under = await create();
      store = under.store;
    });
    afterAll(async () => {
      await store.close();
      await under.dispose?.();
    });

    describe('append', () => {
      it('starts a new stream at revision 0 and keeps revisions dense across appends', async () => {
        const s = stream();
        const first = await store.append(s, [testEvent('a'), testEvent('b')], {
          expectedRevision: 'no_stream',
        });
        expect(first.nextExpectedRevision).toBe(1n);
        const second = await store.append(s, [testEvent('c')], { expectedRevision: 1n });
        expect(second.nextExpectedRevision).toBe(2n);
        expect(comparePositions(second.position, first.position)).toBeGreaterThan(0);
        const events = await collect(store.readStream(s));
        expect(events.map((e) => [e.revision, e.type])).toEqual([
          [0n, 'a'],
          [1n, 'b'],
          [2n, 'c'],
        ]);
      });

      const cases: Array<[string, ExpectedRevision, boolean, boolean]> = [
        // [label, expected, stream exists?, should succeed?]
        ['no_stream on a new stream', 'no_stream', false, true],
        ['no_stream on an existing stream', 'no_stream', true, false],
        ['stream_exists on an existing stream', 'stream_exists', true, true],
        ['stream_exists on a new stream', 'stream_exists', false, false],
        ['any on a new stream', 'any', false, true],
        ['any on an existing stream', 'any', true, true],
        ['the exact revision', 1n, true, true],
        ['a stale revision', 0n, true, false],
        ['a future revision', 5n, true, false],
        ['a revision on a new stream', 0n, false, false],
      ];
      it.each(cases)('expected revision: %s', async (_label, expected, exists, succeeds) => {
        const s = stream();
        if (exists) await store.append(s, [testEvent('x'), testEvent('y')]);
        const attempt = store.append(s, [testEvent('z')], { expectedRevision: expected });
        if (succeeds) {
          await expect(attempt).resolves.toMatchObject({ nextExpectedRevision: exists ? 2n : 0n });
        } else {
          const error = await attempt.then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(error).toBeInstanceOf(ConcurrencyError);
          const concurrency = error as ConcurrencyError;
          expect(concurrency.code).toBe('CONCURRENCY');
          expect(concurrency.streamId).toBe(s);
          expect(concurrency.expectedRevision).toBe(expected);
          expect(concurrency.actualRevision).toBe(exists ? 1n : 'no_stream');
          expect(concurrency.message).toContain(s);
          // nothing was written
          const count = exists ? (await collect(store.readStream(s))).length : 0;
          expect(count).toBe(exists ? 2 : 0);
        }
      });

      it('lets exactly one of two writers with the same expected revision win', async () => {
        const s = stream();
        await store.append(s, [testEvent('start')]);
        const results = await Promise.allSettled([
          store.append(s, [testEvent('left')], { expectedRevision: 0n }),
          store.append(s, [testEvent('right')], { expectedRevision: 0n }),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        expect(rejected.reason).toBeInstanceOf(ConcurrencyError);
        expect((await collect(store.readStream(s))).map((e) => e.revision)).toEqual([0n, 1n]);
      });

      describe('idempotent appends (same event ids + same expected revision = success, nothing written)', () => {
        const withIds = (...types: string[]) =>
          types.map((type) => ({ ...testEvent(type), id: randomUUID() }));
        const retries: Array<[string, (first: bigint | undefined) => ExpectedRevision]> = [
          ['an exact revision', (first) => first!],
          ['no_stream', () => 'no_stream'],
          ['any', () => 'any'],
        ];
        it.each(retries)(
          'a retried append with %s writes nothing and returns what the first one did',
          async (label, expectedFor) => {
            const s = stream();
            const before = label === 'no_stream' ? undefined : await store.append(s, [testEvent('start')]);
            const expectedRevision = expectedFor(before?.nextExpectedRevision);
            const events = withIds('a', 'b');
            const first = await store.append(s, events, { expectedRevision });
            const retry = await store.append(s, events, { expectedRevision });
            expect(retry.nextExpectedRevision).toBe(first.nextExpectedRevision);
            expect(comparePositions(retry.position, first.position)).toBe(0);
            const stored = await collect(store.readStream(s));
            expect(stored.map((e) => e.type)).toEqual([...(before ? ['start'] : []), 'a', 'b']);
            expect(stored.slice(-2).map((e) => e.id)).toEqual(events.map((e) => e.id));
          },
        );

        it('is still a retry after other events were appended (exact revision)', async () => {
          const s = stream();
          await store.append(s, [testEvent('start')], { expectedRevision: 'no_stream' });
          const events = withIds('a');
          const first = await store.append(s, events, { expectedRevision: 0n });
          await store.append(s, [testEvent('later')], { expectedRevision: 1n });
          const retry = await store.append(s, events, { expectedRevision: 0n });
          expect(retry.nextExpectedRevision).toBe(1n);
          expect(comparePositions(retry.position, first.position)).toBe(0);
          expect((await collect(store.readStream(s))).map((e) => e.type)).toEqual(['start', 'a', 'later']);
        });

        it('is a conflict, not a retry, when other ids stand at that revision or only some ids match', async () => {
          const s = stream();
          const events = withIds('a', 'b');
          await store.append(s, events, { expectedRevision: 'no_stream' });
          // Different events at the same expected revision: an ordinary conflict.
          await expect(
            store.append(s, withIds('c'), { expectedRevision: 'no_stream' }),
          ).rejects.toBeInstanceOf(ConcurrencyError);
          // The first id matches, the second does not: a different append reusing an id.
          await expect(
            store.append(s, [events[0]!, ...withIds('other')], { expectedRevision: 'no_stream' }),
          ).rejects.toBeInstanceOf(ConcurrencyError);
          // More events than were written: not the same append either.
          await expect(
            store.append(s, [...events, ...withIds('more')], { expectedRevision: 'no_stream' }),
          ).rejects.toBeInstanceOf(ConcurrencyError);
          expect((await collect(store.readStream(s))).map((e) => e.type)).toEqual(['a', 'b']);
        });

        it('writes events without ids every time (the store gives each a new id)', async () => {
          const s = stream();
          await store.append(s, [testEvent('a')], { expectedRevision: 'any' });
          await store.append(s, [testEvent('a')], { expectedRevision: 'any' });
          const stored = await collect(store.readStream(s));
          expect(stored).toHaveLength(2);
          expect(stored[0]!.id).not.toBe(stored[1]!.id);
        });
      });

      it('rejects an empty stream name, a system stream name and an empty append', async () => {
        await expect(store.append('', [testEvent('a')])).rejects.toBeInstanceOf(ValidationError);
        await expect(store.append('$system', [testEvent('a')])).rejects.toBeInstanceOf(ValidationError);
        await expect(store.append(stream(), [])).rejects.toBeInstanceOf(ValidationError);
      });

      const badRevisions: Array<[string, unknown]> = [
        ['a word that is not one of the four', 'banana'],
        ['a negative number', -5],
        ['NaN', NaN],
        ['a huge number', 1e30],
        ['a whole number instead of a bigint', 1],
        ['a negative bigint', -1n],
        ['a bigint past 64 bits', 2n ** 63n],
        ['null', null],
      ];
      it.each(badRevisions)(
        'refuses an expected revision that is %s with a ValidationError (never a conflict) and writes nothing',
        async (_label, expected) => {
          const s = stream();
          await store.append(s, [testEvent('x'), testEvent('y')]);
          const error = await store
            .append(s, [testEvent('z')], { expectedRevision: expected as ExpectedRevision })
            .then(
              () => undefined,
              (e: unknown) => e,
            );
          expect(error).toBeInstanceOf(ValidationError);
          expect((error as ValidationError).violations.map((v) => v.path)).toEqual(['expectedRevision']);
          expect((error as ValidationError).message).toMatch(
            /'no_stream', 'stream_exists', 'any' or a revision/,
          );
          expect((await collect(store.readStream(s))).map((e) => e.type)).toEqual(['x', 'y']);
        },
      );

      it('keeps data, metadata, ids and types exactly', async () => {
        const s = stream();
        const id = randomUUID();
        const data = {
          text: 'énergie ⚡ "quoted"',
          n: 12.5,
          nested: { list: [1, 'two', null, { deep: true }] },
        };
        await store.append(s, [{ ...testEvent('typed.event', data, { custom: { tenant: 't-1' } }), id }]);
        const [event] = await collect(store.readStream(s));
        expect(event).toMatchObject({ id, streamId: s, revision: 0n, type: 'typed.event', data });
        expect(event!.metadata).toMatchObject({
          schemaVersion: 1,
          correlationId: 'corr-1',
          causationId: 'cause-1',
          occurredAt: '2026-01-01T00:00:00.000Z',
          custom: { tenant: 't-1' },
        });
        expect(event!.recordedAt).toBeInstanceOf(Date);
        expect(Math.abs(event!.recordedAt.getTime() - Date.now())).toBeLessThan(60_000);
      });
    });

    describe('stream names', () => {
      const invalid: Array<[string, (tag: string) => string]> = [
        ['an empty name', () => ''],
        ['a system name ($)', (tag) => `$${tag}`],
        ['a lone high surrogate', (tag) => `${tag}-\uD800x`],
        ['a lone low surrogate', (tag) => `${tag}-x\uDC00`],
        ['NUL', (tag) => `${tag}-a\u0000b`],
        ['a newline', (tag) => `${tag}-a\nb`],
        ['DEL', (tag) => `${tag}-a\u007Fb`],
        ['a C1 control character', (tag) => `${tag}-a\u0085b`],
      ];
      it.each(invalid)('refuses %s with a ValidationError and stores nothing', async (_label, name) => {
        const tag = `names${randomUUID().slice(0, 8)}`;
        const streamId = name(tag);
        const error = await store.append(streamId, [testEvent('a')]).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).violations.map((v) => v.path)).toEqual(['streamId']);
        expect(await collect(store.listStreams({ prefix: tag }))).toEqual([]);
        if (streamId !== '' && !streamId.startsWith('$')) {
          // A read never finds a different stream the store would have turned this name into.
          await expect(collect(store.readStream(streamId))).rejects.toBeInstanceOf(ValidationError);
        }
      });

      it('keeps every other name exactly, and finds it by prefix', async () => {
        const tag = `names${randomUUID().slice(0, 8)}`;
        const names = [`${tag}-주문-42`, `${tag}-cart-⚡`, `${tag}-😀 party`, `${tag}-Ünïcödé.2026/05`];
        for (const name of names) await store.append(name, [testEvent('kept')]);
        for (const name of names) {
          expect((await collect(store.readStream(name))).map((e) => e.streamId)).toEqual([name]);
        }
        const listed = await collect(store.listStreams({ prefix: `${tag}-` }));
        expect(listed.map((s) => s.streamId).sort()).toEqual([...names].sort());
      });
    });

    describe('readStream', () => {
      let s: string;
      beforeAll(async () => {
        s = stream();
        await store.append(
          s,
          ['e0', 'e1', 'e2', 'e3', 'e4'].map((t) => testEvent(t)),
        );
      });
      const types = (events: RecordedEvent[]) => events.map((e) => e.type);

      it('reads forwards from a revision, to a revision, with a count', async () => {
        expect(types(await collect(store.readStream(s)))).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
        expect(types(await collect(store.readStream(s, { fromRevision: 2n })))).toEqual(['e2', 'e3', 'e4']);
        expect(types(await collect(store.readStream(s, { toRevision: 1n })))).toEqual(['e0', 'e1']);
        expect(types(await collect(store.readStream(s, { fromRevision: 1n, maxCount: 2 })))).toEqual([
          'e1',
          'e2',
        ]);
        expect(types(await collect(store.readStream(s, { fromRevision: 9n })))).toEqual([]);
      });

      it('reads backwards from the end or a revision, down to a revision', async () => {
        expect(types(await collect(store.readStream(s, { direction: 'backwards' })))).toEqual([
          'e4',
          'e3',
          'e2',
          'e1',
          'e0',
        ]);
        expect(
          types(await collect(store.readStream(s, { direction: 'backwards', fromRevision: 2n }))),
        ).toEqual(['e2', 'e1', 'e0']);
        expect(
          types(await collect(store.readStream(s, { direction: 'backwards', toRevision: 3n, maxCount: 5 }))),
        ).toEqual(['e4', 'e3']);
        expect(types(await collect(store.readStream(s, { direction: 'backwards', maxCount: 1 })))).toEqual([
          'e4',
        ]);
      });

      it('reads up to a recorded time', async () => {
        const t = stream();
        await store.append(t, [testEvent('before')]);
        await new Promise((r) => setTimeout(r, 30));
        const cut = new Date();
        await new Promise((r) => setTimeout(r, 30));
        await store.append(t, [testEvent('after')]);
        expect(types(await collect(store.readStream(t, { until: cut })))).toEqual(['before']);
        expect(types(await collect(store.readStream(t, { until: cut, direction: 'backwards' })))).toEqual([
          'before',
        ]);
        expect(types(await collect(store.readStream(t, { until: new Date(0) })))).toEqual([]);
      });

      it('readStreamPages, where the store has it, gives what readStream gives, in non-empty pages', async () => {
        if (!store.readStreamPages) return;
        const optionSets = [
          {},
          { fromRevision: 2n },
          { toRevision: 1n },
          { fromRevision: 1n, maxCount: 2 },
          { fromRevision: 9n },
          { direction: 'backwards' as const },
          { direction: 'backwards' as const, toRevision: 3n, maxCount: 5 },
        ];
        for (const options of optionSets) {
          const pages = await collect(store.readStreamPages(s, options));
          expect(pages.every((page) => page.length > 0)).toBe(true);
          expect(types(pages.flat())).toEqual(types(await collect(store.readStream(s, options))));
        }
        await expect(collect(store.readStreamPages(stream()))).rejects.toBeInstanceOf(StreamNotFoundError);
      });

      it('keeps stored events apart from what readers and writers do with their objects', async () => {
        const t = stream();
        const appended = testEvent('kept', { count: 1, nested: { tags: ['a'] } });
        await store.append(t, [appended]);
        // The writer changes its object after the append; a reader changes what it read.
        (appended.data as { count: number }).count = 2;
        const [read] = await collect(store.readStream(t));
        const tryTo = (change: () => void) => {
          try {
            change();
          } catch {
            // A store may freeze what it hands out: then the change throws, which is just as good.
          }
        };
        tryTo(() => ((read!.data as { count: number }).count = 3));
        tryTo(() => (read!.data as { nested: { tags: string[] } }).nested.tags.push('b'));
        tryTo(() => ((read!.metadata as { correlationId: string }).correlationId = 'changed'));
        const [again] = await collect(store.readStream(t));
        expect(again!.data).toEqual({ count: 1, nested: { tags: ['a'] } });
        expect(again!.metadata.correlationId).toBe('corr-1');
        const [fromAll] = (await collect(store.readAll({ filter: { streamPrefixes: [t] } }))).filter(
          (e) => e.streamId === t,
        );
        expect(fromAll!.data).toEqual({ count: 1, nested: { tags: ['a'] } });
      });

      it('throws StreamNotFoundError for a stream that does not exist', async () => {
        const missing = stream();
        const error = await collect(store.readStream(missing)).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(StreamNotFoundError);
        expect((error as StreamNotFoundError).streamId).toBe(missing);
      });
    });

    describe('readAll and positions', () => {
      it('orders events across streams by position, exclusive of the start position', async () => {
        const a = stream('all');
        const b = stream('all');
        const head0 = await store.headPosition();
        await store.append(a, [testEvent('a0')]);
        await store.append(b, [testEvent('b0')]);
        await store.append(a, [testEvent('a1')]);
        const mine = (events: RecordedEvent[]) => events.filter((e) => e.streamId === a || e.streamId === b);
        const all = mine(await collect(store.readAll(head0 ? { after: head0 } : {})));
        expect(all.map((e) => e.type)).toEqual(['a0', 'b0', 'a1']);
        for (let i = 1; i < all.length; i++)
          expect(comparePositions(all[i]!.position, all[i - 1]!.position)).toBe(1);
        const afterFirst = mine(await collect(store.readAll({ after: all[0]!.position })));
        expect(afterFirst.map((e) => e.type)).toEqual(['b0', 'a1']);
        const head = await store.headPosition();
        expect(head && comparePositions(head, all[2]!.position)).toBe(0);
        const backwards = mine(await collect(store.readAll({ direction: 'backwards', maxCount: 3 })));
        expect(backwards.map((e) => e.type)).toEqual(['a1', 'b0', 'a0']);
        const beforeLast = mine(
          await collect(store.readAll({ direction: 'backwards', before: all[2]!.position, maxCount: 2 })),
        );
        expect(beforeLast.map((e) => e.type)).toEqual(['b0', 'a0']);
      });

      it('filters by event type and by stream prefix', async () => {
        const tag = randomUUID().slice(0, 8);
        const head0 = await store.headPosition();
        const orders = `order${tag}-1`;
        const menus = `menu${tag}-1`;
        await store.append(orders, [testEvent(`placed${tag}`), testEvent(`paid${tag}`)]);
        await store.append(menus, [testEvent(`renamed${tag}`)]);
        const from = head0 ? { after: head0 } : {};
        const byType = await collect(
          store.readAll({ ...from, filter: { eventTypes: [`paid${tag}`, `renamed${tag}`] } }),
        );
        expect(byType.map((e) => e.type)).toEqual([`paid${tag}`, `renamed${tag}`]);
        const byPrefix = await collect(
          store.readAll({ ...from, filter: { streamPrefixes: [`order${tag}-`] } }),
        );
        expect(byPrefix.map((e) => e.type)).toEqual([`placed${tag}`, `paid${tag}`]);
      });

      it('reads the same events a page at a time (readAllPages, or readAllInPages over readAll)', async () => {
        const tag = randomUUID().slice(0, 8);
        const head0 = await store.headPosition();
        const from = head0 ? { after: head0 } : {};
        for (let i = 0; i < 7; i++) {
          await store.append(`paged${tag}-${i % 3}`, [
            testEvent(`odd${tag}`, { i, at: 0 }),
            testEvent(`even${tag}`, { i, at: 1 }),
          ]);
        }
        const cases = [
          { ...from },
          { ...from, filter: { eventTypes: [`even${tag}`] } },
          { ...from, filter: { streamPrefixes: [`paged${tag}-1`] }, maxCount: 2 },
          { direction: 'backwards' as const, maxCount: 5 },
        ];
        for (const options of cases) {
          const expected = await collect(store.readAll(options));
          const pages = await collect(readAllInPages(store, options, 3));
          expect(pages.every((page) => page.length > 0)).toBe(true);
          expect(pages.flat()).toEqual(expected);
          if (store.readAllPages) {
            const native = await collect(store.readAllPages(options));
            expect(native.every((page) => page.length > 0)).toBe(true);
            expect(native.flat()).toEqual(expected);
          }
        }
      });

      it('lists streams by prefix with their last revision', async () => {
        const tag = `list${randomUUID().slice(0, 8)}`;
        await store.append(`${tag}-a`, [testEvent('x'), testEvent('y')]);
        await store.append(`${tag}-b`, [testEvent('x')]);
        const listed = await collect(store.listStreams({ prefix: `${tag}-` }));
        expect(listed.map((s) => [s.streamId, s.revision]).sort()).toEqual([
          [`${tag}-a`, 1n],
          [`${tag}-b`, 0n],
        ]);
      });
    });

    describe('subscribeToAll', () => {
      it('catches up, says caught-up, then delivers live events', async () => {
        const tag = randomUUID().slice(0, 8);
        const head0 = await store.headPosition();
        const s = stream();
        await store.append(s, [testEvent(`old${tag}`)]);
        const sub = store.subscribeToAll({
          ...(head0 ? { after: head0 } : {}),
          filter: { eventTypes: [`old${tag}`, `new${tag}`] },
        });
        try {
          const first = await takeMessages(sub, (m) => m.some((x) => x.type === 'caught-up'), liveTimeout);
          expect(eventsOf(first).map((e) => e.type)).toEqual([`old${tag}`]);
          await store.append(s, [testEvent(`new${tag}`)]);
          const live = await takeMessages(sub, (m) => eventsOf(m).length === 1, liveTimeout);
          expect(eventsOf(live).map((e) => [e.type, e.revision])).toEqual([[`new${tag}`, 1n]]);
        } finally {
          await sub.close();
        }
      });

      it('starts strictly after the given position', async () => {
        const tag = randomUUID().slice(0, 8);
        const s = stream();
        const first = await store.append(s, [testEvent(`one${tag}`)]);
        await store.append(s, [testEvent(`two${tag}`), testEvent(`three${tag}`)]);
        const sub = store.subscribeToAll({
          after: first.position,
          filter: { eventTypes: [`one${tag}`, `two${tag}`, `three${tag}`] },
        });
        try {
          const got = await takeMessages(sub, (m) => eventsOf(m).length === 2, liveTimeout);
          expect(eventsOf(got).map((e) => e.type)).toEqual([`two${tag}`, `three${tag}`]);
        } finally {
          await sub.close();
        }
      });

      it('advances checkpoints past events the filter leaves out', async () => {
        const tag = randomUUID().slice(0, 8);
        const head0 = await store.headPosition();
        const sub = store.subscribeToAll({
          ...(head0 ? { after: head0 } : {}),
          filter: { eventTypes: [`never${tag}`] },
        });
        try {
          await takeMessages(sub, (m) => m.some((x) => x.type === 'caught-up'), liveTimeout);
          const s = stream();
          let last: RecordedEvent | undefined;
          // enough unmatched events for a server to send a checkpoint
          for (let i = 0; i < 40; i++) {
            const r = await store.append(s, [testEvent(`noise${tag}`)]);
            last = { position: r.position } as RecordedEvent;
          }
          const got = await takeMessages(sub, (m) => m.some((x) => x.type === 'checkpoint'), liveTimeout * 2);
          expect(eventsOf(got)).toEqual([]);
          const checkpoint = got.find((x) => x.type === 'checkpoint') as Extract<
            SubscriptionMessage,
            { type: 'checkpoint' }
          >;
          if (head0) expect(comparePositions(checkpoint.position, head0)).toBeGreaterThan(0);
          expect(comparePositions(checkpoint.position, last!.position)).toBeLessThanOrEqual(0);
        } finally {
          await sub.close();
        }
      });

      it('ends iteration when closed', async () => {
        const sub = store.subscribeToAll({ filter: { eventTypes: ['nothing-ever'] } });
        const iterator = sub[Symbol.asyncIterator]();
        const pending = (async () => {
          for (;;) {
            const next = await iterator.next();
            if (next.done) return 'done';
          }
        })();
        await new Promise((r) => setTimeout(r, 50));
        await sub.close();
        await expect(pending).resolves.toBe('done');
      });
    });
  });
}
