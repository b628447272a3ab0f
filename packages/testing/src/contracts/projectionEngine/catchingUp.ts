import { describe, expect, it } from '@jest/globals';
import { comparePositions, type EventStore, type Position, type Subscription } from '@rewind/core';
import type { ReadModelTransaction } from '@rewind/projections';
import {
  behaviour,
  BulkProjection,
  contractApp,
  Counted,
  Noise,
  Renamed,
  RenameProjection,
  TallyProjection,
} from './fixtures';
import { eventually, served, type EngineHarness } from './harness';

/** Counts what reaches a runner by pages (readAllPages) and by the subscription. */
function counting(inner: EventStore) {
  const seen = { paged: 0, subscribed: 0 };
  const store = new Proxy(inner, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (property === 'readAllPages') {
        return async function* (...args: Parameters<NonNullable<EventStore['readAllPages']>>) {
          for await (const page of target.readAllPages!(...args)) {
            seen.paged += page.length;
            yield page;
          }
        };
      }
      if (property === 'subscribeToAll') {
        return (...args: Parameters<EventStore['subscribeToAll']>): Subscription => {
          const subscription = target.subscribeToAll(...args);
          return {
            close: () => subscription.close(),
            async *[Symbol.asyncIterator]() {
              for await (const message of subscription) {
                if (message.type === 'event') seen.subscribed++;
                yield message;
              }
            },
          };
        };
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store, seen };
}

/** Catching up a backlog and following the log live: pages, then a subscription; never blocking the process. */
export function describeCatchingUp(h: EngineHarness): void {
  describe('catching up', () => {
    it('reads the backlog a page at a time, then takes live events from the subscription', async () => {
      const shop = contractApp();
      for (let i = 0; i < 230; i++) await shop.append(`c-${i % 5}`, new Counted(`k${i % 5}`, 1));
      for (let i = 0; i < 30; i++) await shop.append('noise-1', new Noise(i));
      const { store: eventStore, seen } = counting(shop.eventStore);
      const store = await h.store();
      const e = h.engine({ eventStore, events: shop.events, store, processors: [TallyProjection] });
      e.start();
      await e.runner('tally').waitForHead(10_000);
      expect(seen).toEqual({ paged: 230, subscribed: 0 });
      // caught up to the head, past the noise it does not handle
      expect(e.runner('tally').status().checkpoint).toEqual(await shop.eventStore.headPosition());
      for (let i = 0; i < 10; i++) await shop.append(`c-${i % 5}`, new Counted(`k${i % 5}`, 1));
      await e.runner('tally').waitForHead(10_000);
      expect(seen).toEqual({ paged: 230, subscribed: 10 });
      const tallies = await served<{ count: number }>(store, 'tally', 'tallies');
      expect(Object.values(tallies).map((t) => t.count)).toEqual([48, 48, 48, 48, 48]);
    });

    it('stops after the batch in hand when stopped in the middle of a backlog', async () => {
      const shop = contractApp();
      for (let i = 0; i < 500; i++) await shop.append(`c-${i % 5}`, new Counted(`k${i % 5}`, 1));
      const store = await h.store();
      const e = h.engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store,
        processors: [TallyProjection],
      });
      let stopping: Promise<void> | undefined;
      const stopped = new Promise<void>((resolve) => {
        behaviour.onTally = (applied) => {
          if (applied === 60) {
            stopping = e.stop();
            resolve();
          }
        };
      });
      e.start();
      await stopped;
      await stopping;
      const tallies = await served<{ count: number }>(store, 'tally', 'tallies');
      expect(Object.values(tallies).reduce((n, t) => n + t.count, 0)).toBe(75); // three batches of 25
      expect(e.runner('tally').status().state).toBe('stopped');
    });

    // How late a timer fires during a 1M-event catch-up is a speed figure: `npm run bench` measures it
    // (bench/projections.bench.js). The contract pins the cause structurally: a turn after every commit.
    it('yields to the event loop after every commit while it catches up', async () => {
      const shop = contractApp();
      for (let i = 0; i < 200; i++)
        await shop.append(
          `c-${i % 10}`,
          ...Array.from({ length: 100 }, (_, j) => new Counted(`k${j % 100}`, 1)),
        );
      const inner = await h.store();
      let commits = 0;
      const store = new Proxy(inner, {
        get(target, property) {
          if (property !== 'transaction') return Reflect.get(target, property, target) as unknown;
          return <T>(namespace: string, work: (tx: ReadModelTransaction) => Promise<T>) =>
            target.transaction(namespace, work).then((result) => {
              if (namespace.startsWith('bulk@')) commits++;
              return result;
            });
        },
      });
      // A callback queued behind I/O (setImmediate) runs only when the loop gets a turn: count the turns.
      let turns = 0;
      let ticking = true;
      const tick = () => {
        turns++;
        if (ticking) setImmediate(tick);
      };
      setImmediate(tick);
      const e = h.engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store,
        processors: [BulkProjection],
        catchUpCommitMs: 0,
      });
      try {
        e.start();
        await e.waitForHead(60_000);
      } finally {
        ticking = false;
      }
      expect(commits).toBeGreaterThanOrEqual(40); // 20,000 events in batches of 500
      expect(turns).toBeGreaterThanOrEqual(commits - 1);
    }, 60_000); // 20,000 events appended and applied: generous for a loaded CI machine

    it('moves a sparse checkpoint past unrelated appends at most once per interval, and reaches the head', async () => {
      const shop = contractApp();
      const inner = await h.store();
      // When each commit that moved the checkpoint of the projection happened.
      const commitTimes: number[] = [];
      const store = new Proxy(inner, {
        get(target, property) {
          if (property !== 'transaction') return Reflect.get(target, property, target) as unknown;
          return <T>(namespace: string, work: (tx: ReadModelTransaction) => Promise<T>) =>
            target.transaction(namespace, async (tx) => {
              const watched = namespace === 'renames@v1';
              const from = watched ? await tx.getCheckpoint() : undefined;
              const result = await work(tx);
              const to = watched ? await tx.getCheckpoint() : undefined;
              // Only transactions that move the checkpoint count (not lease renewals and other reads).
              if (to && (!from || comparePositions(to, from) !== 0)) commitTimes.push(Date.now());
              return result;
            });
        },
      });
      const interval = 300;
      const e = h.engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store,
        processors: [RenameProjection],
        checkpointIntervalMs: interval,
      });
      e.start();
      await e.runner('renames').caughtUp();
      const before = commitTimes.length;
      for (let i = 0; i < 40; i++) {
        await shop.append('noise-1', new Noise(i));
        await new Promise((resolve) => setTimeout(resolve, 5)); // appends spread over time
      }
      // While nobody waits for the head, checkpoint-only commits are at least an interval apart (the
      // first is due at once). A loaded machine only makes gaps longer: this bound never depends on its
      // speed.
      const unhurried = commitTimes.slice(before);
      const gaps = unhurried.slice(1).map((at, i) => at - unhurried[i]!);
      expect({ gaps, short: gaps.filter((gap) => gap < interval - 20) }).toEqual({ gaps, short: [] });
      await e.runner('renames').waitForHead(30_000);
      expect(e.runner('renames').status().checkpoint).toEqual(await shop.eventStore.headPosition());
      expect(commitTimes.length - before).toBeGreaterThanOrEqual(1);
    });

    it('applies a handled event at once, never held back by the checkpoint interval', async () => {
      const shop = contractApp();
      const store = await h.store();
      const e = h.engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store,
        processors: [RenameProjection],
        checkpointIntervalMs: 60_000,
      });
      const applied: Position[] = [];
      e.on('batch-committed', ({ count, checkpoint }) => count > 0 && applied.push(checkpoint));
      e.start();
      await e.runner('renames').caughtUp();
      await shop.append('noise-1', new Noise(1));
      const { position } = await shop.append('r-1', new Renamed('a', 'energy bar+'));
      // with no one waiting for the head, only the event itself can commit it before the interval
      await eventually(
        () => applied.some((checkpoint) => comparePositions(checkpoint, position) >= 0),
        'the rename to be committed',
      );
      expect(await served(store, 'renames', 'names')).toEqual({ a: { name: 'energy bar+' } });
    });

    it('lets a sparse projector wait for the head of an idle log at once', async () => {
      const shop = contractApp();
      const store = await h.store();
      const e = h.engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store,
        processors: [RenameProjection],
        checkpointIntervalMs: 60_000,
      });
      e.start();
      await e.runner('renames').caughtUp();
      for (let i = 0; i < 30; i++) await shop.append('noise-1', new Noise(i));
      await e.runner('renames').waitForHead(10_000); // would wait for the 60 s interval if not asked
      expect(e.runner('renames').status().checkpoint).toEqual(await shop.eventStore.headPosition());
    });
  });
}
