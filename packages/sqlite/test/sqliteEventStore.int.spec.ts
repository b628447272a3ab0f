import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordedEvent } from '@rewind/core';
import { SqliteEventStore } from '@rewind/sqlite';
import { describeEventStoreContract } from '@rewind/testing';

const dirs: string[] = [];
const tempFile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'rewind-sqlite-'));
  dirs.push(dir);
  return join(dir, 'events.db');
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describeEventStoreContract('SqliteEventStore (synchronous=FULL)', () => ({
  store: SqliteEventStore.open({ path: tempFile(), pollIntervalMs: 20 }),
}));

describeEventStoreContract('SqliteEventStore (synchronous=NORMAL, small pages)', () => ({
  store: SqliteEventStore.open({ path: tempFile(), synchronous: 'normal', pageSize: 2, pollIntervalMs: 20 }),
}));

describe('SqliteEventStore read path', () => {
  it('parses the metadata an append shares once, as one deeply frozen object per append', async () => {
    const store = SqliteEventStore.open({ path: tempFile(), pageSize: 3 });
    try {
      const meta = (correlationId: string) => ({
        schemaVersion: 1,
        correlationId,
        causationId: 'cmd',
        occurredAt: '2026-01-01T00:00:00.000Z',
        tenant: { id: 't1' },
      });
      const event = (n: number, correlationId: string) => ({
        type: 'counted',
        data: { n },
        metadata: meta(correlationId),
      });
      await store.append('a', [event(0, 'c1'), event(1, 'c1'), event(2, 'c1'), event(3, 'c1')]);
      await store.append('b', [event(4, 'c2')]);
      const pages: RecordedEvent[][] = [];
      for await (const page of store.readAllPages!()) pages.push([...page]);
      expect(pages.map((p) => p.length)).toEqual([3, 2]);
      const all = pages.flat();
      expect(all.map((e) => (e.data as { n: number }).n)).toEqual([0, 1, 2, 3, 4]);
      expect(all[1]!.metadata).toBe(all[0]!.metadata);
      expect(all[4]!.metadata).not.toBe(all[3]!.metadata);
      expect(all[4]!.metadata.correlationId).toBe('c2');
      expect(Object.isFrozen(all[0]!.metadata)).toBe(true);
      expect(Object.isFrozen(all[0]!.metadata.tenant)).toBe(true);
      // payloads are never shared
      expect(all[1]!.data).not.toBe(all[0]!.data);
      const streamed: RecordedEvent[] = [];
      for await (const e of store.readStream('a')) streamed.push(e);
      expect(streamed.map((e) => e.metadata.correlationId)).toEqual(['c1', 'c1', 'c1', 'c1']);
    } finally {
      await store.close();
    }
  });
});
