import { describe, expect, it } from '@jest/globals';
import { LockLostError, type ProjectionEngineEvents } from '@rewind/projections';
import { contractApp, Counted, CounterProjection } from './fixtures';
import { eventually, served, type EngineHarness } from './harness';

/** One active runner per projection across processes; a runner that lost its lease never writes again. */
export function describeLeases(h: EngineHarness): void {
  describe('leases', () => {
    it('keeps one active runner per projection; a standby takes over with no gap and no duplicate', async () => {
      const shop = contractApp();
      const leases: string[] = [];
      const storeA = await h.store();
      const storeB = await h.store();
      const options = {
        eventStore: shop.eventStore,
        events: shop.events,
        processors: [CounterProjection],
        lockTtlMs: 300,
      };
      const a = h.engine({ ...options, store: storeA, owner: 'A' });
      const b = h.engine({ ...options, store: storeB, owner: 'B' });
      for (const e of [a, b]) e.on('lease-acquired', ({ owner }) => leases.push(owner));
      a.start();
      await a.runner('counters').caughtUp();
      b.start();
      await eventually(() => b.runner('counters').status().state === 'standby', 'B to stand by');
      for (let i = 0; i < 50; i++) await shop.append('c-x', new Counted('x', 1));
      await a.waitForHead();
      await a.stop();
      for (let i = 0; i < 50; i++) await shop.append('c-x', new Counted('x', 1));
      await b.runner('counters').caughtUp(5000);
      await b.waitForHead();
      expect(await served(storeB, 'counters', 'counters')).toEqual({ x: { count: 100, events: 100 } });
      expect((await b.status('counters'))[0]!.lockHolder).toBe('B');
      expect(leases).toEqual(['A', 'B']);
    });

    it('fences a runner that lost its lease: it stops writing, its successor applies everything once', async () => {
      const shop = contractApp();
      await shop.append('c-x', new Counted('x', 1));
      const storeA = await h.store();
      const a = h.engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store: storeA,
        processors: [CounterProjection],
        owner: 'A',
        lockTtlMs: 100,
      });
      const lost = new Promise<ProjectionEngineEvents['lease-lost']>((resolve) =>
        a.on('lease-lost', resolve),
      );
      a.start();
      await a.waitForHead();
      // A stalls: it can no longer renew, while B, in another process, takes the lapsed lease.
      const renew = storeA.tryAcquireLock.bind(storeA);
      storeA.tryAcquireLock = async (lock, owner, ttl) => (owner === 'A' ? false : renew(lock, owner, ttl));
      expect(await lost).toMatchObject({ projection: 'counters', owner: 'A', lock: 'projection:counters' });
      const storeB = await h.store();
      await eventually(async () => !(await storeB.lockHolder('projection:counters')), 'A’s lease to lapse');
      const b = h.engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store: storeB,
        processors: [CounterProjection],
        owner: 'B',
        lockTtlMs: 5000,
      });
      b.start();
      await b.runner('counters').caughtUp();
      for (let i = 0; i < 20; i++) await shop.append('c-x', new Counted('x', 1));
      await b.waitForHead();
      expect(a.runner('counters').status().state).toBe('standby');
      expect(await served(storeB, 'counters', 'counters')).toEqual({ x: { count: 21, events: 21 } });
    });

    it('refuses a commit whose lease another process took while it worked, or makes the takeover wait for it', async () => {
      const storeA = await h.store();
      const storeB = await h.store();
      expect(await storeA.tryAcquireLock('L', 'A', 100)).toBe(true);
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let committedAt = 0;
      const committing = storeA
        .transaction('fence@v1', async (tx) => {
          await tx.assertLock('L', 'A');
          await tx.collection('c').put('k', { by: 'A' });
          await gate;
        })
        .then(
          () => (committedAt = Date.now()),
          (error: unknown) => error,
        );
      await eventually(async () => !(await storeB.lockHolder('L')), 'A’s lease to lapse');
      let takenAt = 0;
      const takeover = storeB.tryAcquireLock('L', 'B', 5000).then((ok) => {
        takenAt = Date.now();
        return ok;
      });
      // Either the takeover is made to wait for A's transaction, or it goes through at once; release A.
      await Promise.race([takeover, new Promise((resolve) => setTimeout(resolve, 100))]);
      release();
      const outcome = await committing;
      expect(await takeover).toBe(true);
      if (outcome instanceof Error) {
        expect(outcome).toBeInstanceOf(LockLostError);
        expect(await storeB.collection('fence@v1', 'c').get('k')).toBeUndefined();
      } else {
        expect(takenAt).toBeGreaterThanOrEqual(committedAt);
        expect(await storeB.collection('fence@v1', 'c').get('k')).toEqual({ by: 'A' });
      }
      await expect(storeA.transaction('fence@v1', (tx) => tx.assertLock('L', 'A'))).rejects.toThrow(
        /no longer held/,
      );
    });

    it('keeps renewing its lease while paused, so no standby takes a paused projection', async () => {
      const shop = contractApp();
      const store = await h.store();
      const e = h.engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store,
        processors: [CounterProjection],
        owner: 'A',
        lockTtlMs: 100,
      });
      e.start();
      await e.runner('counters').caughtUp();
      await e.pause('counters');
      const pausedAt = Date.now();
      expect(e.runner('counters').status().state).toBe('paused');
      // Renewals go on: the lease keeps reaching further than five leases after the pause.
      await eventually(async () => {
        const holder = await store.lockHolder('projection:counters');
        return holder?.owner === 'A' && holder.expiresAt.getTime() > pausedAt + 500;
      }, 'the paused runner to renew its lease');
      expect(e.runner('counters').status().state).toBe('paused');
      await e.resume('counters');
      await shop.append('c-a', new Counted('a', 1));
      await e.waitForHead();
      expect(await served(store, 'counters', 'counters')).toEqual({ a: { count: 1, events: 1 } });
    });
  });
}
