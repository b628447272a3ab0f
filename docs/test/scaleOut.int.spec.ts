// The code behind docs/guides/operations.md#scaling-out: read models in PostgreSQL shared by two
// application instances; one runner per projection is active, the other waits as a standby.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { PostgresReadModelStore } from '@rewind/postgres';
import { SqliteEventStore } from '@rewind/sqlite';
import {
  findPostgresBinaries,
  startThrowawayPostgres,
  type ThrowawayPostgres,
} from '@rewind/testing/postgres';
import { AddItem } from '../src/gettingStarted';
import { createShop } from '../src/projections';

(findPostgresBinaries() ? describe : describe.skip)('two instances, read models in PostgreSQL', () => {
  let pg: ThrowawayPostgres;
  let dir: string;
  beforeAll(async () => {
    pg = await startThrowawayPostgres();
    dir = mkdtempSync(join(tmpdir(), 'rewind-docs-scale-'));
  }, 60_000);
  afterAll(async () => {
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps one runner active and fails over to the standby', async () => {
    const connectionString = pg.url;
    const instance = async (owner: string) => {
      // #region postgres
      const store = await PostgresReadModelStore.connect({ connectionString, schema: 'rewind' });
      const eventStore = SqliteEventStore.open({ path: `${dir}/events.db` }); // or EventStoreDBEventStore
      // #endregion
      return { ...createShop({ eventStore, store, owner }), store, eventStore };
    };
    const a = await instance('instance-a');
    const b = await instance('instance-b');
    await a.rewind.commandBus.executePlain(AddItem, { cartId: randomUUID(), sku: 'bar', quantity: 2 });
    await a.projections.waitForHead(10_000);
    // B has tried the lease and stands by (it never runs while A holds it)
    for (let i = 0; i < 1000 && b.projections.runner('sales-per-sku').status().state !== 'standby'; i++)
      await new Promise((r) => setTimeout(r, 10));
    const [status] = await b.projections.status('sales-per-sku');
    expect(status!.lockHolder).toBe('instance-a');
    expect(b.projections.runner('sales-per-sku').status().state).toBe('standby');

    await a.projections.stop();
    await b.rewind.commandBus.executePlain(AddItem, { cartId: randomUUID(), sku: 'bar', quantity: 1 });
    await b.projections.runner('sales-per-sku').caughtUp(10_000);
    await b.projections.waitForHead(10_000);
    expect(await b.projections.query('sales-per-sku').collection('sales').get('bar')).toEqual({
      sku: 'bar',
      units: 3,
    });
    expect((await b.projections.status('sales-per-sku'))[0]!.lockHolder).toBe('instance-b');
    await b.projections.stop();
    for (const i of [a, b]) {
      await i.store.close();
      await i.eventStore.close();
    }
  }, 60_000);
});
