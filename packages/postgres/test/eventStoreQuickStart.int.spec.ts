import { Aggregate, AggregateRoot, CommandHandler, DomainEvent, EventSourcingHandler } from '@rewind/core';
import { startThrowawayPostgres, type ThrowawayPostgres } from '@rewind/testing/postgres';
import { AggregateId } from '@rewind/core';
import { IsInt, IsString, Min } from 'class-validator';
// #region event-store
import { createRewind } from '@rewind/core';
import { PostgresEventStore, PostgresSnapshotStorage } from '@rewind/postgres';

export async function eventStoreQuickStart(connectionString: string) {
  // Connects, then creates the tables (events, streams, snapshots) in schema "rewind" when missing.
  const eventStore = await PostgresEventStore.connect({ connectionString });
  const rewind = createRewind({
    eventStore,
    aggregates: [Tab],
    snapshots: new PostgresSnapshotStorage(eventStore),
  });
  await rewind.commandBus.execute(Object.assign(new AddToTab(), { tabId: 'tab-1', bars: 2 }));
  await rewind.commandBus.execute(Object.assign(new AddToTab(), { tabId: 'tab-1', bars: 3 }));
  const tab = await rewind.repository.load(Tab, 'tab-1');
  await eventStore.close();
  return tab.bars;
}
// #endregion

@DomainEvent('quickstart.bars-added')
class BarsAdded {
  constructor(readonly bars: number) {}
}

class AddToTab {
  @AggregateId() @IsString() tabId!: string;
  @IsInt() @Min(1) bars!: number;
}

@Aggregate('tab')
class Tab extends AggregateRoot {
  bars = 0;
  @CommandHandler(AddToTab, { mode: 'upsert' })
  add(command: AddToTab): void {
    this.raise(new BarsAdded(command.bars));
  }
  @EventSourcingHandler(BarsAdded)
  onAdded(event: BarsAdded): void {
    this.bars += event.bars;
  }
}

describe('the PostgreSQL event store quick start', () => {
  let pg: ThrowawayPostgres;
  beforeAll(async () => {
    pg = await startThrowawayPostgres();
  }, 60_000);
  afterAll(() => pg?.stop());

  it('runs commands on an aggregate whose events live in PostgreSQL', async () => {
    expect(await eventStoreQuickStart(pg.url)).toBe(5);
  });
});
