import { randomUUID } from 'node:crypto';
import {
  AggregateNotFoundError,
  createRewind,
  InMemoryEventStore,
  InMemorySnapshotStorage,
  ValidationError,
} from '@rewind/core';
import { backDated, Tab, timeTravel } from '../src/timeTravel';

describe('time travel', () => {
  it('loads at a revision, a recorded time and a business time', async () => {
    const { current, afterRevision1, at0915, occurred0856 } = await timeTravel(randomUUID());
    expect(current.total).toBe(5500);
    expect(current.paid).toBe(true);
    expect(afterRevision1.items).toEqual(['energy bar']);
    expect(afterRevision1.revision).toBe(1n);
    expect(at0915.items).toEqual(['energy bar', 'energy bar+']);
    expect(at0915.paid).toBe(false);
    // recorded at 09:00, but opened at 08:50 and ordered at 08:55 in business time
    expect(occurred0856.items).toEqual(['energy bar']);
    expect(occurred0856.total).toBe(2500);
  });

  it('lists history with diffs and bisects', async () => {
    const { steps, expensive, never } = await timeTravel(randomUUID());
    expect(steps).toEqual([
      '0 tab.opened: CHANGE table',
      '1 tab.item-ordered: CREATE items.0, CHANGE total',
      '2 tab.item-ordered: CREATE items.1, CHANGE total',
      '3 tab.paid: CHANGE paid',
    ]);
    expect(expensive?.revision).toBe(2n);
    expect(expensive?.envelope.type).toBe('tab.item-ordered');
    expect(never).toBeUndefined();
  });

  it('by business time applies every event that occurred by then, in log order, skipping later ones', async () => {
    const asOf0915 = await backDated(randomUUID());
    expect(asOf0915.items).toEqual(['energy gel']);
    expect(asOf0915.total).toBe(1800);
    expect(asOf0915.table).toBe(7);
  });

  it('throws AggregateNotFoundError before the first event, ValidationError for two targets', async () => {
    const id = randomUUID();
    const { rewind } = await timeTravel(id);
    await expect(
      rewind.repository.load(Tab, id, { at: new Date('2026-11-25T08:00:00Z') }),
    ).rejects.toBeInstanceOf(AggregateNotFoundError);
    await expect(rewind.repository.load(Tab, id, { revision: 1, at: new Date() })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('takes a snapshot every N events and never uses one past the requested point', async () => {
    const storage = new InMemorySnapshotStorage();
    const { repository } = createRewind({
      eventStore: new InMemoryEventStore(),
      aggregates: [Tab],
      snapshots: storage,
    });
    const id = randomUUID();
    const tab = repository.create(Tab, id);
    tab.open(1);
    for (let i = 0; i < 60; i++) tab.order(`item ${i}`, 1);
    await repository.save(tab); // 61 events: crosses 50, a snapshot at revision 60
    const snapshot = await storage.read(`tab-${id}`);
    expect(snapshot?.revision).toBe(60n);
    expect((await repository.load(Tab, id, { revision: 10 })).items).toHaveLength(10);
    expect((await repository.load(Tab, id)).total).toBe(60);
  });

  it('ignores a snapshot of another snapshotVersion', async () => {
    const storage = new InMemorySnapshotStorage();
    const warnings: string[] = [];
    const { repository } = createRewind({
      eventStore: new InMemoryEventStore(),
      aggregates: [Tab],
      snapshots: storage,
      snapshotOptions: { onWarning: (m) => warnings.push(m) },
    });
    const id = randomUUID();
    const tab = repository.create(Tab, id);
    tab.open(1);
    await repository.save(tab);
    await storage.write({
      streamId: `tab-${id}`,
      revision: 0n,
      schemaVersion: 9,
      state: { table: 99 },
      takenAt: new Date(),
    });
    expect((await repository.load(Tab, id)).table).toBe(1);
    expect(warnings[0]).toMatch(/snapshot version 9/);
  });
});
