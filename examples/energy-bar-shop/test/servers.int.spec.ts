import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AddProduct,
  ConfirmDelivery,
  createShop,
  FakeCardGateway,
  FinishTicket,
  MENU_ID,
  Order,
  OrderLineRequest,
  PlaceOrder,
  RenameProduct,
  StartTicket,
  type Shop,
} from '@rewind/energy-bar-shop';
import { EventStoreDBEventStore } from '@rewind/eventstoredb';
import { PostgresEventStore, PostgresReadModelStore } from '@rewind/postgres';
import { EventStoreDBTestServer } from '@rewind/testing/eventstoredb';
import { startThrowawayPostgres, type ThrowawayPostgres } from '@rewind/testing/postgres';

// The server set-ups, chosen by environment variables alone: events in EventStoreDB and read models in
// PostgreSQL (EVENTSTORE_URL + DATABASE_URL), or both in PostgreSQL (DATABASE_URL alone). Here the
// in-process EventStoreDB protocol server (the real client talks to it) and a throwaway PostgreSQL
// cluster stand in for the containers.
const SETUPS = [
  {
    name: 'EventStoreDB + PostgreSQL (EVENTSTORE_URL, DATABASE_URL)',
    withEventStoreDB: true,
    storage:
      /^EventStoreDB esdb:\/\/\S+ \(events\), PostgreSQL postgresql:\/\/postgres:\*\*\*@\S+ \(read models\)$/,
  },
  {
    name: 'PostgreSQL alone (DATABASE_URL)',
    withEventStoreDB: false,
    storage:
      /^PostgreSQL postgresql:\/\/postgres:\*\*\*@\S+ \(events\), PostgreSQL postgresql:\/\/postgres:\*\*\*@\S+ \(read models\)$/,
  },
];

describe.each(SETUPS)('the shop on $name', ({ withEventStoreDB, storage }) => {
  let esdb: EventStoreDBTestServer | undefined;
  let pg: ThrowawayPostgres;
  let dataDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'energy-bar-shop-servers-'));
    [esdb, pg] = await Promise.all([
      withEventStoreDB ? EventStoreDBTestServer.start() : undefined,
      startThrowawayPostgres(),
    ]);
    // The cluster trusts local connections; the password is there to check it is never printed.
    env = {
      ...(esdb ? { EVENTSTORE_URL: esdb.connectionString } : {}),
      DATABASE_URL: pg.url.replace('//postgres@', '//postgres:s3cret@'),
    };
  }, 60_000);
  afterAll(async () => {
    await Promise.all([esdb?.stop(), pg?.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('runs the whole choreography there, writes nothing to the data directory, and survives a restart', async () => {
    const gateway = new FakeCardGateway();
    let shop: Shop = await createShop({ dataDir, env, gateway });
    try {
      expect(shop.eventStore).toBeInstanceOf(withEventStoreDB ? EventStoreDBEventStore : PostgresEventStore);
      expect(shop.readModelStore).toBeInstanceOf(PostgresReadModelStore);
      expect(shop.storage).toMatch(storage);
      await shop.execute(AddProduct.of(MENU_ID, 'energy-bar', 'energy bar', 2500));
      await shop.execute(
        PlaceOrder.of('1001', 'Jisoo', '12 Gangnam-daero', 'card-4242', [
          OrderLineRequest.of('energy-bar', 2),
        ]),
      );
      await shop.execute(
        PlaceOrder.of('1002', 'Minho', '3 Itaewon-ro', 'card-0002', [OrderLineRequest.of('energy-bar', 1)]),
      );
      await shop.execute(StartTicket.of('1001', 'Hana'));
      await shop.execute(FinishTicket.of('1001'));
      await shop.execute(RenameProduct.of(MENU_ID, 'energy-bar', 'energy bar+'));
      await shop.execute(ConfirmDelivery.of('1001'));
      expect((await shop.queries.orders()).map((o) => [o.orderId, o.status, o.items[0]!.name])).toEqual([
        ['1001', 'delivered', 'energy bar+'],
        ['1002', 'cancelled', 'energy bar+'],
      ]);
      expect(gateway.charges).toBe(2);
      expect(shop.storage).not.toContain('s3cret');
      expect(readdirSync(dataDir)).toEqual([]);
    } finally {
      await shop.close();
    }

    const restartedGateway = new FakeCardGateway();
    shop = await createShop({ dataDir, env, gateway: restartedGateway });
    try {
      await shop.settle();
      expect(restartedGateway.calls).toBe(0);
      expect((await shop.repository.load(Order, '1001')).status).toBe('completed');
      expect((await shop.queries.sales())[0]).toMatchObject({
        name: 'energy bar+',
        quantity: 2,
        revenue: 5000,
      });
      const rebuilt = await shop.rebuild('order-summaries');
      expect(rebuilt.processed).toBeGreaterThan(0);
      expect((await shop.queries.order('1002'))?.status).toBe('cancelled');
    } finally {
      await shop.close();
    }
  }, 60_000);
});
