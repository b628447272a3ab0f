import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { AddItem } from '../src/gettingStarted';
import { createSqliteShop, topSellers } from '../src/projections';

describe('projections on SQLite', () => {
  it('keeps the log and the read models in files, and survives a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rewind-docs-'));
    try {
      const first = createSqliteShop(dir);
      await first.rewind.commandBus.executePlain(AddItem, {
        cartId: randomUUID(),
        sku: 'energy-bar',
        quantity: 3,
      });
      await first.projections.waitForHead();
      await first.projections.stop();
      await first.projections.context.store.close();
      await first.rewind.eventStore.close();

      const second = createSqliteShop(dir);
      await second.projections.waitForHead();
      expect(await topSellers(second.projections)).toEqual([
        { key: 'energy-bar', doc: { sku: 'energy-bar', units: 3 } },
      ]);
      await second.projections.stop();
      await second.projections.context.store.close();
      await second.rewind.eventStore.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
