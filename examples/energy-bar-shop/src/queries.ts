import type { DocumentCollection } from './runtime/documents';
import { DeliveryBoardProjection, type DeliveryView } from './readModels/deliveryBoardProjection';
import { KitchenQueueProjection, type KitchenTicketView } from './readModels/kitchenQueueProjection';
import { MenuProjection, type MenuEntry } from './readModels/menuProjection';
import { OrderSummaryProjection, type OrderSummary } from './readModels/orderSummaryProjection';
import { SalesProjection, type DailySales } from './readModels/salesProjection';

/** Opens a collection of the namespace a projection is served from now. */
export type CollectionSource = <T extends object>(
  projection: string,
  collection: string,
) => Promise<DocumentCollection<T>>;

/** The read side of the shop: every query reads a read model, never an aggregate. */
export class ShopQueries {
  constructor(private readonly source: CollectionSource) {}

  /** The menu, available products first. */
  async menu(): Promise<MenuEntry[]> {
    const entries = await (await this.source<MenuEntry>('menu', MenuProjection.collection)).find();
    return entries.sort((a, b) => Number(b.available) - Number(a.available));
  }

  /** One product of the menu. */
  async product(productId: string): Promise<MenuEntry | undefined> {
    return (await this.source<MenuEntry>('menu', MenuProjection.collection)).get(productId);
  }

  /** Every order, oldest first. */
  async orders(): Promise<OrderSummary[]> {
    const orders = await (
      await this.source<OrderSummary>('order-summaries', OrderSummaryProjection.collection)
    ).find();
    return orders.sort((a, b) => a.placedAt.localeCompare(b.placedAt) || a.orderId.localeCompare(b.orderId));
  }

  /** One order's summary. */
  async order(orderId: string): Promise<OrderSummary | undefined> {
    return (await this.source<OrderSummary>('order-summaries', OrderSummaryProjection.collection)).get(
      orderId,
    );
  }

  /** Tickets the kitchen still has to make (`all` adds made and voided ones). */
  async kitchenQueue(options: { all?: boolean } = {}): Promise<KitchenTicketView[]> {
    const tickets = await (
      await this.source<KitchenTicketView>('kitchen-queue', KitchenQueueProjection.collection)
    ).find();
    return options.all ? tickets : tickets.filter((t) => t.status !== 'made' && t.status !== 'voided');
  }

  /** Deliveries not yet finished (`all` adds delivered and cancelled ones). */
  async deliveryBoard(options: { all?: boolean } = {}): Promise<DeliveryView[]> {
    const deliveries = await (
      await this.source<DeliveryView>('delivery-board', DeliveryBoardProjection.collection)
    ).find();
    return options.all
      ? deliveries
      : deliveries.filter((d) => d.status !== 'delivered' && d.status !== 'cancelled');
  }

  /** Sales per product per day, newest day first. */
  async sales(): Promise<DailySales[]> {
    const rows = await (await this.source<DailySales>('sales-per-day', SalesProjection.collection)).find();
    return rows.sort((a, b) => b.day.localeCompare(a.day) || b.revenue - a.revenue);
  }
}
