import {
  DeliveryCancelled,
  DeliveryDelivered,
  DeliveryDispatched,
  DeliveryScheduled,
} from '../delivery/events';
import { ProductAdded, ProductRenamed } from '../menu/events';
import { On, Projection, type ProjectionContext } from '@rewind/projections';
import { ProductNames, type ItemView } from './productNames';

/** Where a delivery is, as the couriers see it. */
export type DeliveryProgress = 'waiting for kitchen' | 'on the road' | 'delivered' | 'cancelled';

/** One delivery on the board. */
export type DeliveryView = {
  readonly deliveryId: string;
  readonly orderId: string;
  readonly customer: string;
  readonly address: string;
  readonly items: ItemView[];
  readonly status: DeliveryProgress;
  readonly courier?: string;
  readonly note?: string;
};

/** The delivery board: who takes what where, with current product names. */
@Projection('delivery-board', { version: 1 })
export class DeliveryBoardProjection {
  /** The collection the deliveries live in. */
  static readonly collection = 'deliveries';

  @On(ProductAdded)
  async onProductAdded(event: ProductAdded, context: ProjectionContext): Promise<void> {
    await new ProductNames(context).learn(event.productId, event.name);
  }

  @On(ProductRenamed)
  async onProductRenamed(event: ProductRenamed, context: ProjectionContext): Promise<void> {
    await new ProductNames(context).rename(
      DeliveryBoardProjection.collection,
      event.productId,
      event.newName,
    );
  }

  @On(DeliveryScheduled)
  async onScheduled(event: DeliveryScheduled, context: ProjectionContext): Promise<void> {
    const items = await new ProductNames(context).view(event.deliveryId, event.items);
    await deliveries(context).put(event.deliveryId, {
      deliveryId: event.deliveryId,
      orderId: event.orderId,
      customer: event.customer,
      address: event.address,
      items,
      status: 'waiting for kitchen',
    });
  }

  @On(DeliveryDispatched)
  onDispatched(event: DeliveryDispatched, context: ProjectionContext): Promise<void> {
    return deliveries(context).patch(event.deliveryId, { status: 'on the road', courier: event.courier });
  }

  @On(DeliveryDelivered)
  onDelivered(event: DeliveryDelivered, context: ProjectionContext): Promise<void> {
    return deliveries(context).patch(event.deliveryId, { status: 'delivered' });
  }

  @On(DeliveryCancelled)
  onCancelled(event: DeliveryCancelled, context: ProjectionContext): Promise<void> {
    return deliveries(context).patch(event.deliveryId, { status: 'cancelled', note: event.reason });
  }
}

function deliveries(context: ProjectionContext) {
  return context.collection<DeliveryView>(DeliveryBoardProjection.collection);
}
