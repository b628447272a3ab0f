import { createRewind } from '@rewind/core';
import { ProjectionEngine } from '@rewind/projections';
import { SqliteEventStore, SqliteReadModelStore } from '@rewind/sqlite';
import { join } from 'node:path';
import { AddItem, CancelOrder, Order, PayOrder, PlaceOrder } from '../fixtures/shop/order';
import { CustomerRevenue, OrderSummary } from '../fixtures/shop/orderSummary';

/** When each seeded event was recorded: order o-1 at T0, +10, +20, +30 min; o-2 at +40, +45 (the poison item), +50 min. */
export const T0 = new Date('2026-05-01T12:00:00Z');
export const minutes = (n: number): Date => new Date(T0.getTime() + n * 60_000);

/**
 * Writes the fixture shop's history into `dir` (events.db) and builds the live read models
 * (readmodels.db) with a projection engine, as the application would have.
 */
export async function seedShop(dir: string): Promise<void> {
  let now = T0;
  const eventStore = SqliteEventStore.open({ path: join(dir, 'events.db'), clock: () => new Date(now) });
  const rewind = createRewind({ eventStore, aggregates: [Order] });
  const steps: Array<[number, object]> = [
    [0, PlaceOrder.of('o-1', 'alice')],
    [10, AddItem.of('o-1', 'bar', 30)],
    [20, AddItem.of('o-1', 'gel', 80)],
    [30, PayOrder.of('o-1')],
    [40, PlaceOrder.of('o-2', 'bob')],
    [45, AddItem.of('o-2', 'poison', 5)],
    [50, CancelOrder.of('o-2')],
  ];
  for (const [at, command] of steps) {
    now = minutes(at);
    await rewind.commandBus.execute(command);
  }
  const store = SqliteReadModelStore.open(join(dir, 'readmodels.db'));
  const engine = new ProjectionEngine({
    eventStore,
    events: rewind.events,
    store,
    processors: [OrderSummary, CustomerRevenue],
  });
  engine.start();
  await engine.waitForHead();
  await engine.stop();
  await store.close();
  await eventStore.close();
}
