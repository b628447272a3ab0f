import { inject, injectable } from 'inversify';
import { CommandHandler, type CommandContext } from '@rewind/core';
import { PricedLine } from '../shared/lineItem';
import { SHOP_TOKENS } from '../tokens';
import { PlaceOrder } from './commands';
import { Order, OrderAlreadyPlaced, ProductUnavailable } from './order';

/** A product as the order service sees the menu: its own copy, fed by menu events. */
export interface CatalogEntry {
  readonly productId: string;
  readonly name: string;
  readonly price: number;
  readonly available: boolean;
}

/** The order service's view of the menu. Backed by the menu read model, never by a call to the menu service. */
export interface Catalog {
  /** The product, or undefined when the menu never had it. */
  product(productId: string): Promise<CatalogEntry | undefined>;
}

/** What placing an order returns. */
export interface PlacedOrder {
  readonly orderId: string;
  readonly total: number;
}

/**
 * Handles {@link PlaceOrder}: prices each line from the catalog, then creates the order. A handler
 * class rather than an aggregate method because it needs a service (the catalog).
 */
@injectable()
export class OrderDesk {
  constructor(@inject(SHOP_TOKENS.Catalog) private readonly catalog: Catalog) {}

  /**
   * @throws OrderAlreadyPlaced when the order id is taken.
   * @throws ProductUnavailable when a product is unknown or withdrawn.
   */
  @CommandHandler(PlaceOrder)
  async place(command: PlaceOrder, context: CommandContext): Promise<PlacedOrder> {
    const existing = await context.repository.find(Order, command.orderId);
    // Placed by this very command before (sent again with the same Idempotency-Key): the same answer.
    if (existing && context.repository.wasAlreadyApplied(existing)) {
      return { orderId: existing.id, total: existing.total };
    }
    if (existing) {
      throw new OrderAlreadyPlaced(`Order ${command.orderId} was placed already. Use a new order id.`);
    }
    const lines: PricedLine[] = [];
    for (const line of command.lines) {
      const entry = await this.catalog.product(line.productId);
      if (!entry || !entry.available) {
        throw new ProductUnavailable(
          `"${line.productId}" is not on the menu${entry ? ' any more' : ''}. Pick a product from GET /menu.`,
        );
      }
      lines.push(new PricedLine(entry.productId, entry.name, line.quantity, entry.price));
    }
    const order = context.repository.create(Order, command.orderId);
    order.place(command.customer, command.address, command.paymentMethod, lines);
    await context.repository.save(order);
    return { orderId: order.id, total: order.total };
  }
}
