import { InMemoryReadModelStore, LockLostError } from '@rewind/projections';
import { Lease } from '../src/runner/lease';

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

describe(Lease.name, () => {
  it('takes a free lock, renews it while held, and gives it back', async () => {
    const store = new InMemoryReadModelStore();
    const lease = new Lease(store, 'L', 'A', 300);
    expect(await lease.acquire()).toBe(true);
    await jest.advanceTimersByTimeAsync(1000);
    expect((await store.lockHolder('L'))?.owner).toBe('A'); // renewed past its first 300 ms
    expect(await new Lease(store, 'L', 'B', 300).acquire()).toBe(false);
    await lease.release();
    expect(await store.lockHolder('L')).toBeUndefined();
  });

  it('is lost when a renewal finds another owner: check() throws from then on', async () => {
    const store = new InMemoryReadModelStore();
    const reasons: string[] = [];
    const lease = new Lease(store, 'L', 'A', 300, (reason) => reasons.push(reason));
    await lease.acquire();
    store.tryAcquireLock = async () => false; // another owner holds it now
    await jest.advanceTimersByTimeAsync(100);
    expect(reasons).toEqual(['taken']);
    expect(lease.held).toBe(false);
    expect(() => lease.check()).toThrow(LockLostError);
  });

  it('is lost when renewals fail for a whole lease, and not before', async () => {
    const store = new InMemoryReadModelStore();
    const reasons: string[] = [];
    const lease = new Lease(store, 'L', 'A', 300, (reason) => reasons.push(reason));
    await lease.acquire();
    store.tryAcquireLock = async () => {
      throw new Error('unreachable');
    };
    await jest.advanceTimersByTimeAsync(200);
    expect(reasons).toEqual([]);
    expect(() => lease.check()).not.toThrow();
    await jest.advanceTimersByTimeAsync(200);
    expect(reasons).toEqual(['renewal-failed']);
    expect(() => lease.check()).toThrow(LockLostError);
  });
});
