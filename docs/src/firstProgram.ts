// The complete program of docs/getting-started.md ("Run it"): what a reader puts in src/main.ts of an
// empty folder. Compiled by `tsc -b`; docs/test/firstProgram.int.spec.ts runs the built file as a
// process in an empty directory, as the page says to.
// #region program
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { IsInt, IsPositive, IsString, IsUUID, Length } from 'class-validator';
import {
  Aggregate,
  AggregateId,
  AggregateRoot,
  CommandHandler,
  createRewind,
  DomainEvent,
  EventSourcingHandler,
} from '@rewind/core';
import { On, Projection, ProjectionEngine, type ProjectionContext } from '@rewind/projections';
import { SqliteEventStore, SqliteReadModelStore } from '@rewind/sqlite';

@DomainEvent('cart.item-added', { version: 1 })
class ItemAdded {
  constructor(
    readonly cartId: string,
    readonly sku: string,
    readonly quantity: number,
  ) {}
}

class AddItem {
  @AggregateId() @IsUUID() cartId!: string;
  @IsString() @Length(1, 32) sku!: string;
  @IsInt() @IsPositive() quantity!: number;
}

@Aggregate('cart')
class Cart extends AggregateRoot {
  items: Record<string, number> = {};

  @CommandHandler(AddItem, { mode: 'upsert' })
  add(command: AddItem): void {
    this.raise(new ItemAdded(command.cartId, command.sku, command.quantity));
  }

  @EventSourcingHandler(ItemAdded)
  onItemAdded(event: ItemAdded): void {
    this.items[event.sku] = (this.items[event.sku] ?? 0) + event.quantity;
  }
}

@Projection('cart-summary', { version: 1 })
class CartSummary {
  @On(ItemAdded)
  async itemAdded(event: ItemAdded, ctx: ProjectionContext): Promise<void> {
    const carts = ctx.collection<{ items: number }>('carts');
    const cart = await carts.get(event.cartId);
    await carts.put(event.cartId, { items: (cart?.items ?? 0) + event.quantity });
  }
}

async function main(): Promise<void> {
  const rewind = createRewind({ eventStore: SqliteEventStore.open('events.db'), aggregates: [Cart] });
  const projections = new ProjectionEngine({
    eventStore: rewind.eventStore,
    events: rewind.events,
    store: SqliteReadModelStore.open('read-models.db'),
    processors: [CartSummary],
  });
  projections.start();

  const cartId = randomUUID();
  await rewind.commandBus.executePlain(AddItem, { cartId, sku: 'energy-bar', quantity: 2 });
  await rewind.commandBus.executePlain(AddItem, { cartId, sku: 'energy-gel', quantity: 1 });

  const cart = await rewind.repository.load(Cart, cartId);
  const before = await rewind.repository.load(Cart, cartId, { revision: 0 });
  console.log('now:', cart.items, 'at revision 0:', before.items);

  await projections.waitForHead();
  console.log('read model:', await projections.query('cart-summary').collection('carts').get(cartId));

  await projections.stop();
  await projections.context.store.close();
  await rewind.eventStore.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
// #endregion
