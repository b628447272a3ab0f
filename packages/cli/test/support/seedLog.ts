// A small log of several streams for the `rewind copy` tests.
import { randomUUID } from 'node:crypto';
import type { EventStore, EventToAppend, RecordedEvent } from '@rewind/core';

export const metadata = (n: number) => ({
  schemaVersion: 1,
  correlationId: `c-${n}`,
  causationId: `k-${n}`,
  occurredAt: new Date(Date.UTC(2026, 4, 1, 12, n)).toISOString(),
  $types: { '/at': 'date' as const },
  tenant: 'acme',
});
export const event = (n: number, type = 'thing.happened'): EventToAppend => ({
  id: randomUUID(),
  type,
  data: { n, nested: { list: [n, `${n}`], none: null }, at: '2026-05-01T12:00:00.000Z' },
  metadata: metadata(n),
});

/** Three streams, interleaved, in several appends: a-1 (5 events), b-1 (3), c-1 (1). */
export async function seed(store: EventStore): Promise<void> {
  let n = 0;
  await store.append('a-1', [event(n++), event(n++)], { expectedRevision: 'no_stream' });
  await store.append('b-1', [event(n++, 'b.started')], { expectedRevision: 'no_stream' });
  await store.append('a-1', [event(n++)], { expectedRevision: 1n });
  await store.append('b-1', [event(n++), event(n++)], { expectedRevision: 0n });
  await store.append('c-1', [event(n++)], { expectedRevision: 'no_stream' });
  await store.append('a-1', [event(n++), event(n++)], { expectedRevision: 2n });
}

export async function all(store: EventStore): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const e of store.readAll()) events.push(e);
  return events;
}

/** What a copy keeps of an event. */
export const kept = (e: RecordedEvent) => ({
  streamId: e.streamId,
  revision: e.revision,
  id: e.id,
  type: e.type,
  data: e.data,
  metadata: e.metadata,
});
