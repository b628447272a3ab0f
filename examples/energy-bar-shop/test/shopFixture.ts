import { InMemoryEventStore } from '@rewind/core';
import {
  AddProduct,
  createShop,
  FakeCardGateway,
  MENU_ID,
  OrderLineRequest,
  PlaceOrder,
  type Shop,
  type ShopOptions,
} from '@rewind/energy-bar-shop';

const opened: Shop[] = [];

// Every shop a test opens is closed after it: its projection runners stop and release their locks.
afterEach(async () => {
  for (const shop of opened.splice(0).reverse()) await shop.close();
});

/** A shop on in-memory stores with the three bars on its menu; closed after the test. */
export async function openShop(options: ShopOptions = {}): Promise<Shop & { gateway: FakeCardGateway }> {
  const gateway = new FakeCardGateway();
  const shop = await createShop({ gateway, eventStore: new InMemoryEventStore(), ...options });
  opened.push(shop);
  if (!(await shop.queries.product('energy-bar'))) {
    await shop.execute(AddProduct.of(MENU_ID, 'energy-bar', 'energy bar', 2500));
    await shop.execute(AddProduct.of(MENU_ID, 'oat-bar', 'oat bar', 2000));
    await shop.execute(AddProduct.of(MENU_ID, 'protein-bar', 'protein bar', 3000));
  }
  return Object.assign(shop, { gateway: (options.gateway as FakeCardGateway | undefined) ?? gateway });
}

/** Places an order of the given lines, paid with the given card. */
export function placeOrder(
  shop: Shop,
  orderId: string,
  card: string,
  ...lines: Array<[string, number]>
): Promise<unknown> {
  return shop.execute(
    PlaceOrder.of(
      orderId,
      `customer ${orderId}`,
      `${orderId} Gangnam-daero`,
      card,
      lines.map(([p, q]) => OrderLineRequest.of(p, q)),
    ),
  );
}
