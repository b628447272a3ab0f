import type { ProjectionContext } from '@rewind/projections';

/** A product line as read models show it: with the product's current name. */
export type ItemView = {
  readonly productId: string;
  readonly name: string;
  readonly quantity: number;
  readonly unitPrice?: number;
};

type NameDocument = {
  readonly productId: string;
  readonly name: string;
};

type ProductRef = {
  readonly productId: string;
  readonly key: string;
};

/**
 * The denormalization cure shared by every read model that shows product names. Each projection keeps
 * its own table of current names (from `ProductAdded` / `ProductRenamed`) and an index from product to
 * the documents that mention it, so one `ProductRenamed` event rewrites the name everywhere it is
 * shown, with no call to the menu service.
 */
export class ProductNames {
  constructor(private readonly context: ProjectionContext) {}

  /** Remembers a product's current name. */
  async learn(productId: string, name: string): Promise<void> {
    await this.context.collection<NameDocument>('product-names').put(productId, { productId, name });
  }

  /** The product's current name, or the name the event carried when the menu never said. */
  async current(productId: string, carried: string): Promise<string> {
    return (await this.context.collection<NameDocument>('product-names').get(productId))?.name ?? carried;
  }

  /** Turns event lines into views with current names, and indexes the document that shows them. */
  async view(
    documentKey: string,
    lines: readonly { productId: string; productName: string; quantity: number; unitPrice?: number }[],
  ): Promise<ItemView[]> {
    const index = this.context.collection<ProductRef>('by-product');
    const items: ItemView[] = [];
    for (const line of lines) {
      items.push({
        productId: line.productId,
        name: await this.current(line.productId, line.productName),
        quantity: line.quantity,
        ...(line.unitPrice === undefined ? {} : { unitPrice: line.unitPrice }),
      });
      await index.put(`${line.productId}|${documentKey}`, { productId: line.productId, key: documentKey });
    }
    return items;
  }

  /** Applies a rename to the table and to every document of `collection` that shows the product. */
  async rename(collection: string, productId: string, newName: string): Promise<void> {
    await this.learn(productId, newName);
    const documents = this.context.collection<{ items: readonly ItemView[] }>(collection);
    for (const { doc: ref } of await this.context.collection<ProductRef>('by-product').find({ productId })) {
      const document = await documents.get(ref.key);
      if (!document) continue;
      await documents.patch(ref.key, {
        items: document.items.map((item) =>
          item.productId === productId ? { ...item, name: newName } : item,
        ),
      });
    }
  }
}
