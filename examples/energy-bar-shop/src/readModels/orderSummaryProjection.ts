import { DeliveryDispatched } from '../delivery/events';
import { TicketMade, TicketStarted } from '../kitchen/events';
import { ProductAdded, ProductRenamed } from '../menu/events';
import { OrderCancelled, OrderCompleted, OrderPaid, OrderPlaced } from '../order/events';
import { On, Projection, type ProjectionContext } from '@rewind/projections';
import { ProductNames, type ItemView } from './productNames';

/** Where an order is, as the customer is told. */
export type OrderProgress =
  'awaiting payment' | 'paid' | 'in the kitchen' | 'ready' | 'on the road' | 'delivered' | 'cancelled';

const ORDER: readonly OrderProgress[] = [
  'awaiting payment',
  'paid',
  'in the kitchen',
  'ready',
  'on the road',
  'delivered',
];

/** One order on the order-summaries read model, gathered from the events of all five services. */
export type OrderSummary = {
  readonly orderId: string;
  readonly customer: string;
  readonly items: ItemView[];
  readonly total: number;
  readonly status: OrderProgress;
  readonly courier?: string;
  readonly note?: string;
  readonly placedAt: string;
};

/** Order summaries: one document per order, following it through every service. */
@Projection('order-summaries', { version: 1 })
export class OrderSummaryProjection {
  /** The collection the summaries live in. */
  static readonly collection = 'orders';

  @On(ProductAdded)
  async onProductAdded(event: ProductAdded, context: ProjectionContext): Promise<void> {
    await new ProductNames(context).learn(event.productId, event.name);
  }

  @On(ProductRenamed)
  async onProductRenamed(event: ProductRenamed, context: ProjectionContext): Promise<void> {
    await new ProductNames(context).rename(OrderSummaryProjection.collection, event.productId, event.newName);
  }

  @On(OrderPlaced)
  async onPlaced(event: OrderPlaced, context: ProjectionContext): Promise<void> {
    const items = await new ProductNames(context).view(event.orderId, event.lines);
    await context.collection<OrderSummary>(OrderSummaryProjection.collection).put(event.orderId, {
      orderId: event.orderId,
      customer: event.customer,
      items,
      total: event.total,
      status: 'awaiting payment',
      placedAt: context.envelope.metadata.occurredAt.toISOString(),
    });
  }

  @On(OrderPaid)
  onPaid(event: OrderPaid, context: ProjectionContext): Promise<void> {
    return advance(context, event.orderId, 'paid');
  }

  @On(TicketStarted)
  onStarted(event: TicketStarted, context: ProjectionContext): Promise<void> {
    return advance(context, event.orderId, 'in the kitchen');
  }

  @On(TicketMade)
  onMade(event: TicketMade, context: ProjectionContext): Promise<void> {
    return advance(context, event.orderId, 'ready');
  }

  @On(DeliveryDispatched)
  onDispatched(event: DeliveryDispatched, context: ProjectionContext): Promise<void> {
    return advance(context, event.orderId, 'on the road', { courier: event.courier });
  }

  @On(OrderCompleted)
  onCompleted(event: OrderCompleted, context: ProjectionContext): Promise<void> {
    return advance(context, event.orderId, 'delivered');
  }

  @On(OrderCancelled)
  async onCancelled(event: OrderCancelled, context: ProjectionContext): Promise<void> {
    await context
      .collection<OrderSummary>(OrderSummaryProjection.collection)
      .patch(event.orderId, { status: 'cancelled', note: event.reason });
  }
}

/** Moves an order forwards only: events from different services never drag it back. */
async function advance(
  context: ProjectionContext,
  orderId: string,
  status: OrderProgress,
  changes: Partial<OrderSummary> = {},
): Promise<void> {
  const orders = context.collection<OrderSummary>(OrderSummaryProjection.collection);
  const current = await orders.get(orderId);
  if (!current || current.status === 'cancelled') return;
  const forwards = ORDER.indexOf(status) > ORDER.indexOf(current.status);
  await orders.patch(orderId, { ...changes, ...(forwards ? { status } : {}) });
}
