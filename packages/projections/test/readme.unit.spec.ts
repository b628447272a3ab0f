// The quick start of packages/projections/README.md, run as a test (docs/test/snippets checks the copy).
import { createRewind, DomainEvent, InMemoryEventStore } from '@rewind/core';
import {
  InMemoryReadModelStore,
  On,
  Projection,
  ProjectionEngine,
  type ProjectionContext,
} from '@rewind/projections';

@DomainEvent('order.placed', { version: 1 })
class OrderPlaced {
  constructor(
    readonly orderId: string,
    readonly total: number,
  ) {}
}

async function quickStart() {
  const eventStore = new InMemoryEventStore();
  const { events } = createRewind({ eventStore, events: [OrderPlaced] });
  // #region quick-start
  @Projection('order-summary', { version: 1 })
  class OrderSummary {
    @On(OrderPlaced)
    async placed(event: OrderPlaced, ctx: ProjectionContext): Promise<void> {
      await ctx.collection('orders').put(event.orderId, { total: event.total, status: 'placed' });
    }
  }

  const store = new InMemoryReadModelStore(); // or SqliteReadModelStore, PostgresReadModelStore
  const projections = new ProjectionEngine({ eventStore, events, store, processors: [OrderSummary] });
  projections.start();
  // ... append OrderPlaced('1', 2500) through your aggregates ...
  // #endregion
  await eventStore.append('order-1', [
    events.serialize(new OrderPlaced('1', 2500), { correlationId: 'c', causationId: 'c' }),
  ]);
  await projections.waitForHead();
  // #region query
  const order = await projections.query('order-summary').collection('orders').get('1');
  // #endregion
  return { projections, order };
}

describe('README quick start', () => {
  it('projects an event into a read model that queries see', async () => {
    const { projections, order } = await quickStart();
    try {
      expect(order).toEqual({ total: 2500, status: 'placed' });
      expect((await projections.status('order-summary'))[0]).toMatchObject({
        state: 'running',
        eventsBehind: 0,
      });
    } finally {
      await projections.stop();
    }
  });
});
