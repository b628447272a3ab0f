// The code behind docs/guides/events-and-upcasting.md. Run by docs/test/upcasting.unit.spec.ts.
import { IsIn, IsInt, IsString, Min } from 'class-validator';
import {
  Aggregate,
  AggregateRoot,
  createRewind,
  defineUpcaster,
  DomainEvent,
  EventSourcingHandler,
  InMemoryEventStore,
} from '@rewind/core';

// #region versioned-event
// Version 1 stored { productId, price } with the price in won. Version 2 stores amount + currency.
@DomainEvent('menu.price-set', { version: 2 })
export class PriceSet {
  @IsString() productId: string;
  @IsInt() @Min(0) amount: number;
  @IsIn(['KRW', 'EUR']) currency: string;

  constructor(productId: string, amount: number, currency: string) {
    this.productId = productId;
    this.amount = amount;
    this.currency = currency;
  }
}

export const priceSetV1 = defineUpcaster(PriceSet, 1, ({ price, ...rest }) => ({
  ...rest,
  amount: price,
  currency: 'KRW',
}));
// #endregion

// #region codec
@DomainEvent('menu.sale-scheduled', { version: 1 })
export class SaleScheduled {
  constructor(
    readonly productId: string,
    readonly startsAt: Date, // stored as ISO text, revived as a Date
    readonly stockUnits: bigint, // stored as a decimal string, revived as a bigint
  ) {}
}
// #endregion

@Aggregate('product')
export class Product extends AggregateRoot {
  amount = 0;
  currency = '';
  saleStartsAt: Date | undefined;
  stockUnits = 0n;

  setPrice(amount: number, currency: string): void {
    this.raise(new PriceSet(this.id, amount, currency));
  }

  scheduleSale(startsAt: Date, stockUnits: bigint): void {
    this.raise(new SaleScheduled(this.id, startsAt, stockUnits));
  }

  @EventSourcingHandler(PriceSet)
  onPriceSet(event: PriceSet): void {
    this.amount = event.amount;
    this.currency = event.currency;
  }

  @EventSourcingHandler(SaleScheduled)
  onSaleScheduled(event: SaleScheduled): void {
    this.saleStartsAt = event.startsAt;
    this.stockUnits = event.stockUnits;
  }
}

// #region register
export function createMenu(eventStore = new InMemoryEventStore()) {
  return createRewind({ eventStore, aggregates: [Product], upcasters: [priceSetV1] });
}
// #endregion
