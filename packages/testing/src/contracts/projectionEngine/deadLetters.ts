import { describe, expect, it } from '@jest/globals';
import { sequencePosition } from '@rewind/core';
import { DeadLetterNotFoundError, type ProjectionEngineEvents } from '@rewind/projections';
import { behaviour, contractApp, Counted, CounterProjection, StrictCounterProjection } from './fixtures';
import { eventually, served, type EngineHarness } from './harness';
import { withUndecodableEvent } from './undecodableEventStore';

/** Events whose handler keeps failing, or that cannot be decoded: parked (or the projection stops), and the rest goes on. */
export function describeDeadLetters(h: EngineHarness): void {
  describe('dead letters', () => {
    it('parks a poison event after its retries, projects the rest, and applies it once after a fix', async () => {
      const shop = contractApp();
      behaviour.failOnPoison = true;
      await shop.append('c-a', new Counted('a', 1), new Counted('bad', 100, true), new Counted('a', 2));
      const store = await h.store();
      const e = h.engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store,
        processors: [CounterProjection],
      });
      const parked: Array<ProjectionEngineEvents['dead-letter-parked']> = [];
      e.on('dead-letter-parked', (event) => parked.push(event));
      e.start();
      await e.waitForHead();
      expect(await served(store, 'counters', 'counters')).toEqual({ a: { count: 3, events: 2 } });
      const [letter] = await e.deadLetters('counters');
      expect(letter).toMatchObject({
        projection: 'counters',
        eventType: 'rewind-contract.counted',
        streamId: 'c-a',
        revision: 1n,
        attempts: 3,
      });
      expect(letter!.error).toMatch(/poison bad/);
      expect(parked).toEqual([
        {
          projection: 'counters',
          letter: expect.objectContaining({ streamId: 'c-a', revision: 1n, attempts: 3 }),
        },
      ]);
      // a failed retry counts as an attempt and keeps the newest error
      await expect(e.retryDeadLetter(letter!.id)).rejects.toThrow(/still fails.*stays parked/);
      expect((await e.deadLetters('counters'))[0]).toMatchObject({ id: letter!.id, attempts: 4 });
      behaviour.failOnPoison = false;
      await e.retryDeadLetter(letter!.id);
      expect(await served(store, 'counters', 'counters')).toEqual({
        a: { count: 3, events: 2 },
        bad: { count: 100, events: 1 },
      });
      expect(await e.deadLetters()).toEqual([]);
      await expect(e.retryDeadLetter(letter!.id)).rejects.toThrow(DeadLetterNotFoundError);
      await expect(e.skipDeadLetter('no-such-id')).rejects.toThrow(/No dead letter with id "no-such-id"/);
    });

    it('skips a dead letter without applying it', async () => {
      const shop = contractApp();
      behaviour.failOnPoison = true;
      await shop.append('c-a', new Counted('bad', 1, true));
      const store = await h.store();
      const e = h.engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store,
        processors: [CounterProjection],
      });
      e.start();
      await e.waitForHead();
      const [letter] = await e.deadLetters();
      await e.skipDeadLetter(letter!.id);
      expect(await e.deadLetters()).toEqual([]);
      expect(await served(store, 'counters', 'counters')).toEqual({});
    });

    it('stops with status failed under the stop policy, naming the event', async () => {
      const shop = contractApp();
      behaviour.failOnPoison = true;
      await shop.append('c-a', new Counted('a', 1), new Counted('bad', 1, true), new Counted('a', 1));
      const store = await h.store();
      const e = h.engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store,
        processors: [StrictCounterProjection],
      });
      const failed = new Promise<ProjectionEngineEvents['state-changed']>((resolve) =>
        e.on('state-changed', (event) => event.state === 'failed' && resolve(event)),
      );
      e.start();
      expect(await failed).toMatchObject({ projection: 'strict-counters', previous: 'catching-up' });
      const [status] = await e.status('strict-counters');
      expect(status!.state).toBe('failed');
      expect(status!.lastError).toMatch(/rewind-contract.counted at c-a@1.*poison bad/);
      expect(status!.eventsBehind).toBe(2);
      expect(await served(store, 'strict-counters', 'counters')).toEqual({ a: { count: 1 } });
      await expect(e.waitForHead(1000)).rejects.toThrow(/failed: .*poison bad/);
    });

    it('isolates an event that cannot be decoded: the ones before are applied, it is parked, the rest follow', async () => {
      const shop = contractApp();
      for (let i = 0; i < 60; i++) await shop.append('c-a', new Counted('a', 1));
      const eventStore = withUndecodableEvent(shop.eventStore, sequencePosition(30));
      const store = await h.store();
      const e = h.engine({ eventStore, events: shop.events, store, processors: [CounterProjection] });
      e.start();
      await e.waitForHead();
      expect(await served(store, 'counters', 'counters')).toEqual({ a: { count: 59, events: 59 } });
      const [letter] = await e.deadLetters('counters');
      expect(letter).toMatchObject({
        streamId: 'c-a',
        revision: 29n,
        position: sequencePosition(30),
        attempts: 1,
      });
      expect(letter!.error).toMatch(/event at position 30 .*cannot be decoded/);
      expect((await e.status('counters'))[0]!.lastError).toMatch(
        /The event at position 30 .*cannot be decoded/,
      );
      // live too: a second bad event reaches the runner through its subscription
      await e.stop();
      const live = withUndecodableEvent(shop.eventStore, sequencePosition(63));
      const again = h.engine({
        eventStore: live,
        events: shop.events,
        store,
        processors: [CounterProjection],
      });
      again.start();
      await again.runner('counters').caughtUp();
      for (let i = 0; i < 5; i++) await shop.append('c-a', new Counted('a', 1));
      await again.waitForHead();
      expect(await served(store, 'counters', 'counters')).toEqual({ a: { count: 63, events: 63 } });
      expect((await again.deadLetters('counters')).map((l) => l.position)).toEqual([
        sequencePosition(30),
        sequencePosition(63),
      ]);
    });

    it('stops on an event that cannot be decoded under the stop policy, saying so', async () => {
      const shop = contractApp();
      for (let i = 0; i < 10; i++) await shop.append('c-a', new Counted('a', 1));
      const eventStore = withUndecodableEvent(shop.eventStore, sequencePosition(4));
      const store = await h.store();
      const e = h.engine({ eventStore, events: shop.events, store, processors: [StrictCounterProjection] });
      e.start();
      await eventually(
        () => e.runner('strict-counters').status().state === 'failed',
        'the projection to fail',
      );
      expect(e.runner('strict-counters').status().lastError).toMatch(
        /The event at position 4 .*cannot be decoded/,
      );
      expect(await served(store, 'strict-counters', 'counters')).toEqual({ a: { count: 3 } });
    });
  });
}
