// The code behind docs/guides/time-travel.md. Run by docs/test/timeTravel.unit.spec.ts.
import {
  Aggregate,
  AggregateRoot,
  createRewind,
  DomainEvent,
  EventSourcingHandler,
  InMemoryEventStore,
  InMemorySnapshotStorage,
} from '@rewind/core';

@DomainEvent('tab.opened')
export class TabOpened {
  constructor(readonly table: number) {}
}

@DomainEvent('tab.item-ordered')
export class ItemOrdered {
  constructor(
    readonly item: string,
    readonly price: number,
  ) {}
}

@DomainEvent('tab.paid')
export class TabPaid {
  constructor(readonly amount: number) {}
}

// #region aggregate
@Aggregate('tab', { snapshotEvery: 50, snapshotVersion: 1 })
export class Tab extends AggregateRoot {
  table = 0;
  items: string[] = [];
  total = 0;
  paid = false;

  open(table: number, occurredAt?: Date): void {
    this.raise(new TabOpened(table), occurredAt ? { occurredAt } : {});
  }

  order(item: string, price: number, occurredAt?: Date): void {
    this.raise(new ItemOrdered(item, price), occurredAt ? { occurredAt } : {});
  }

  pay(occurredAt?: Date): void {
    this.raise(new TabPaid(this.total), occurredAt ? { occurredAt } : {});
  }

  @EventSourcingHandler(TabOpened)
  onOpened(event: TabOpened): void {
    this.table = event.table;
  }

  @EventSourcingHandler(ItemOrdered)
  onOrdered(event: ItemOrdered): void {
    this.items = [...this.items, event.item];
    this.total += event.price;
  }

  @EventSourcingHandler(TabPaid)
  onPaid(): void {
    this.paid = true;
  }
}
// #endregion

/** Runs the time-travel walk-through on a store with a controllable clock. */
export async function timeTravel(id: string) {
  let now = new Date('2026-11-25T09:00:00Z');
  const clock = () => now;
  const rewind = createRewind({
    eventStore: new InMemoryEventStore({ clock }),
    aggregates: [Tab],
    snapshots: new InMemorySnapshotStorage(),
  });
  const { repository } = rewind;
  const tab = repository.create(Tab, id);
  tab.open(7, new Date('2026-11-25T08:50:00Z'));
  tab.order('energy bar', 2500, new Date('2026-11-25T08:55:00Z')); // happened before it was recorded
  await repository.save(tab); // revisions 0 and 1, recorded at 09:00
  now = new Date('2026-11-25T09:10:00Z');
  tab.order('energy bar+', 3000, new Date('2026-11-25T09:05:00Z'));
  await repository.save(tab); // revision 2, recorded at 09:10
  now = new Date('2026-11-25T09:20:00Z');
  tab.pay(new Date('2026-11-25T09:20:00Z'));
  await repository.save(tab); // revision 3, recorded at 09:20

  // #region load
  const current = await repository.load(Tab, id); // total 5500, paid
  const afterRevision1 = await repository.load(Tab, id, { revision: 1 }); // items: ['energy bar']
  const at0915 = await repository.load(Tab, id, { at: new Date('2026-11-25T09:15:00Z') }); // recorded time
  const occurred0856 = await repository.load(Tab, id, { occurredAt: new Date('2026-11-25T08:56:00Z') }); // business time: ['energy bar']
  // #endregion

  // #region history
  const steps: string[] = [];
  for await (const step of repository.history(Tab, id)) {
    // step.envelope: the event with its metadata; step.state: a deep copy after it
    const changes = step.changes.map((c) => `${c.type} ${c.path.join('.')}`);
    steps.push(`${step.revision} ${step.envelope.type}: ${changes.join(', ')}`);
  }
  // 0 tab.opened: CHANGE table
  // 1 tab.item-ordered: CREATE items.0, CHANGE total
  // #endregion

  // #region bisect
  const expensive = await repository.bisect(Tab, id, (t) => t.total > 5000);
  // expensive?.revision === 2n, expensive?.envelope.type === 'tab.item-ordered'
  const never = await repository.bisect(Tab, id, (t) => t.items.length > 10); // undefined
  // #endregion

  return { current, afterRevision1, at0915, occurred0856, steps, expensive, never, rewind };
}

/** A fact recorded late: what a load by business time applies. */
export async function backDated(id: string) {
  const { repository } = createRewind({ eventStore: new InMemoryEventStore(), aggregates: [Tab] });
  // #region back-dated
  const tab = repository.create(Tab, id);
  tab.open(7, new Date('2026-11-25T09:00:00Z'));
  tab.order('energy bar', 2500, new Date('2026-11-25T09:30:00Z'));
  tab.order('energy gel', 1800, new Date('2026-11-25T09:10:00Z')); // recorded after the bar, occurred before it
  await repository.save(tab);

  const asOf0915 = await repository.load(Tab, id, { occurredAt: new Date('2026-11-25T09:15:00Z') });
  // items: ['energy gel'], total 1800: the 09:30 bar is skipped, the gel after it still counts
  // #endregion
  return asOf0915;
}
