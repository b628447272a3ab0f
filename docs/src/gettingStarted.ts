// The code behind docs/getting-started.md and the README. Compiled by `tsc -b`, run by
// docs/test/gettingStarted.unit.spec.ts.
import 'reflect-metadata';
// #region imports
import { IsInt, IsPositive, IsString, IsUUID, Length } from 'class-validator';
import {
  Aggregate,
  AggregateId,
  AggregateRoot,
  CommandHandler,
  createRewind,
  DomainError,
  DomainEvent,
  EventSourcingHandler,
  InMemoryEventStore,
} from '@rewind/core';
// #endregion

// #region events
@DomainEvent('cart.item-added', { version: 1 })
export class ItemAdded {
  constructor(
    readonly cartId: string,
    readonly sku: string,
    readonly quantity: number,
  ) {}
}

@DomainEvent('cart.checked-out', { version: 1 })
export class CheckedOut {
  constructor(readonly cartId: string) {}
}
// #endregion

// #region commands
export class AddItem {
  @AggregateId() @IsUUID() cartId!: string;
  @IsString() @Length(1, 32) sku!: string;
  @IsInt() @IsPositive() quantity!: number;
}

export class CheckOut {
  @AggregateId() @IsUUID() cartId!: string;
}
// #endregion

// #region aggregate
export class CartAlreadyCheckedOut extends DomainError {}

@Aggregate('cart')
export class Cart extends AggregateRoot {
  items: Record<string, number> = {};
  checkedOut = false;

  @CommandHandler(AddItem, { mode: 'upsert' })
  add(command: AddItem): void {
    if (this.checkedOut) throw new CartAlreadyCheckedOut(`Cart ${this.id} is already checked out.`);
    this.raise(new ItemAdded(command.cartId, command.sku, command.quantity));
  }

  @CommandHandler(CheckOut)
  checkOut(): void {
    if (this.checkedOut) throw new CartAlreadyCheckedOut(`Cart ${this.id} is already checked out.`);
    this.raise(new CheckedOut(this.id));
  }

  @EventSourcingHandler(ItemAdded)
  onItemAdded(event: ItemAdded): void {
    this.items[event.sku] = (this.items[event.sku] ?? 0) + event.quantity;
  }

  @EventSourcingHandler(CheckedOut)
  onCheckedOut(): void {
    this.checkedOut = true;
  }
}
// #endregion

/** Runs the getting-started scenario and returns what it observed. */
export async function gettingStarted(cartId: string) {
  // #region wire
  const rewind = createRewind({ eventStore: new InMemoryEventStore(), aggregates: [Cart] });
  const { commandBus, repository } = rewind;
  // #endregion

  // #region use
  await commandBus.executePlain(AddItem, { cartId, sku: 'energy-bar', quantity: 2 });
  await commandBus.executePlain(AddItem, { cartId, sku: 'energy-bar', quantity: 1 });
  await commandBus.executePlain(CheckOut, { cartId });

  const rejected = await commandBus
    .executePlain(AddItem, { cartId, sku: '', quantity: 0 })
    .catch((e: Error) => e);
  // ValidationError: Invalid command AddItem: sku: sku must be longer than or equal to 1 characters | quantity: ...
  // #endregion

  // #region travel
  const now = await repository.load(Cart, cartId); // { items: { 'energy-bar': 3 }, checkedOut: true }
  const before = await repository.load(Cart, cartId, { revision: 0 }); // { items: { 'energy-bar': 2 }, ... }
  for await (const step of repository.history(Cart, cartId)) {
    console.log(step.revision, step.envelope.type, step.changes);
  }
  // #endregion
  return { rejected, now, before };
}
