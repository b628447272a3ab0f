import { PriceChanged, ProductAdded, ProductRenamed, ProductWithdrawn } from '../menu/events';
import { On, Projection, type ProjectionContext } from '@rewind/projections';

/** A product on the menu read model. */
export type MenuEntry = {
  readonly productId: string;
  readonly name: string;
  readonly price: number;
  readonly available: boolean;
};

/** The menu read model: what customers see, and the order service's catalog. */
@Projection('menu', { version: 1 })
export class MenuProjection {
  /** The collection the entries live in. */
  static readonly collection = 'products';

  @On(ProductAdded)
  async onAdded(event: ProductAdded, context: ProjectionContext): Promise<void> {
    await context.collection<MenuEntry>(MenuProjection.collection).put(event.productId, {
      productId: event.productId,
      name: event.name,
      price: event.price,
      available: true,
    });
  }

  @On(ProductRenamed)
  async onRenamed(event: ProductRenamed, context: ProjectionContext): Promise<void> {
    await context
      .collection<MenuEntry>(MenuProjection.collection)
      .patch(event.productId, { name: event.newName });
  }

  @On(PriceChanged)
  async onPriceChanged(event: PriceChanged, context: ProjectionContext): Promise<void> {
    await context
      .collection<MenuEntry>(MenuProjection.collection)
      .patch(event.productId, { price: event.newPrice });
  }

  @On(ProductWithdrawn)
  async onWithdrawn(event: ProductWithdrawn, context: ProjectionContext): Promise<void> {
    await context
      .collection<MenuEntry>(MenuProjection.collection)
      .patch(event.productId, { available: false });
  }
}
