import { IsInt, IsString, Min } from 'class-validator';
import { DomainEvent } from '@rewind/core';

/** A product went on the menu at a price (in won). */
@DomainEvent('menu.product-added', { version: 1 })
export class ProductAdded {
  @IsString() readonly menuId: string;
  @IsString() readonly productId: string;
  @IsString() readonly name: string;
  @IsInt() @Min(1) readonly price: number;
  constructor(menuId: string, productId: string, name: string, price: number) {
    this.menuId = menuId;
    this.productId = productId;
    this.name = name;
    this.price = price;
  }
}

/**
 * A product got a new name. The one event every read model that shows the name follows: the cure for
 * the notes' denormalization problem ("닥터유 에너지바" → "닥터유+ 에너지바") without a service calling another.
 */
@DomainEvent('menu.product-renamed', { version: 1 })
export class ProductRenamed {
  @IsString() readonly menuId: string;
  @IsString() readonly productId: string;
  @IsString() readonly oldName: string;
  @IsString() readonly newName: string;
  constructor(menuId: string, productId: string, oldName: string, newName: string) {
    this.menuId = menuId;
    this.productId = productId;
    this.oldName = oldName;
    this.newName = newName;
  }
}

/** A product's price changed (in won). */
@DomainEvent('menu.price-changed', { version: 1 })
export class PriceChanged {
  @IsString() readonly menuId: string;
  @IsString() readonly productId: string;
  @IsInt() readonly oldPrice: number;
  @IsInt() @Min(1) readonly newPrice: number;
  constructor(menuId: string, productId: string, oldPrice: number, newPrice: number) {
    this.menuId = menuId;
    this.productId = productId;
    this.oldPrice = oldPrice;
    this.newPrice = newPrice;
  }
}

/** A product was taken off the menu: it can no longer be ordered. */
@DomainEvent('menu.product-withdrawn', { version: 1 })
export class ProductWithdrawn {
  @IsString() readonly menuId: string;
  @IsString() readonly productId: string;
  constructor(menuId: string, productId: string) {
    this.menuId = menuId;
    this.productId = productId;
  }
}
