import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsInt, IsUUID } from 'class-validator';
import {
  Aggregate,
  AggregateId,
  AggregateRoot,
  CommandHandler,
  createRewind,
  DomainEvent,
  EventSourcingHandler,
} from '@rewind/core';
import { SqliteEventStore, SqliteSnapshotStorage } from '@rewind/sqlite';

@DomainEvent('snap.counted')
class Counted {
  constructor(
    readonly by: number,
    readonly at: Date,
  ) {}
}
class Count {
  @AggregateId() @IsUUID() id!: string;
  @IsInt() by!: number;
}
@Aggregate('snapcounter', { snapshotEvery: 10, snapshotVersion: 2 })
class Counter extends AggregateRoot {
  total = 0n;
  last?: Date;
  @CommandHandler(Count, { mode: 'upsert' })
  count(command: Count) {
    this.raise(new Counted(command.by, new Date(1_700_000_000_000 + Number(this.total))));
  }
  @EventSourcingHandler(Counted)
  on(event: Counted) {
    this.total += BigInt(event.by);
    this.last = event.at;
  }
}

describe(SqliteSnapshotStorage.name, () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rewind-snap-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('restores the same state as a full replay, Dates and bigints included, and survives reopening', async () => {
    const path = join(dir, 'events.db');
    const id = randomUUID();
    let store = SqliteEventStore.open(path);
    let rewind = createRewind({
      eventStore: store,
      aggregates: [Counter],
      snapshots: new SqliteSnapshotStorage(store),
    });
    for (let i = 1; i <= 25; i++) await rewind.commandBus.execute(Object.assign(new Count(), { id, by: i }));
    const snapshot = await new SqliteSnapshotStorage(store).read(`snapcounter-${id}`);
    expect(snapshot).toMatchObject({ revision: 19n, schemaVersion: 2 });
    await store.close();

    store = SqliteEventStore.open(path);
    rewind = createRewind({
      eventStore: store,
      aggregates: [Counter],
      snapshots: new SqliteSnapshotStorage(store),
    });
    const read = jest.spyOn(store, 'readStreamPages');
    const fromSnapshot = await rewind.repository.load(Counter, id);
    expect(read).toHaveBeenCalledWith(`snapcounter-${id}`, { fromRevision: 20n }); // only the tail after the snapshot
    read.mockRestore();
    const replayed = await createRewind({ eventStore: store, aggregates: [Counter] }).repository.load(
      Counter,
      id,
    );
    expect({ ...fromSnapshot }).toEqual({ ...replayed });
    expect(fromSnapshot.total).toBe(325n);
    expect(fromSnapshot.last).toBeInstanceOf(Date);
    expect(fromSnapshot.revision).toBe(24n);
    // time travel before the snapshot does not use it
    expect((await rewind.repository.load(Counter, id, { revision: 4 })).total).toBe(15n);
    await store.close();
  });
});
