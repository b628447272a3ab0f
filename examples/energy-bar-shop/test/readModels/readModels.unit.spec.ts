import {
  ChangePrice,
  ConfirmDelivery,
  FinishTicket,
  MENU_ID,
  RenameProduct,
  StartTicket,
  WithdrawProduct,
} from '@rewind/energy-bar-shop';
import { openShop, placeOrder } from '../shopFixture';

describe('read models', () => {
  it('menu: products with current names, prices and availability', async () => {
    const shop = await openShop();
    await shop.execute(ChangePrice.of(MENU_ID, 'oat-bar', 2200));
    await shop.execute(WithdrawProduct.of(MENU_ID, 'protein-bar'));
    expect(await shop.queries.menu()).toEqual([
      { productId: 'energy-bar', name: 'energy bar', price: 2500, available: true },
      { productId: 'oat-bar', name: 'oat bar', price: 2200, available: true },
      { productId: 'protein-bar', name: 'protein bar', price: 3000, available: false },
    ]);
  });

  it('order summaries follow an order through every service', async () => {
    const shop = await openShop();
    await placeOrder(shop, '1001', 'card-4242', ['energy-bar', 2], ['oat-bar', 1]);
    expect(await shop.queries.order('1001')).toMatchObject({
      customer: 'customer 1001',
      total: 7000,
      status: 'paid',
      items: [
        { productId: 'energy-bar', name: 'energy bar', quantity: 2, unitPrice: 2500 },
        { productId: 'oat-bar', name: 'oat bar', quantity: 1, unitPrice: 2000 },
      ],
    });
    await shop.execute(StartTicket.of('1001', 'Hana'));
    expect((await shop.queries.order('1001'))?.status).toBe('in the kitchen');
    await shop.execute(FinishTicket.of('1001'));
    expect((await shop.queries.order('1001'))?.status).toBe('on the road');
    await shop.execute(ConfirmDelivery.of('1001'));
    expect((await shop.queries.order('1001'))?.status).toBe('delivered');
  });

  it('kitchen queue and delivery board show what is still to do', async () => {
    const shop = await openShop();
    await placeOrder(shop, '1001', 'card-4242', ['energy-bar', 1]);
    await placeOrder(shop, '1002', 'card-4242', ['oat-bar', 1]);
    await placeOrder(shop, '1003', 'card-0002', ['oat-bar', 1]);
    await shop.execute(StartTicket.of('1001', 'Hana'));
    expect((await shop.queries.kitchenQueue()).map((t) => [t.ticketId, t.status, t.cook])).toEqual([
      ['1001', 'making', 'Hana'],
      ['1002', 'queued', undefined],
    ]);
    expect((await shop.queries.kitchenQueue({ all: true })).find((t) => t.ticketId === '1003')?.status).toBe(
      'voided',
    );
    await shop.execute(FinishTicket.of('1001'));
    expect((await shop.queries.kitchenQueue()).map((t) => t.ticketId)).toEqual(['1002']);
    expect((await shop.queries.deliveryBoard()).map((d) => [d.deliveryId, d.status])).toEqual([
      ['1001', 'on the road'],
      ['1002', 'waiting for kitchen'],
    ]);
  });

  it('sales per product per day count paid orders only', async () => {
    const shop = await openShop();
    await placeOrder(shop, '1001', 'card-4242', ['energy-bar', 2], ['oat-bar', 1]);
    await placeOrder(shop, '1002', 'card-4242', ['energy-bar', 1]);
    await placeOrder(shop, '1003', 'card-0002', ['energy-bar', 5]);
    const day = new Date().toISOString().slice(0, 10);
    expect(await shop.queries.sales()).toEqual([
      { day, productId: 'energy-bar', name: 'energy bar', quantity: 3, revenue: 7500 },
      { day, productId: 'oat-bar', name: 'oat bar', quantity: 1, revenue: 2000 },
    ]);
  });

  describe("the rename (the notes' denormalization problem)", () => {
    it('flows from ProductRenamed alone into every read model that shows the name', async () => {
      const shop = await openShop();
      await placeOrder(shop, '1001', 'card-4242', ['energy-bar', 2], ['oat-bar', 1]);
      await placeOrder(shop, '1002', 'card-4242', ['energy-bar', 1]);
      await shop.execute(StartTicket.of('1002', 'Hana'));
      await shop.execute(FinishTicket.of('1002'));
      const head = await shop.eventStore.headPosition();

      await shop.execute(RenameProduct.of(MENU_ID, 'energy-bar', 'energy bar+'));

      const appended = [];
      for await (const event of shop.eventStore.readAll({ after: head! })) appended.push(event.type);
      expect(appended).toEqual(['menu.product-renamed']);
      const names = (items: { productId: string; name: string }[]) =>
        items.map((i) => `${i.productId}=${i.name}`);
      expect((await shop.queries.product('energy-bar'))?.name).toBe('energy bar+');
      expect((await shop.queries.orders()).map((o) => names(o.items))).toEqual([
        ['energy-bar=energy bar+', 'oat-bar=oat bar'],
        ['energy-bar=energy bar+'],
      ]);
      expect((await shop.queries.kitchenQueue({ all: true })).map((t) => names(t.items))).toEqual([
        ['energy-bar=energy bar+', 'oat-bar=oat bar'],
        ['energy-bar=energy bar+'],
      ]);
      expect((await shop.queries.deliveryBoard({ all: true })).map((d) => names(d.items))).toEqual([
        ['energy-bar=energy bar+', 'oat-bar=oat bar'],
        ['energy-bar=energy bar+'],
      ]);
      expect((await shop.queries.sales()).map((s) => s.name).sort()).toEqual(['energy bar+', 'oat bar']);
    });

    it('keeps the stored events as they were: the old name stays in history', async () => {
      const shop = await openShop();
      await placeOrder(shop, '1001', 'card-4242', ['energy-bar', 1]);
      await shop.execute(RenameProduct.of(MENU_ID, 'energy-bar', 'energy bar+'));
      const placed = [];
      for await (const event of shop.eventStore.readStream('order-1001')) placed.push(event);
      expect(JSON.stringify(placed[0]!.data)).toContain('"productName":"energy bar"');
    });

    it('gives orders placed after the rename the new name', async () => {
      const shop = await openShop();
      await shop.execute(RenameProduct.of(MENU_ID, 'energy-bar', 'energy bar+'));
      await placeOrder(shop, '1001', 'card-4242', ['energy-bar', 1]);
      expect((await shop.queries.order('1001'))?.items[0]?.name).toBe('energy bar+');
      expect((await shop.queries.kitchenQueue())[0]?.items[0]?.name).toBe('energy bar+');
    });

    it('survives a rebuild: the rebuilt read model shows the new name too', async () => {
      const shop = await openShop();
      await placeOrder(shop, '1001', 'card-4242', ['energy-bar', 1]);
      await shop.execute(RenameProduct.of(MENU_ID, 'energy-bar', 'energy bar+'));
      const before = await shop.queries.orders();
      const report = await shop.rebuild('order-summaries');
      expect(report.processed).toBeGreaterThan(0);
      expect(report.namespace).not.toBe(report.replaced);
      expect(await shop.queries.orders()).toEqual(before);
    });
  });
});
