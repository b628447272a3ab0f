import { describe, expect, it } from '@jest/globals';
import { On, Projection, type ProjectionContext } from '@rewind/projections';
import { contractApp, Counted } from './fixtures';
import type { EngineHarness } from './harness';

@Projection('totals', { version: 1 })
class TotalsV1 {
  @On(Counted)
  async counted(event: Counted, ctx: ProjectionContext): Promise<void> {
    const current = await ctx.collection<{ total: number }>('totals').get(event.key);
    await ctx.collection('totals').put(event.key, { total: (current?.total ?? 0) + event.by });
  }
}

// Version 2 changes the shape: it also counts events.
@Projection('totals', { version: 2 })
class TotalsV2 {
  @On(Counted)
  async counted(event: Counted, ctx: ProjectionContext): Promise<void> {
    const current = await ctx.collection<{ total: number; events: number }>('totals').get(event.key);
    await ctx
      .collection('totals')
      .put(event.key, { total: (current?.total ?? 0) + event.by, events: (current?.events ?? 0) + 1 });
  }
}

/** A projection whose version is bumped builds anew beside the old one and swaps in when caught up. */
export function describeVersions(h: EngineHarness): void {
  describe('versions', () => {
    it('build the new version in its own namespace while readers keep the old one, then swap and drop the old', async () => {
      const shop = contractApp();
      const store = await h.store();
      for (let i = 0; i < 30; i++) await shop.append(`c-${i % 3}`, new Counted(`k${i % 3}`, 2));
      const v1 = h.engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store,
        processors: [TotalsV1],
      });
      v1.start();
      await v1.waitForHead();
      await v1.stop();
      expect(await store.servedNamespace('totals')).toBe('totals@v1');
      const v2 = h.engine({
        eventStore: shop.eventStore,
        events: shop.events,
        store,
        processors: [TotalsV2],
      });
      // Readers see the complete v1 model until v2 has caught up: never an empty or half-built one.
      expect(await v2.query('totals').collection('totals').get('k0')).toEqual({ total: 20 });
      const swapped = new Promise((resolve) => v2.on('rebuild-swapped', resolve));
      v2.start();
      await v2.runner('totals').caughtUp();
      expect(await swapped).toMatchObject({
        projection: 'totals',
        namespace: 'totals@v2',
        replaced: 'totals@v1',
      });
      expect(await store.servedNamespace('totals')).toBe('totals@v2');
      expect(await v2.query('totals').collection('totals').get('k0')).toEqual({ total: 20, events: 10 });
      expect((await store.listNamespaces()).map((n) => n.namespace)).not.toContain('totals@v1');
      await shop.append('c-0', new Counted('k0', 1));
      await v2.waitForHead();
      expect(await v2.query('totals').collection('totals').get('k0')).toEqual({ total: 21, events: 11 });
    });
  });
}
