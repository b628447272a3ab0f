import { describe, expect, it } from '@jest/globals';
import { rebuildProjection } from '@rewind/projections';
import {
  behaviour,
  contractApp,
  Counted,
  CounterProjection,
  effects,
  NotifierReactor,
  Renamed,
  SlowReactor,
} from './fixtures';
import { served, type EngineHarness } from './harness';

/** Reactors: live side effects, at least once, never replayed, never holding up the store. */
export function describeReactors(h: EngineHarness): void {
  describe('reactors', () => {
    it('run live with an idempotency key, starting from now', async () => {
      const shop = contractApp();
      await shop.append('r-1', new Renamed('old', 'history'));
      const store = await h.store();
      const e = h.engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store,
        processors: [NotifierReactor],
      });
      e.start();
      await e.runner('notifier').caughtUp();
      const { position } = await shop.append('r-1', new Renamed('a', 'energy bar+'));
      await e.waitForHead();
      expect(effects).toEqual([
        { key: 'a', isReplay: false, idempotencyKey: expect.stringMatching(/^notifier:/) },
      ]);
      expect((await e.status('notifier'))[0]!.checkpoint).toEqual(position);
    });

    it('keep a durable checkpoint: a restarted process reacts to new events only', async () => {
      const shop = contractApp();
      const store = await h.store();
      const options = {
        eventStore: shop.eventStore,
        events: shop.events,
        store,
        processors: [NotifierReactor],
      };
      const first = h.engine(options);
      first.start();
      await first.runner('notifier').caughtUp();
      await shop.append('r-1', new Renamed('a', 'one'));
      await first.waitForHead();
      await first.stop();
      await shop.append('r-1', new Renamed('b', 'two'));
      const second = h.engine(options);
      second.start();
      await second.waitForHead();
      expect(effects.map((e) => e.key)).toEqual(['a', 'b']);
      expect(new Set(effects.map((e) => e.idempotencyKey)).size).toBe(2);
    });

    it('never fire during a rebuild, while the projector sees isReplay', async () => {
      const shop = contractApp();
      const store = await h.store();
      const e = h.engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store,
        processors: [CounterProjection, NotifierReactor],
      });
      e.start();
      await e.runner('notifier').caughtUp();
      await shop.append('c-a', new Counted('a', 2), new Renamed('a', 'energy bar+'));
      await e.waitForHead();
      expect(effects).toHaveLength(1);
      expect(behaviour.seenReplay).toEqual([false]);
      behaviour.seenReplay.length = 0;
      await rebuildProjection(e, 'counters');
      expect(behaviour.seenReplay).toEqual([true]);
      expect(effects).toHaveLength(1);
      await expect(rebuildProjection(e, 'notifier')).rejects.toThrow(/reactor/);
      expect(effects).toHaveLength(1);
    });

    it('run their side effects outside the store’s transactions: a slow one holds up no projection', async () => {
      const shop = contractApp();
      const store = await h.store();
      const e = h.engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store,
        processors: [CounterProjection, SlowReactor],
      });
      let open!: () => void;
      behaviour.reactorGate = new Promise<void>((resolve) => (open = resolve));
      e.start();
      await e.runner('slow-notifier').caughtUp();
      await e.runner('counters').caughtUp();
      await shop.append('r-1', new Renamed('a', 'energy bar+')); // the reactor is now stuck in its gateway call
      for (let i = 0; i < 20; i++) await shop.append('c-a', new Counted('a', 1));
      await e.runner('counters').waitForHead(5000); // applied while the reactor still waits
      expect(await served(store, 'counters', 'counters')).toEqual({
        a: { count: 20, events: 20, name: 'energy bar+' },
      });
      expect(effects).toEqual([]);
      open();
      await e.runner('slow-notifier').waitForHead();
      expect(effects.map((x) => x.key)).toEqual(['a']);
    });
  });
}
