import {
  InMemoryReadModelStore,
  On,
  Projection,
  ProjectionEngine,
  type ProjectionContext,
} from '@rewind/projections';
import { app, Counted } from './fixtures/counter';

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

describe('bumping a projection version', () => {
  it('builds the new version in its own namespace while readers keep the old one, then swaps and drops the old', async () => {
    const shop = app();
    const store = new InMemoryReadModelStore();
    for (let i = 0; i < 30; i++) await shop.append(`c-${i % 3}`, new Counted(`k${i % 3}`, 2));
    const v1 = new ProjectionEngine({
      eventStore: shop.eventStore,
      events: shop.events,
      store,
      processors: [TotalsV1],
    });
    v1.start();
    await v1.waitForHead();
    await v1.stop();
    expect(await store.servedNamespace('totals')).toBe('totals@v1');

    const v2 = new ProjectionEngine({
      eventStore: shop.eventStore,
      events: shop.events,
      store,
      processors: [TotalsV2],
    });
    // Readers see the complete v1 model until v2 has caught up: never an empty or half-built one.
    expect(await v2.query('totals').collection('totals').get('k0')).toEqual({ total: 20 });
    v2.start();
    await v2.runner('totals').caughtUp();
    expect(await store.servedNamespace('totals')).toBe('totals@v2');
    expect(await v2.query('totals').collection('totals').get('k0')).toEqual({ total: 20, events: 10 });
    expect((await store.listNamespaces()).map((n) => n.namespace)).not.toContain('totals@v1');
    await shop.append('c-0', new Counted('k0', 1));
    await v2.waitForHead();
    expect(await v2.query('totals').collection('totals').get('k0')).toEqual({ total: 21, events: 11 });
    await v2.stop();
  });
});
