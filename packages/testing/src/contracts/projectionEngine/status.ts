import { describe, expect, it } from '@jest/globals';
import { InMemoryEventStore, type EventStore } from '@rewind/core';
import type { ProjectionState } from '@rewind/projections';
import { behaviour, contractApp, Counted, CounterProjection, Noise } from './fixtures';
import { type EngineHarness } from './harness';

/** What `status()` says, from any process, at any time. */
export function describeStatus(h: EngineHarness): void {
  describe('status', () => {
    it('reports state, checkpoint, lag behind the head, throughput, dead letters and the last error', async () => {
      const shop = contractApp();
      for (let i = 0; i < 40; i++) await shop.append('c-a', new Counted('a', 1, i === 20));
      behaviour.failOnPoison = true;
      const store = await h.store();
      const e = h.engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store,
        processors: [CounterProjection],
      });
      const states: ProjectionState[] = [];
      e.on('state-changed', ({ projection, state }) => projection === 'counters' && states.push(state));
      e.start();
      await e.waitForHead();
      const [status] = await e.status('counters');
      expect(status).toMatchObject({
        name: 'counters',
        kind: 'projection',
        version: 1,
        state: 'running',
        eventsBehind: 0,
        deadLetters: 1,
        paused: false,
        inline: false,
      });
      expect(status!.checkpoint).toEqual(await shop.eventStore.headPosition());
      expect(status!.head).toEqual(await shop.eventStore.headPosition());
      expect(status!.eventsPerSecond).toBeGreaterThan(0);
      expect(status!.lastError).toMatch(/rewind-contract\.counted at c-a@20 .*poison a/);
      expect(states).toEqual(['starting', 'catching-up', 'running']);
      await e.pause('counters');
      await shop.append('c-a', new Counted('a', 1), new Noise(1), new Counted('a', 1));
      expect((await e.status('counters'))[0]).toMatchObject({ state: 'paused', eventsBehind: 2 });
      await e.resume('counters');
      await e.waitForHead();
      await e.stop();
      expect((await e.status('counters'))[0]).toMatchObject({ state: 'stopped', eventsBehind: 0 });
      expect(states.slice(3)).toEqual(['paused', 'catching-up', 'running', 'stopped']);
    });

    it('leaves eventsBehind undefined when the event store cannot count, and still reports positions', async () => {
      const inner = new InMemoryEventStore();
      const uncounted = new Proxy(inner, {
        get: (target, property) =>
          property === 'countEvents' ? undefined : (Reflect.get(target, property, target) as unknown),
      }) as EventStore;
      const shop = contractApp(uncounted);
      await shop.append('c-a', new Counted('a', 1));
      const e = h.engine({
        eventStore: uncounted,
        events: shop.events,
        store: await h.store(),
        processors: [CounterProjection],
      });
      e.start();
      await e.waitForHead();
      const [status] = await e.status('counters');
      expect(status!.eventsBehind).toBeUndefined();
      expect(status!.checkpoint).toEqual(await inner.headPosition());
      expect(status!.head).toEqual(await inner.headPosition());
    });

    it('answers from another process every time while the runner commits', async () => {
      const shop = contractApp();
      const runnerStore = await h.store();
      const e = h.engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store: runnerStore,
        processors: [CounterProjection],
      });
      e.start();
      await e.runner('counters').caughtUp();
      const operator = h.engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store: await h.store(),
        processors: [CounterProjection],
      });
      let writing = true;
      const writer = (async () => {
        for (let i = 0; i < 300; i++) await shop.append(`c-${i % 3}`, new Counted(`k${i % 3}`, 1));
        writing = false;
      })();
      let answers = 0;
      while (writing || answers < 20) {
        const [status] = await operator.status('counters');
        expect(status!.name).toBe('counters');
        answers++;
      }
      await writer;
      await e.waitForHead();
      expect(answers).toBeGreaterThanOrEqual(20);
    });
  });
}
