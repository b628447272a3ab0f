import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// #region quick-start
import { SqliteEventStore } from '@rewind/sqlite';

export async function quickStart(path: string): Promise<string[]> {
  const store = SqliteEventStore.open({ path }); // WAL, synchronous=FULL: acknowledged = on disk
  const metadata = { schemaVersion: 1, correlationId: 'c', causationId: 'c', occurredAt: '2026-01-01' };
  const placed = { type: 'order.placed', data: { total: 2500 }, metadata };
  await store.append('order-1', [placed], { expectedRevision: 'no_stream' }); // or ConcurrencyError
  const seen: string[] = [];
  for await (const event of store.readStream('order-1')) seen.push(`${event.revision} ${event.type}`);
  const live = store.subscribeToAll({ filter: { eventTypes: ['order.paid'] } }); // catch up, then live
  await store.append('order-1', [{ type: 'order.paid', data: {}, metadata }], { expectedRevision: 0n });
  for await (const message of live) {
    if (message.type !== 'event') continue;
    seen.push(`${message.event.revision} ${message.event.type}`);
    break;
  }
  await store.close();
  return seen;
}
// #endregion

describe('the @rewind/sqlite quick start', () => {
  it('appends, reads a stream back and receives a live event', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rewind-sqlite-qs-'));
    try {
      expect(await quickStart(join(dir, 'events.db'))).toEqual(['0 order.placed', '1 order.paid']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
