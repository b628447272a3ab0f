import { DomainEvent } from '@rewind/core';
import { startThrowawayPostgres, type ThrowawayPostgres } from '@rewind/testing/postgres';

@DomainEvent('inline-quickstart.order-placed')
class OrderPlaced {
  constructor(
    readonly orderId: string,
    readonly customer: string,
    readonly total: number,
  ) {}
}

// #region inline
import { createRewind } from '@rewind/core';
import { On, Projection, ProjectionEngine, type ProjectionContext } from '@rewind/projections';
import { PostgresEventStore, PostgresReadModelStore } from '@rewind/postgres';

// Applied in the transaction of the append that writes its events: consistent when the append returns.
@Projection('customer-totals', { inline: true })
class CustomerTotals {
  @On(OrderPlaced)
  async placed(event: OrderPlaced, ctx: ProjectionContext): Promise<void> {
    const totals = ctx.collection<{ orders: number; spent: number }>('totals');
    const current = await totals.get(event.customer);
    await totals.put(event.customer, {
      orders: (current?.orders ?? 0) + 1,
      spent: (current?.spent ?? 0) + event.total,
    });
  }
}

export async function inlineQuickStart(connectionString: string) {
  // One database for both: the read model commits in the append's transaction.
  const eventStore = await PostgresEventStore.connect({ connectionString });
  const store = await PostgresReadModelStore.connect({ connectionString });
  const rewind = createRewind({ eventStore, events: [OrderPlaced] });
  const engine = new ProjectionEngine({
    eventStore,
    events: rewind.events,
    store,
    processors: [CustomerTotals],
  });
  engine.start();
  await engine.ready(); // caught up with the log; applied in this process's appends from now on

  const placed = rewind.events.serialize(new OrderPlaced('order-1', 'ada', 12), {
    correlationId: 'c-1',
    causationId: 'c-1',
  });
  await eventStore.append('order-1', [placed], { expectedRevision: 'no_stream' });
  // No waiting for a runner: the append's transaction wrote it.
  const totals = await engine.query('customer-totals').collection('totals').get('ada');

  await engine.stop();
  await Promise.all([eventStore.close(), store.close()]);
  return totals;
}
// #endregion

let pg: ThrowawayPostgres | undefined;
beforeAll(async () => {
  pg = await startThrowawayPostgres();
}, 60_000);
afterAll(() => pg?.stop());

it('the inline projection quick start reads its own write', async () => {
  await expect(inlineQuickStart(pg!.url)).resolves.toEqual({ orders: 1, spent: 12 });
});
