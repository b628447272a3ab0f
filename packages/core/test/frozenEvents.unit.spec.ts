import {
  Aggregate,
  AggregateRoot,
  createRewind,
  DomainEvent,
  EventRegistry,
  EventSourcingHandler,
  InMemoryEventStore,
} from '@rewind/core';

// The in-memory store hands every reader the same frozen events (no copy per read); what handlers
// receive must still be theirs to change, as with every other store.

@DomainEvent('frozen.opened')
class Opened {
  constructor(
    readonly lines: { sku: string; qty: number }[],
    readonly owner: { name: string },
  ) {}
}

@DomainEvent('frozen.line-added')
class LineAdded {
  constructor(readonly sku: string) {}
}

@Aggregate('frozencart')
class Cart extends AggregateRoot {
  lines: { sku: string; qty: number }[] = [];
  owner: { name: string } = { name: '' };

  @EventSourcingHandler(Opened) onOpened(event: Opened) {
    this.lines = event.lines; // keeps the event's own array
    this.owner = event.owner;
  }

  @EventSourcingHandler(LineAdded) onLineAdded(event: LineAdded) {
    this.lines.push({ sku: event.sku, qty: 1 }); // and changes it later
    this.lines[0]!.qty++;
    this.owner.name = this.owner.name.toUpperCase();
  }
}

const metadata = {
  schemaVersion: 1,
  correlationId: 'c',
  causationId: 'c',
  occurredAt: '2026-01-01T00:00:00.000Z',
};

describe('events read from the in-memory store', () => {
  it('are frozen in the store, and handlers get events they can change, loaded as often as wanted', async () => {
    const store = new InMemoryEventStore();
    await store.append('frozencart-1', [
      { type: 'frozen.opened', data: { lines: [{ sku: 'bar', qty: 1 }], owner: { name: 'ann' } }, metadata },
      { type: 'frozen.line-added', data: { sku: 'gel' }, metadata },
    ]);
    const { repository } = createRewind({ eventStore: store, aggregates: [Cart] });
    for (let load = 0; load < 2; load++) {
      const cart = await repository.load(Cart, '1');
      expect(cart.lines).toEqual([
        { sku: 'bar', qty: 2 },
        { sku: 'gel', qty: 1 },
      ]);
      expect(cart.owner).toEqual({ name: 'ANN' });
    }
    const [stored] = (await (async () => {
      const all = [];
      for await (const e of store.readStream('frozencart-1')) all.push(e);
      return all;
    })()) as { data: { lines: unknown[] } }[];
    expect(Object.isFrozen(stored!.data.lines)).toBe(true);
    expect(stored!.data.lines).toEqual([{ sku: 'bar', qty: 1 }]);
    await store.close();
  });

  it('decode Dates and bigints recorded in $types into a copy, never into the stored event', async () => {
    const store = new InMemoryEventStore();
    await store.append('frozencart-2', [
      {
        type: 'frozen.opened',
        data: { lines: [], owner: { name: 'ann' }, at: '2026-01-02T00:00:00.000Z' },
        metadata: { ...metadata, $types: { '/at': 'date' } },
      },
    ]);
    const registry = new EventRegistry([Opened, LineAdded]);
    for await (const recorded of store.readStream('frozencart-2')) {
      const envelope = registry.decode<Opened & { at: Date }>(recorded)!;
      expect(envelope.event.at).toBeInstanceOf(Date);
      expect((recorded.data as { at: unknown }).at).toBe('2026-01-02T00:00:00.000Z');
    }
    await store.close();
  });
});
