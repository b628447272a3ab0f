// The claims of docs/guides/rebuilds.md beyond the walk-through in gettingStarted: resuming and
// starting over, scratch namespace names, business time, and an event that cannot be decoded.
import { randomUUID } from 'node:crypto';
import { createRewind, InMemoryEventStore, ProjectionError, sequencePosition } from '@rewind/core';
import {
  InMemoryReadModelStore,
  On,
  Projection,
  ProjectionEngine,
  rebuildProjection,
  type ProjectionContext,
  type ProjectionEngineEvents,
} from '@rewind/projections';
import { withUndecodableEvent } from '@rewind/testing/jest';
import { AddItem } from '../src/gettingStarted';
import { createShop, faults } from '../src/projections';
import { ItemOrdered, Tab } from '../src/timeTravel';

const add = (cartId: string, sku: string, quantity: number) => ({ cartId, sku, quantity });

/** Items ordered per tab, in log order. */
@Projection('tab-items', { version: 1 })
class TabItemsProjection {
  @On(ItemOrdered)
  async ordered(event: ItemOrdered, ctx: ProjectionContext): Promise<void> {
    const tabs = ctx.collection<{ items: string[] }>('tabs');
    const tab = await tabs.get(ctx.envelope.streamId);
    await tabs.put(ctx.envelope.streamId, { items: [...(tab?.items ?? []), event.item] });
  }
}

/** Engines of the running test: stopped afterwards, whatever the test did. */
const engines: ProjectionEngine[] = [];
function shop(options: Parameters<typeof createShop>[0] = {}) {
  const created = createShop(options);
  engines.push(created.projections);
  return created;
}

describe('rebuilds', () => {
  afterEach(async () => {
    faults.rejectSku = undefined;
    await Promise.all(engines.splice(0).map((engine) => engine.stop()));
  });

  it('resumes an interrupted rebuild and says so; fresh starts over', async () => {
    const { rewind, projections } = shop();
    for (const sku of ['bar', 'gum', 'bar', 'gel'])
      await rewind.commandBus.executePlain(AddItem, add(randomUUID(), sku, 1));
    await projections.waitForHead();
    const interrupt = async () => {
      const served = await projections.context.store.servedNamespace('sales-per-sku');
      faults.rejectSku = 'gum'; // the code of this run is broken: it stops at the second event
      await expect(rebuildProjection(projections, 'sales-per-sku', { batchSize: 1 })).rejects.toThrow(
        /Rebuild of "sales-per-sku" stopped at cart.item-added .* \(position 2\): sku gum is not for sale\. The served read model is untouched/,
      );
      faults.rejectSku = undefined;
      expect(await projections.context.store.servedNamespace('sales-per-sku')).toBe(served);
    };

    await interrupt();
    const started: Array<ProjectionEngineEvents['rebuild-started']> = [];
    projections.on('rebuild-started', (event) => started.push(event));
    const resumed = await rebuildProjection(projections, 'sales-per-sku');
    expect(resumed).toMatchObject({ resumed: true, resumedFrom: sequencePosition(1), processed: 3 });
    expect(started).toEqual([
      expect.objectContaining({ resumed: true, from: sequencePosition(1), namespace: resumed.namespace }),
    ]);

    await interrupt();
    const interrupted = (await projections.context.store.listNamespaces()).filter(
      (n) => n.namespace.includes('#') && n.namespace !== resumed.namespace,
    );
    expect(interrupted).toHaveLength(1);
    // #region fresh
    // The handler is fixed: start over, so that every event goes through the code deployed now.
    const result = await rebuildProjection(projections, 'sales-per-sku', { fresh: true });
    // result.resumed === false; without `fresh` it would be true, with result.resumedFrom
    // #endregion
    expect(result).toMatchObject({ resumed: false, resumedFrom: undefined, processed: 4 });
    const namespaces = (await projections.context.store.listNamespaces()).map((n) => n.namespace);
    expect(namespaces).not.toContain(interrupted[0]!.namespace); // dropped
    expect(await projections.query('sales-per-sku').collection('sales').get('bar')).toEqual({
      sku: 'bar',
      units: 2,
    });
  });

  it('names scratch namespaces after the point they stop at; temporary ones get a suffix of their own', async () => {
    const { rewind, projections } = shop();
    await rewind.commandBus.executePlain(AddItem, add(randomUUID(), 'bar', 1));
    await rewind.commandBus.executePlain(AddItem, add(randomUUID(), 'gel', 1));
    await projections.waitForHead();
    const until = sequencePosition(1);
    const kept = await rebuildProjection(projections, 'sales-per-sku', { until });
    expect(kept).toMatchObject({ namespace: 'sales-per-sku@v1~pos-1', scratch: true, processed: 1 });
    // asked again, it continues that namespace; fresh builds it anew
    const again = await rebuildProjection(projections, 'sales-per-sku', { until });
    expect(again).toMatchObject({ namespace: kept.namespace, resumed: true, processed: 0 });
    const anew = await rebuildProjection(projections, 'sales-per-sku', { until, fresh: true });
    expect(anew).toMatchObject({ namespace: kept.namespace, resumed: false, processed: 1 });
    const look = await rebuildProjection(projections, 'sales-per-sku', { until, temporary: true });
    expect(look.namespace).toMatch(/^sales-per-sku@v1~pos-1-tmp-[0-9a-f]{8}$/);
    const at = await rebuildProjection(projections, 'sales-per-sku', {
      until: new Date('2030-01-02T03:04:05.678Z'),
    });
    expect(at.namespace).toBe('sales-per-sku@v1~at-2030-01-02T030405678Z');
    const store = projections.context.store;
    expect(await store.collection(kept.namespace, 'sales').find()).toEqual([
      { key: 'bar', doc: { sku: 'bar', units: 1 } },
    ]);
    expect(await store.collection(look.namespace, 'sales').find()).toEqual([
      { key: 'bar', doc: { sku: 'bar', units: 1 } },
    ]);
  });

  it('builds a read model by business time: every event that occurred by then, in log order', async () => {
    const rewind = createRewind({ eventStore: new InMemoryEventStore(), aggregates: [Tab] });
    const id = randomUUID();
    const tab = rewind.repository.create(Tab, id);
    tab.open(7, new Date('2026-11-25T09:00:00Z'));
    tab.order('energy bar', 2500, new Date('2026-11-25T09:30:00Z'));
    tab.order('energy gel', 1800, new Date('2026-11-25T09:10:00Z')); // recorded after the bar, occurred before it
    await rewind.repository.save(tab);
    const projections = new ProjectionEngine({
      eventStore: rewind.eventStore,
      events: rewind.events,
      store: new InMemoryReadModelStore(),
      processors: [TabItemsProjection],
    });
    // #region business-time
    const asOf = new Date('2026-11-25T09:15:00Z');
    const past = await rebuildProjection(projections, 'tab-items', { until: asOf, timeBasis: 'occurred' });
    // past.namespace: 'tab-items@v1~occurred-2026-11-25T091500000Z' (scratch: never served)
    const then = await projections.context.store.collection(past.namespace, 'tabs').get(`tab-${id}`);
    // { items: ['energy gel'] }: the bar occurred at 09:30 and is skipped; the gel, recorded after it, counts
    // #endregion
    expect(past.namespace).toBe('tab-items@v1~occurred-2026-11-25T091500000Z');
    expect(then).toEqual({ items: ['energy gel'] });
  });

  it('stops on an event that cannot be decoded, leaving the served model untouched', async () => {
    const eventStore = withUndecodableEvent(new InMemoryEventStore(), sequencePosition(2));
    const { rewind, projections } = shop({ eventStore });
    for (const sku of ['bar', 'gum', 'gel'])
      await rewind.commandBus.executePlain(AddItem, add(randomUUID(), sku, 1));
    await projections.waitForHead();
    // the live runner parked it and went on
    const [letter] = await projections.deadLetters('sales-per-sku');
    expect(letter).toMatchObject({ position: sequencePosition(2), attempts: 1 });
    const message = /^The event at position 2 \(cart\.item-added at cart-\S+@0\) cannot be decoded: /;
    expect(letter!.error).toMatch(/^EventDecodingError: The event at position 2 /);
    expect((await projections.status('sales-per-sku'))[0]!.lastError).toMatch(message);
    const served = await projections.context.store.servedNamespace('sales-per-sku');
    const failure = await rebuildProjection(projections, 'sales-per-sku').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ProjectionError);
    expect((failure as Error).message).toMatch(
      /^Rebuild of "sales-per-sku" stopped: The event at position 2 .* cannot be decoded: .* The served read model is untouched\.$/,
    );
    expect(await projections.context.store.servedNamespace('sales-per-sku')).toBe(served);
  });
});
