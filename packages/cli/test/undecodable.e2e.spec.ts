import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRewind } from '@rewind/core';
import { ProjectionEngine } from '@rewind/projections';
import { SqliteEventStore, SqliteReadModelStore } from '@rewind/sqlite';
import { Order } from './fixtures/shop/order';
import { OrderSummary } from './fixtures/shop/orderSummary';
import { FIXTURE_CONFIG, runCli } from './support/runCli';
import { seedShop } from './support/seedShop';

jest.setTimeout(120_000);

describe('an event whose stored data is not JSON (the file was changed outside Rewind)', () => {
  let dir: string;
  const rewind = (args: string[]) =>
    runCli(['--config', FIXTURE_CONFIG, ...args], { env: { REWIND_DATA_DIR: dir } });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rewind-cli-bad-'));
    await seedShop(dir);
    const eventStore = SqliteEventStore.open(join(dir, 'events.db'));
    eventStore.database.prepare("UPDATE rewind_events SET data = '{not json' WHERE position = 3").run();
    await eventStore.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is named by its position when a rebuild meets it, not blamed on an unreachable store', async () => {
    const run = await rewind(['rebuild', 'order-summary', '--yes']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /The event at position 3 \(shop\.order\.item-added at order-o-1@2\) cannot be decoded/,
    );
    expect(run.stderr).not.toContain('Check that the store is running');
  });

  it('is parked by a running projection, which goes on; the CLI lists it as a dead letter', async () => {
    const eventStore = SqliteEventStore.open(join(dir, 'events.db'));
    const store = SqliteReadModelStore.open(join(dir, 'readmodels.db'));
    const { events } = createRewind({ eventStore, aggregates: [Order] });
    // the served model was built before the row went bad: start it over from the log
    const engine = new ProjectionEngine({ eventStore, events, store, processors: [OrderSummary] });
    await store.transaction('order-summary@v1', async (tx) => {
      for (const { key } of await tx.collection('orders').find()) await tx.collection('orders').delete(key);
      await tx.setCheckpoint({ commit: 0n, prepare: 0n });
    });
    engine.start();
    try {
      await engine.waitForHead();
      expect((await engine.status('order-summary'))[0]!.lastError).toMatch(
        /The event at position 3 .*cannot be decoded/,
      );
    } finally {
      await engine.stop();
      await store.close();
      await eventStore.close();
    }
    const run = await rewind(['--json', 'dead-letters', 'list', 'order-summary']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).deadLetters).toEqual([
      expect.objectContaining({
        streamId: 'order-o-1',
        revision: '2',
        position: '3',
        eventType: 'shop.order.item-added',
      }),
    ]);
    const orders = JSON.parse(
      (await rewind(['--json', 'readmodel', 'order-summary', '--collection', 'orders'])).stdout,
    );
    expect(orders.collections.orders).toHaveProperty('o-2'); // the events after it were applied
  });
});
