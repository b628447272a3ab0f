import { randomUUID } from 'node:crypto';
import { ProjectionError, serializePosition } from '@rewind/core';
import {
  InMemoryReadModelStore,
  On,
  Projection,
  ProjectionEngine,
  rebuildProjection,
  type ProjectionContext,
} from '@rewind/projections';
import { ItemAdded } from '../src/gettingStarted';
import { expectRebuildEquivalent } from '@rewind/testing';
import { AddItem, CheckOut } from '../src/gettingStarted';
import { createShop as createDocsShop, faults, observe, operate, topSellers } from '../src/projections';

const add = (cartId: string, sku: string, quantity: number) => ({ cartId, sku, quantity });

/** Every engine a test starts is stopped after it, also when the test fails half-way. */
const started: ProjectionEngine[] = [];
function createShop(...args: Parameters<typeof createDocsShop>) {
  const shop = createDocsShop(...args);
  started.push(shop.projections);
  return shop;
}

describe('projections and reactors', () => {
  afterEach(async () => {
    faults.rejectSku = undefined;
    await Promise.all(started.splice(0).map((engine) => engine.stop()));
  });

  it('builds a read model and answers filtered, ordered queries', async () => {
    const { rewind, projections } = createShop();
    const [a, b] = [randomUUID(), randomUUID()];
    await rewind.commandBus.executePlain(AddItem, add(a, 'energy-bar', 2));
    await rewind.commandBus.executePlain(AddItem, add(b, 'energy-bar', 1));
    await rewind.commandBus.executePlain(AddItem, add(b, 'protein-bar', 5));
    await rewind.commandBus.executePlain(AddItem, add(b, 'gum', 1));
    await projections.waitForHead();
    expect(await topSellers(projections)).toEqual([
      { key: 'protein-bar', doc: { sku: 'protein-bar', units: 5 } },
      { key: 'energy-bar', doc: { sku: 'energy-bar', units: 3 } },
    ]);
    await expectRebuildEquivalent(projections, 'sales-per-sku');
    await projections.stop();
  });

  it('reacts only to events after its first start, once per event', async () => {
    const { rewind, projections, mailer } = createShop();
    await projections.stop();
    const before = randomUUID();
    await rewind.commandBus.executePlain(AddItem, add(before, 'bar', 1));
    await rewind.commandBus.executePlain(CheckOut, { cartId: before });
    const fresh = createShop({ eventStore: rewind.eventStore });
    await fresh.projections.runner('checkout-mailer').caughtUp();
    const after = randomUUID();
    await fresh.rewind.commandBus.executePlain(AddItem, add(after, 'bar', 1));
    await fresh.rewind.commandBus.executePlain(CheckOut, { cartId: after });
    await fresh.projections.waitForHead();
    expect([...fresh.mailer.sent.values()]).toEqual([`Cart ${after} is checked out.`]);
    expect([...fresh.mailer.sent.keys()][0]).toMatch(/^checkout-mailer:/);
    expect(mailer.sent.size).toBe(0);
    await expect(rebuildProjection(fresh.projections, 'checkout-mailer')).rejects.toBeInstanceOf(
      ProjectionError,
    );
    await fresh.projections.stop();
  });

  it('parks a failing event, goes on, and retries it after the fix', async () => {
    const { rewind, projections } = createShop();
    const cart = randomUUID();
    faults.rejectSku = 'poison';
    await rewind.commandBus.executePlain(AddItem, add(cart, 'poison', 1));
    await rewind.commandBus.executePlain(AddItem, add(cart, 'bar', 1));
    await projections.waitForHead();
    const sales = projections.query('sales-per-sku').collection('sales');
    expect(await sales.get('bar')).toEqual({ sku: 'bar', units: 1 });
    expect(await sales.get('poison')).toBeUndefined();
    const [status] = await projections.status('sales-per-sku');
    expect(status!.deadLetters).toBe(1);
    expect(status!.state).toBe('running');
    expect(status!.eventsBehind).toBe(0);
    faults.rejectSku = undefined;
    const { letters } = await operate(projections);
    expect(letters).toHaveLength(1);
    expect(letters[0]!.attempts).toBe(3);
    expect(letters[0]!.error).toMatch(/sku poison is not for sale/);
    expect(await sales.get('poison')).toEqual({ sku: 'poison', units: 1 });
    expect(await projections.deadLetters()).toEqual([]);
    await projections.stop();
  });

  it('tells observers what it does: state changes, commits, parked events', async () => {
    const { rewind, projections } = createShop();
    const seen: Array<{ level: string; message: string; fields: Record<string, unknown> }> = [];
    const record = (level: string) => (message: string, fields: object) =>
      seen.push({ level, message, fields: fields as Record<string, unknown> });
    const stopObserving = observe(projections, { info: record('info'), warn: record('warn') });
    try {
      await projections.runner('sales-per-sku').caughtUp();
      faults.rejectSku = 'poison';
      const cart = randomUUID();
      await rewind.commandBus.executePlain(AddItem, add(cart, 'poison', 1)); // position 1
      await rewind.commandBus.executePlain(AddItem, add(cart, 'bar', 2));
      await rewind.commandBus.executePlain(AddItem, add(cart, 'bar', 1));
      await projections.waitForHead();
      const head = serializePosition((await rewind.eventStore.headPosition())!);

      const sales = seen.filter((e) => e.fields.projection === 'sales-per-sku');
      expect(
        sales.filter((e) => e.message === 'projection state').map((e) => [e.fields.previous, e.fields.state]),
      ).toEqual([
        ['starting', 'catching-up'],
        ['catching-up', 'running'],
      ]);
      const commits = sales.filter((e) => e.message === 'batch committed');
      expect(commits.reduce((n, e) => n + (e.fields.count as number), 0)).toBe(2); // the bars; not the parked one
      expect(commits.at(-1)!.fields).toMatchObject({ position: head, replay: false });
      expect(commits.every((e) => typeof e.fields.durationMs === 'number')).toBe(true);
      expect(seen.filter((e) => e.level === 'warn')).toEqual([
        {
          level: 'warn',
          message: 'event parked',
          fields: { projection: 'sales-per-sku', position: '1', error: 'Error: sku poison is not for sale' },
        },
      ]);
      stopObserving();
    } finally {
      await projections.stop();
    }
    expect(seen.some((e) => e.fields.state === 'stopped')).toBe(false); // no longer listening
  });

  it('pauses and resumes', async () => {
    const { rewind, projections } = createShop();
    const cart = randomUUID();
    await projections.waitForHead();
    await projections.pause('sales-per-sku'); // resolves once the runner rests
    await rewind.commandBus.executePlain(AddItem, add(cart, 'bar', 1));
    const sales = projections.query('sales-per-sku').collection('sales');
    expect(await sales.get('bar')).toBeUndefined();
    expect((await projections.status('sales-per-sku'))[0]).toMatchObject({
      paused: true,
      state: 'paused',
      eventsBehind: 1,
    });
    await projections.resume('sales-per-sku');
    await projections.waitForHead();
    expect(await sales.get('bar')).toEqual({ sku: 'bar', units: 1 });
    await projections.stop();
  });

  it('runs one runner per projection across processes; a standby takes over', async () => {
    const store = new InMemoryReadModelStore();
    const first = createShop({ store, owner: 'instance-a' });
    const second = createShop({ store, eventStore: first.rewind.eventStore, owner: 'instance-b' });
    await first.rewind.commandBus.executePlain(AddItem, add(randomUUID(), 'bar', 1));
    await first.projections.waitForHead();
    for (let i = 0; i < 1000 && second.projections.runner('sales-per-sku').status().state !== 'standby'; i++)
      await new Promise((r) => setTimeout(r, 10)); // until it has tried the lease
    expect(second.projections.runner('sales-per-sku').status().state).toBe('standby');
    expect((await second.projections.status('sales-per-sku'))[0]!.lockHolder).toBe('instance-a');
    await first.projections.stop(); // releases its locks; a crashed process's lease lapses after lockTtlMs
    await first.rewind.commandBus.executePlain(AddItem, add(randomUUID(), 'bar', 2));
    await second.projections.runner('sales-per-sku').caughtUp(5000);
    await second.projections.waitForHead(5000);
    expect(await second.projections.query('sales-per-sku').collection('sales').get('bar')).toEqual({
      sku: 'bar',
      units: 3,
    });
    await second.projections.stop();
  });
});

describe('projection versions', () => {
  it('builds a bumped version in its own namespace and swaps it in once caught up', async () => {
    const { rewind, projections } = createShop();
    const store = projections.context.store;
    await rewind.commandBus.executePlain(AddItem, add(randomUUID(), 'bar', 1));
    await projections.waitForHead();
    await projections.stop();
    expect(await store.servedNamespace('sales-per-sku')).toBe('sales-per-sku@v1');

    @Projection('sales-per-sku', { version: 2 })
    class SalesV2 {
      @On(ItemAdded)
      async itemAdded(event: ItemAdded, ctx: ProjectionContext): Promise<void> {
        await ctx.collection('sales').put(event.sku, { sku: event.sku, units: event.quantity, v: 2 });
      }
    }
    const v2 = new ProjectionEngine({
      eventStore: rewind.eventStore,
      events: rewind.events,
      store,
      processors: [SalesV2],
    });
    // until v2 has caught up, readers keep the complete v1 model
    expect(await v2.query('sales-per-sku').collection('sales').get('bar')).toEqual({ sku: 'bar', units: 1 });
    v2.start();
    await v2.runner('sales-per-sku').caughtUp();
    expect(await store.servedNamespace('sales-per-sku')).toBe('sales-per-sku@v2');
    expect(await v2.query('sales-per-sku').collection('sales').get('bar')).toEqual({
      sku: 'bar',
      units: 1,
      v: 2,
    });
    expect((await store.listNamespaces()).map((n) => n.namespace)).not.toContain('sales-per-sku@v1');
    await v2.stop();
  });
});
