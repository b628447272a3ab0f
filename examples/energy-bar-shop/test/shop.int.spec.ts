import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ChangePrice,
  createShop,
  FakeCardGateway,
  FinishTicket,
  MENU_ID,
  Order,
  RenameProduct,
  StartTicket,
} from '@rewind/energy-bar-shop';
import { SqliteEventStore } from '@rewind/sqlite';
import { openShop, placeOrder } from './shopFixture';

describe('the shop on the embedded SQLite store', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'energy-bar-shop-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps events, read models and reactor checkpoints across a restart', async () => {
    const first = await openShop({ dataDir, eventStore: undefined });
    expect(first.durable).toBe(true);
    expect(first.eventStore).toBeInstanceOf(SqliteEventStore);
    await placeOrder(first, '1001', 'card-4242', ['energy-bar', 2]);
    await placeOrder(first, '1002', 'card-0002', ['oat-bar', 1]);
    await first.execute(StartTicket.of('1001', 'Hana'));
    const summaries = await first.queries.orders();
    const head = await first.eventStore.headPosition();
    await first.close();

    const gateway = new FakeCardGateway();
    const second = await createShop({ dataDir, gateway });
    try {
      await second.settle();
      expect(gateway.calls).toBe(0);
      expect(await second.eventStore.headPosition()).toEqual(head);
      expect(await second.queries.orders()).toEqual(summaries);
      expect((await second.repository.load(Order, '1002')).status).toBe('cancelled');

      await second.execute(FinishTicket.of('1001'));
      await second.execute(RenameProduct.of(MENU_ID, 'energy-bar', 'energy bar+'));
      expect(await second.queries.deliveryBoard()).toMatchObject([
        { deliveryId: '1001', status: 'on the road', items: [{ name: 'energy bar+' }] },
      ]);
    } finally {
      await second.close();
    }
  }, 30_000);

  it('resolves two writers on one aggregate by a retry, on the real store', async () => {
    const shop = await openShop({ dataDir, eventStore: undefined });
    try {
      const results = await Promise.all([
        shop.execute(ChangePrice.of(MENU_ID, 'energy-bar', 2600)),
        shop.execute(ChangePrice.of(MENU_ID, 'oat-bar', 2100)),
      ]);
      expect(results.map((r) => r.attempts).sort()).toEqual([1, 2]);
      expect((await shop.queries.menu()).map((p) => p.price)).toEqual([2600, 2100, 3000]);
    } finally {
      await shop.close();
    }
  }, 30_000);
});
