import { InMemoryEventStore, type EventToAppend } from '@rewind/core';
import { causationChain } from '../src/studio/causationChain';

const event = (id: string, correlationId: string, causationId: string): EventToAppend => ({
  id,
  type: `t.${id}`,
  data: {},
  metadata: { schemaVersion: 1, correlationId, causationId, occurredAt: '2026-05-01T12:00:00.000Z' },
});

/** Ids are UUIDs in a store: `u(n)` is the n-th. */
const u = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('causationChain', () => {
  // One request (correlation c): command k → placed (1) → requested (2) → captured (3); placed → opened (4);
  // an unrelated request (d) in between; a second command of request c (k2) → note (5).
  async function seeded(): Promise<InMemoryEventStore> {
    const store = new InMemoryEventStore();
    await store.append('order-1', [event(u(1), 'c', 'k')]);
    await store.append('other-1', [event(u(9), 'd', 'k9')]);
    await store.append('payment-1', [event(u(2), 'c', u(1))]);
    await store.append('ticket-1', [event(u(4), 'c', u(1))]);
    await store.append('payment-1', [event(u(3), 'c', u(2))]);
    await store.append('order-1', [event(u(5), 'c', 'k2')]);
    return store;
  }

  it('finds what led to an event and what it set off, with depths, across streams', async () => {
    const chain = await causationChain(await seeded(), 'payment-1', 0n);
    expect(chain.correlationId).toBe('c');
    expect(chain.truncated).toBe(false);
    expect(chain.links.map((l) => [l.event.id, l.role, l.depth, l.parentId])).toEqual([
      [u(1), 'cause', 0, undefined],
      [u(2), 'self', 1, u(1)],
      [u(4), 'sibling', 1, u(1)],
      [u(3), 'effect', 2, u(2)],
      [u(5), 'sibling', 0, undefined],
    ]);
  });

  it('says when the scan stopped at its window', async () => {
    const chain = await causationChain(await seeded(), 'payment-1', 0n, 1);
    expect(chain.truncated).toBe(true);
    expect(chain.links.map((l) => l.event.id)).toEqual([u(2), u(4)]);
  });

  it('names a revision the stream does not have', async () => {
    await expect(causationChain(await seeded(), 'payment-1', 7n)).rejects.toThrow(
      'Stream "payment-1" has no revision 7.',
    );
  });
});
