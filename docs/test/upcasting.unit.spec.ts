import {
  ConfigurationError,
  createRewind,
  defineUpcaster,
  EventDecodingError,
  InMemoryEventStore,
} from '@rewind/core';
import { collect, testEvent } from '@rewind/testing';
import { createMenu, PriceSet, priceSetV1, Product } from '../src/upcasting';

describe('events and upcasting', () => {
  it('upcasts a version 1 event on read and never rewrites it', async () => {
    const eventStore = new InMemoryEventStore();
    await eventStore.append('product-bar', [testEvent('menu.price-set', { productId: 'bar', price: 2500 })]);
    const { repository } = createMenu(eventStore);
    const product = await repository.load(Product, 'bar');
    expect(product.amount).toBe(2500);
    expect(product.currency).toBe('KRW');
    const [stored] = await collect(eventStore.readStream('product-bar'));
    expect(stored!.data).toEqual({ productId: 'bar', price: 2500 });
    expect(stored!.metadata.schemaVersion).toBe(1);
  });

  it('stores new events at the current version', async () => {
    const { repository, eventStore } = createMenu();
    const product = repository.create(Product, 'bar');
    product.setPrice(3000, 'KRW');
    await repository.save(product);
    const [stored] = await collect(eventStore.readStream('product-bar'));
    expect(stored!.metadata.schemaVersion).toBe(2);
    expect(stored!.data).toEqual({ productId: 'bar', amount: 3000, currency: 'KRW' });
  });

  it('round-trips Dates and bigints', async () => {
    const { repository, eventStore } = createMenu();
    const product = repository.create(Product, 'bar');
    product.scheduleSale(new Date('2026-12-01T09:00:00Z'), 2n ** 60n);
    await repository.save(product);
    const loaded = await repository.load(Product, 'bar');
    expect(loaded.saleStartsAt).toEqual(new Date('2026-12-01T09:00:00Z'));
    expect(loaded.stockUnits).toBe(2n ** 60n);
    const [stored] = await collect(eventStore.readStream('product-bar'));
    expect(stored!.data).toEqual({
      productId: 'bar',
      startsAt: '2026-12-01T09:00:00.000Z',
      stockUnits: '1152921504606846976',
    });
    expect(stored!.metadata.$types).toEqual({ '/startsAt': 'date', '/stockUnits': 'bigint' });
  });

  it('refuses an unknown type unless told to skip it', async () => {
    const eventStore = new InMemoryEventStore();
    await eventStore.append('product-bar', [testEvent('menu.price-set', { productId: 'bar', price: 1 })]);
    await eventStore.append('product-bar', [testEvent('menu.discontinued', {})]);
    await expect(createMenu(eventStore).repository.load(Product, 'bar')).rejects.toThrow(EventDecodingError);
    const tolerant = createRewind({
      eventStore,
      aggregates: [Product],
      upcasters: [priceSetV1],
      unknownEventTypes: 'skip',
    });
    expect((await tolerant.repository.load(Product, 'bar')).amount).toBe(1);
  });

  it('refuses an event written by newer code', async () => {
    const eventStore = new InMemoryEventStore();
    await eventStore.append('product-bar', [
      testEvent('menu.price-set', { productId: 'bar', amount: 1, currency: 'KRW' }, { schemaVersion: 3 }),
    ]);
    await expect(createMenu(eventStore).repository.load(Product, 'bar')).rejects.toThrow(
      /written by newer code/,
    );
  });

  it('refuses a payload missing a field the class requires', async () => {
    const eventStore = new InMemoryEventStore();
    await eventStore.append('product-bar', [
      testEvent('menu.price-set', { productId: 'bar', amount: 1 }, { schemaVersion: 2 }),
    ]);
    await expect(createMenu(eventStore).repository.load(Product, 'bar')).rejects.toThrow(/has no "currency"/);
  });

  it('fails at read time when no upcaster exists at all, at start-up when a chain has a gap', async () => {
    const eventStore = new InMemoryEventStore();
    await eventStore.append('product-bar', [testEvent('menu.price-set', { productId: 'bar', price: 1 })]);
    const noUpcasters = createRewind({ eventStore, aggregates: [Product] });
    await expect(noUpcasters.repository.load(Product, 'bar')).rejects.toThrow(/no upcaster goes from 1 to 2/);
    const tooFar = defineUpcaster(PriceSet, 2, (data) => data);
    expect(() => createRewind({ eventStore, aggregates: [Product], upcasters: [tooFar] })).toThrow(
      ConfigurationError,
    );
  });
});
