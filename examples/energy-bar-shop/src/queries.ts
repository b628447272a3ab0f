import type { CollectionReader, Document } from '@rewind/projections';
import { DeliveryBoardProjection, type DeliveryView } from './readModels/deliveryBoardProjection';
import { KitchenQueueProjection, type KitchenTicketView } from './readModels/kitchenQueueProjection';
import { MenuProjection, type MenuEntry } from './readModels/menuProjection';
import { OrderSummaryProjection, type OrderSummary } from './readModels/orderSummaryProjection';
import { SalesProjection, type DailySales } from './readModels/salesProjection';

/** Opens a collection of the read model a projection serves now (e.g. `engine.query(name).collection`). */
export type CollectionSource = <D extends Document>(
  projection: string,
  collection: string,
) => CollectionReader<D>;

/** The read side of the shop: every query reads a read model, never an aggregate. */
export class ShopQueries {
  constructor(private readonly source: CollectionSource) {}

  /** The menu, available products first. */
  async menu(): Promise<MenuEntry[]> {
    const entries = await this.all<MenuEntry>('menu', MenuProjection.collection);
    return entries.sort((a, b) => Number(b.available) - Number(a.available));
  }

  /** One product of the menu. */
  product(productId: string): Promise<MenuEntry | undefined> {
    return this.source<MenuEntry>('menu', MenuProjection.collection).get(productId);
  }

  /** Every order, oldest first. */
  async orders(): Promise<OrderSummary[]> {
    const orders = await this.all<OrderSummary>('order-summaries', OrderSummaryProjection.collection);
    return orders.sort((a, b) => a.placedAt.localeCompare(b.placedAt) || a.orderId.localeCompare(b.orderId));
  }

  /** One order's summary. */
  order(orderId: string): Promise<OrderSummary | undefined> {
    return this.source<OrderSummary>('order-summaries', OrderSummaryProjection.collection).get(orderId);
  }

  /** Tickets the kitchen still has to make (`all` adds made and voided ones). */
  async kitchenQueue(options: { all?: boolean } = {}): Promise<KitchenTicketView[]> {
    const tickets = await this.all<KitchenTicketView>('kitchen-queue', KitchenQueueProjection.collection);
    return options.all ? tickets : tickets.filter((t) => t.status !== 'made' && t.status !== 'voided');
  }

  /** Deliveries not yet finished (`all` adds delivered and cancelled ones). */
  async deliveryBoard(options: { all?: boolean } = {}): Promise<DeliveryView[]> {
    const deliveries = await this.all<DeliveryView>('delivery-board', DeliveryBoardProjection.collection);
    return options.all
      ? deliveries
      : deliveries.filter((d) => d.status !== 'delivered' && d.status !== 'cancelled');
  }

  /** Sales per product per day, newest day first. */
  async sales(): Promise<DailySales[]> {
    const rows = await this.all<DailySales>('sales-per-day', SalesProjection.collection);
    return rows.sort((a, b) => b.day.localeCompare(a.day) || b.revenue - a.revenue);
  }

  private async all<D extends Document>(projection: string, collection: string): Promise<D[]> {
    return (await this.source<D>(projection, collection).find()).map(({ doc }) => doc);
  }
}
