import { TicketMade, TicketOpened, TicketReleased, TicketStarted, TicketVoided } from '../kitchen/events';
import { ProductAdded, ProductRenamed } from '../menu/events';
import { On, Projection, type ProjectionContext } from '@rewind/projections';
import { ProductNames, type ItemView } from './productNames';

/** Where a ticket is, as the cooks see it. */
export type TicketProgress = 'awaiting payment' | 'queued' | 'making' | 'made' | 'voided';

/** One ticket on the kitchen screen. */
export type KitchenTicketView = {
  readonly ticketId: string;
  readonly orderId: string;
  readonly items: ItemView[];
  readonly status: TicketProgress;
  readonly cook?: string;
  readonly note?: string;
};

/** The kitchen queue: what the cooks have to make, with current product names. */
@Projection('kitchen-queue', { version: 1 })
export class KitchenQueueProjection {
  /** The collection the tickets live in. */
  static readonly collection = 'tickets';

  @On(ProductAdded)
  async onProductAdded(event: ProductAdded, context: ProjectionContext): Promise<void> {
    await new ProductNames(context).learn(event.productId, event.name);
  }

  @On(ProductRenamed)
  async onProductRenamed(event: ProductRenamed, context: ProjectionContext): Promise<void> {
    await new ProductNames(context).rename(KitchenQueueProjection.collection, event.productId, event.newName);
  }

  @On(TicketOpened)
  async onOpened(event: TicketOpened, context: ProjectionContext): Promise<void> {
    const items = await new ProductNames(context).view(event.ticketId, event.items);
    await context.collection<KitchenTicketView>(KitchenQueueProjection.collection).put(event.ticketId, {
      ticketId: event.ticketId,
      orderId: event.orderId,
      items,
      status: 'awaiting payment',
    });
  }

  @On(TicketReleased)
  onReleased(event: TicketReleased, context: ProjectionContext): Promise<void> {
    return tickets(context).patch(event.ticketId, { status: 'queued' });
  }

  @On(TicketStarted)
  onStarted(event: TicketStarted, context: ProjectionContext): Promise<void> {
    return tickets(context).patch(event.ticketId, { status: 'making', cook: event.cook });
  }

  @On(TicketMade)
  onMade(event: TicketMade, context: ProjectionContext): Promise<void> {
    return tickets(context).patch(event.ticketId, { status: 'made' });
  }

  @On(TicketVoided)
  onVoided(event: TicketVoided, context: ProjectionContext): Promise<void> {
    return tickets(context).patch(event.ticketId, { status: 'voided', note: event.reason });
  }
}

function tickets(context: ProjectionContext) {
  return context.collection<KitchenTicketView>(KitchenQueueProjection.collection);
}
