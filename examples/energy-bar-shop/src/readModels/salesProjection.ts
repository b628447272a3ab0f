import { ProductAdded, ProductRenamed } from '../menu/events';
import { OrderCancelled, OrderPaid, OrderPlaced } from '../order/events';
import { On, Projection, type ProjectionContext } from '@rewind/projections';
import type { PricedLine } from '../shared/lineItem';
import { ProductNames } from './productNames';

/** Bars sold of one product on one day (UTC), counted when the order is paid. */
export type DailySales = {
  readonly day: string;
  readonly productId: string;
  readonly name: string;
  readonly quantity: number;
  readonly revenue: number;
};

type PendingOrder = {
  readonly orderId: string;
  readonly lines: PricedLine[];
};

/** Sales per product per day: counts paid orders only; a cancelled order never sells anything. */
@Projection('sales-per-day', { version: 1 })
export class SalesProjection {
  /** The collection the daily figures live in. */
  static readonly collection = 'sales';

  @On(ProductAdded)
  async onProductAdded(event: ProductAdded, context: ProjectionContext): Promise<void> {
    await new ProductNames(context).learn(event.productId, event.name);
  }

  @On(ProductRenamed)
  async onProductRenamed(event: ProductRenamed, context: ProjectionContext): Promise<void> {
    await new ProductNames(context).learn(event.productId, event.newName);
    const sales = context.collection<DailySales>(SalesProjection.collection);
    for (const { key } of await sales.find({ productId: event.productId })) {
      await sales.patch(key, { name: event.newName });
    }
  }

  @On(OrderPlaced)
  async onPlaced(event: OrderPlaced, context: ProjectionContext): Promise<void> {
    await context
      .collection<PendingOrder>('pending')
      .put(event.orderId, { orderId: event.orderId, lines: event.lines });
  }

  @On(OrderPaid)
  async onPaid(event: OrderPaid, context: ProjectionContext): Promise<void> {
    const pending = context.collection<PendingOrder>('pending');
    const order = await pending.get(event.orderId);
    if (!order) return;
    const day = context.envelope.metadata.occurredAt.toISOString().slice(0, 10);
    const sales = context.collection<DailySales>(SalesProjection.collection);
    const names = new ProductNames(context);
    for (const line of order.lines) {
      const key = `${day}|${line.productId}`;
      const row = await sales.get(key);
      await sales.put(key, {
        day,
        productId: line.productId,
        name: await names.current(line.productId, line.productName),
        quantity: (row?.quantity ?? 0) + line.quantity,
        revenue: (row?.revenue ?? 0) + line.quantity * line.unitPrice,
      });
    }
    await pending.delete(event.orderId);
  }

  @On(OrderCancelled)
  async onCancelled(event: OrderCancelled, context: ProjectionContext): Promise<void> {
    await context.collection<PendingOrder>('pending').delete(event.orderId);
  }
}
