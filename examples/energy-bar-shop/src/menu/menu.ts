import { Aggregate, AggregateRoot, CommandHandler, DomainError, EventSourcingHandler } from '@rewind/core';
import { AddProduct, ChangePrice, RenameProduct, WithdrawProduct } from './commands';
import { PriceChanged, ProductAdded, ProductRenamed, ProductWithdrawn } from './events';

/** The product is already on the menu. */
export class ProductAlreadyOnMenu extends DomainError {}
/** No product with that id is on the menu (or it was withdrawn). */
export class ProductNotOnMenu extends DomainError {}
/** The change would change nothing (same name, same price). */
export class NothingToChange extends DomainError {}

/** One product as the menu knows it. */
export interface MenuItem {
  name: string;
  price: number;
  available: boolean;
}

/**
 * The shop's menu (service "menu"): its products, prices and names. One aggregate for the whole menu,
 * so two clerks editing it at once meet the store's optimistic concurrency and the bus retries.
 */
@Aggregate('menu')
export class Menu extends AggregateRoot {
  products: Record<string, MenuItem> = {};

  @CommandHandler(AddProduct, { mode: 'upsert' })
  add(command: AddProduct): void {
    if (this.products[command.productId]?.available) {
      throw new ProductAlreadyOnMenu(
        `"${command.productId}" is already on menu "${this.id}". Rename it or change its price instead.`,
      );
    }
    this.raise(new ProductAdded(this.id, command.productId, command.name, command.price));
  }

  @CommandHandler(RenameProduct)
  rename(command: RenameProduct): void {
    const item = this.available(command.productId);
    if (item.name === command.name) {
      throw new NothingToChange(`"${command.productId}" is already called "${command.name}".`);
    }
    this.raise(new ProductRenamed(this.id, command.productId, item.name, command.name));
  }

  @CommandHandler(ChangePrice)
  changePrice(command: ChangePrice): void {
    const item = this.available(command.productId);
    if (item.price === command.price) {
      throw new NothingToChange(`"${command.productId}" already costs ${command.price} won.`);
    }
    this.raise(new PriceChanged(this.id, command.productId, item.price, command.price));
  }

  @CommandHandler(WithdrawProduct)
  withdraw(command: WithdrawProduct): void {
    this.available(command.productId);
    this.raise(new ProductWithdrawn(this.id, command.productId));
  }

  private available(productId: string): MenuItem {
    const item = this.products[productId];
    if (!item || !item.available) {
      throw new ProductNotOnMenu(`"${productId}" is not on menu "${this.id}". Add it first.`);
    }
    return item;
  }

  @EventSourcingHandler(ProductAdded)
  onAdded(event: ProductAdded): void {
    this.products[event.productId] = { name: event.name, price: event.price, available: true };
  }

  @EventSourcingHandler(ProductRenamed)
  onRenamed(event: ProductRenamed): void {
    this.products[event.productId]!.name = event.newName;
  }

  @EventSourcingHandler(PriceChanged)
  onPriceChanged(event: PriceChanged): void {
    this.products[event.productId]!.price = event.newPrice;
  }

  @EventSourcingHandler(ProductWithdrawn)
  onWithdrawn(event: ProductWithdrawn): void {
    this.products[event.productId]!.available = false;
  }
}
