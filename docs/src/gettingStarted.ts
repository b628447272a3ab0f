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
  type Position,
} from '@rewind/core';
import {
  InMemoryReadModelStore,
  On,
  Projection,
  ProjectionEngine,
  rebuildProjection,
  type ProjectionContext,
} from '@rewind/projections';
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

// #region projection
@Projection('cart-summary', { version: 1 })
export class CartSummaryProjection {
  @On(ItemAdded)
  async itemAdded(event: ItemAdded, ctx: ProjectionContext): Promise<void> {
    const carts = ctx.collection<{ items: number; checkedOut: boolean }>('carts');
    const cart = await carts.get(event.cartId);
    await carts.put(event.cartId, { items: (cart?.items ?? 0) + event.quantity, checkedOut: false });
  }

  @On(CheckedOut)
  async checkedOut(event: CheckedOut, ctx: ProjectionContext): Promise<void> {
    await ctx.collection('carts').patch(event.cartId, { checkedOut: true });
  }
}
// #endregion

/** The projection and rebuild part of the walk-through; returns what it observed. */
export async function gettingStartedProjection(cartId: string) {
  const rewind = createRewind({ eventStore: new InMemoryEventStore(), aggregates: [Cart] });
  const { commandBus } = rewind;
  await commandBus.executePlain(AddItem, { cartId, sku: 'energy-bar', quantity: 2 });
  await commandBus.executePlain(CheckOut, { cartId });

  // #region run-projection
  const projections = new ProjectionEngine({
    eventStore: rewind.eventStore,
    events: rewind.events,
    store: new InMemoryReadModelStore(),
    processors: [CartSummaryProjection],
  });
  projections.start();
  await projections.waitForHead(); // everything in the log so far is applied

  const summary = await projections.query('cart-summary').collection('carts').get(cartId);
  // { items: 2, checkedOut: true }
  // #endregion

  // #region rebuild
  const result = await rebuildProjection(projections, 'cart-summary', {
    onProgress: (p) => console.log(p.phase, p.processed, p.eventsPerSecond),
  });
  // result.replaced: 'cart-summary@v1' (dropped), result.namespace: 'cart-summary@v1#…' (now served)
  const afterRebuild = await projections.query('cart-summary').collection('carts').get(cartId);
  // the same document, rebuilt from the log

  let first: Position | undefined;
  for await (const event of rewind.eventStore.readAll({ maxCount: 1 })) first = event.position;
  const past = await rebuildProjection(projections, 'cart-summary', { until: first! });
  const then = await projections.context.store.collection(past.namespace, 'carts').get(cartId);
  // { items: 2, checkedOut: false }: the read model as it was after the first event
  // #endregion

  await projections.stop();
  return { summary, result, afterRebuild, past, then };
}
