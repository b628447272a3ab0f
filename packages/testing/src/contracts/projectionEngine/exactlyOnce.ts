import { describe, expect, it } from '@jest/globals';
import type { EventStore, Position } from '@rewind/core';
import { comparePositions } from '@rewind/core';
import type { ReadModelStore, ReadModelTransaction } from '@rewind/projections';
import { contractApp, Counted, CounterProjection, behaviour, Renamed, TallyProjection } from './fixtures';
import { eventually, mortal, served, type EngineHarness } from './harness';

/** Sum of the tallies the tally projector committed. */
async function tallied(store: ReadModelStore): Promise<number> {
  const tallies = await served<{ count: number }>(store, 'tally', 'tallies');
  return Object.values(tallies).reduce((n, t) => n + t.count, 0);
}

/** What the checkpoint says was applied is exactly what the documents hold. */
async function expectCheckpointMatchesWrites(store: ReadModelStore, eventStore: EventStore): Promise<void> {
  const namespace = (await store.servedNamespace('tally'))!;
  const checkpoint = await store.getCheckpoint(namespace);
  const filter = { eventTypes: ['rewind-contract.counted'] };
  const all = await eventStore.countEvents!({ filter });
  const after = await eventStore.countEvents!({ ...(checkpoint ? { after: checkpoint } : {}), filter });
  expect(await tallied(store)).toBe(all - after);
}

/** Every event applied once: live and caught up, across failed commits, across a killed process. */
export function describeExactlyOnce(h: EngineHarness): void {
  describe('exactly once', () => {
    it('catches up, then applies live events, each exactly once, reporting every commit', async () => {
      const shop = contractApp();
      await shop.append('c-a', new Counted('a', 1), new Counted('a', 2));
      const store = await h.store();
      const e = h.engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store,
        processors: [CounterProjection],
      });
      const commits: Array<{ count: number; checkpoint: Position }> = [];
      e.on('batch-committed', ({ projection, count, checkpoint, replay }) => {
        if (projection === 'counters' && !replay) commits.push({ count, checkpoint });
      });
      e.start();
      await e.runner('counters').caughtUp();
      await shop.append('c-b', new Counted('b', 5));
      await shop.append('c-a', new Counted('a', 3), new Renamed('a', "energy bar'; DROP TABLE x; --"));
      await e.waitForHead();
      expect(await served(store, 'counters', 'counters')).toEqual({
        a: { count: 6, events: 3, name: "energy bar'; DROP TABLE x; --" },
        b: { count: 5, events: 1 },
      });
      expect(behaviour.seenReplay.every((r) => r === false)).toBe(true);
      // every event of the log went through exactly one reported commit, in order
      expect(commits.reduce((n, c) => n + c.count, 0)).toBe(5);
      for (let i = 1; i < commits.length; i++)
        expect(comparePositions(commits[i]!.checkpoint, commits[i - 1]!.checkpoint)).toBeGreaterThan(0);
      expect(commits.at(-1)!.checkpoint).toEqual(await shop.eventStore.headPosition());
    });

    it('loses and duplicates nothing when commits fail after their writes, and resumes from the checkpoint', async () => {
      const shop = contractApp();
      for (let i = 0; i < 300; i++) await shop.append(`c-${i % 7}`, new Counted(`k${i % 7}`, 1));
      const inner = await h.store();
      let commits = 0;
      // Every 3rd transaction fails after its work ran and its writes reached the store (a find makes
      // buffering stores send them): as if the process died before the commit.
      const crashing = new Proxy(inner, {
        get(target, property) {
          if (property !== 'transaction') return Reflect.get(target, property, target) as unknown;
          return <T>(namespace: string, work: (tx: ReadModelTransaction) => Promise<T>) =>
            target.transaction(namespace, async (tx) => {
              const result = await work(tx);
              await tx.collection('counters').count();
              if (namespace.startsWith('counters@') && ++commits % 3 === 0)
                throw new Error('crash before commit');
              return result;
            });
        },
      });
      const e = h.engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store: crashing,
        processors: [CounterProjection],
        catchUpCommitMs: 0, // a commit per batch: see "in catch-up windows" below for the other way
      });
      const retried: unknown[] = [];
      e.on('runner-error', ({ projection, error, retryInMs }) => {
        expect(projection).toBe('counters');
        expect(retryInMs).toBeGreaterThan(0);
        retried.push(error);
      });
      e.start();
      await e.waitForHead(20_000);
      expect(retried.length).toBeGreaterThan(0); // each failed commit was reported, then retried
      expect(retried.every((error) => /crash before commit/.test(String(error)))).toBe(true);
      const counters = Object.values(
        await served<{ count: number; events: number }>(inner, 'counters', 'counters'),
      );
      expect(counters.reduce((n, c) => n + c.count, 0)).toBe(300);
      expect(counters.every((c) => c.count === c.events)).toBe(true);
      expect(commits).toBeGreaterThan(3);
    });

    const killed = async (when: 'mid-batch' | 'between batches') => {
      const shop = contractApp();
      for (let i = 0; i < 200; i++) await shop.append(`c-${i % 5}`, new Counted(`k${i % 5}`, 1));
      const inner = await h.store();
      const a = mortal(inner, 'tally@', when === 'between batches' ? (commits) => commits === 4 : undefined);
      if (when === 'mid-batch') {
        behaviour.onTally = (applied) => {
          if (applied === 90) a.kill();
        };
      }
      const first = h.engine(
        {
          eventStore: shop.eventStore,
          events: shop.events,
          store: a.store,
          processors: [TallyProjection],
          owner: 'A',
          lockTtlMs: 150,
          catchUpCommitMs: 0,
        },
        false,
      );
      first.start();
      await eventually(() => a.dead, 'process A to die');
      // A is dead: what it committed is consistent, and it got part of the way only.
      await expectCheckpointMatchesWrites(inner, shop.eventStore);
      const committed = await tallied(inner);
      expect(committed).toBeGreaterThan(0);
      expect(committed).toBeLessThan(200);
      if (when === 'mid-batch') expect(committed).toBe(75); // three batches of 25; the fourth died
      const other = await h.store();
      const b = h.engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store: other,
        processors: [TallyProjection],
        owner: 'B',
        lockTtlMs: 150,
      });
      b.start();
      for (let i = 0; i < 50; i++) await shop.append(`c-${i % 5}`, new Counted(`k${i % 5}`, 1));
      await b.runner('tally').waitForHead(10_000);
      expect(await served(other, 'tally', 'tallies')).toEqual({
        k0: { count: 50 },
        k1: { count: 50 },
        k2: { count: 50 },
        k3: { count: 50 },
        k4: { count: 50 },
      });
      await expectCheckpointMatchesWrites(other, shop.eventStore);
      expect((await other.lockHolder('projection:tally'))?.owner).toBe('B');
      const stopped = first.stop();
      a.bury();
      await stopped;
    };

    it('loses nothing and counts nothing twice when the process dies in the middle of a batch', async () => {
      await killed('mid-batch');
    });

    it('loses nothing and counts nothing twice when the process dies between batches', async () => {
      await killed('between batches');
    });
  });
}
