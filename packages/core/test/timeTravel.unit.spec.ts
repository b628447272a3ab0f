import { randomUUID } from 'node:crypto';
import {
  AggregateNotFoundError,
  createRewind,
  InMemoryEventStore,
  InMemorySnapshotStorage,
  ValidationError,
} from '@rewind/core';
import {
  CancelOrder,
  Order,
  OrderCancelled,
  OrderLine,
  OrderPaid,
  OrderPlaced,
  PayOrder,
  PlaceOrder,
} from './fixtures/order';

describe('time travel (Repository)', () => {
  let now = new Date('2026-05-01T12:00:00Z');
  const clock = () => new Date(now);
  const rewind = createRewind({ eventStore: new InMemoryEventStore({ clock }), aggregates: [Order] });
  const id = randomUUID();

  beforeAll(async () => {
    await rewind.commandBus.execute(PlaceOrder.of(id, [new OrderLine('bar', 2)], 10)); // r0 at 12:00
    now = new Date('2026-05-01T12:10:00Z');
    await rewind.commandBus.execute(PayOrder.of(id, 10)); // r1 at 12:10
    now = new Date('2026-05-01T12:20:00Z');
    await rewind.commandBus.execute(CancelOrder.of(id, 'changed mind')); // r2 at 12:20
  });

  it('loads the state at a revision', async () => {
    expect((await rewind.repository.load(Order, id, { revision: 0 })).status).toBe('placed');
    expect((await rewind.repository.load(Order, id, { revision: 1n })).status).toBe('paid');
    expect((await rewind.repository.load(Order, id)).status).toBe('cancelled');
    expect((await rewind.repository.load(Order, id, { revision: 1 })).revision).toBe(1n);
  });

  it('loads the state at a recorded time, and not before the first event', async () => {
    expect((await rewind.repository.load(Order, id, { at: new Date('2026-05-01T12:15:00Z') })).status).toBe(
      'paid',
    );
    await expect(rewind.repository.load(Order, id, { at: new Date('2026-05-01T11:00:00Z') })).rejects.toThrow(
      AggregateNotFoundError,
    );
  });

  it('loads the state at a business time (occurred-at)', async () => {
    // OrderPlaced carries occurredAt = now of the command; all three occurred in order.
    const state = await rewind.repository.load(Order, id, { occurredAt: new Date(Date.now() + 60_000) });
    expect(state.status).toBe('cancelled');
  });

  it('refuses a revision past the end as not found, naming the last revision', async () => {
    const error = await rewind.repository.load(Order, id, { revision: 99 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AggregateNotFoundError);
    expect((error as Error).message).toMatch(/at revision 99: stream "testorder-.*" ends at revision 2/);
    expect((error as Error).message).toMatch(/from 0 to 2/);
    expect(await rewind.repository.find(Order, id, { revision: 99 })).toBeUndefined();
  });

  it('says plainly when an aggregate existed only later than the requested time', async () => {
    const error = await rewind.repository
      .load(Order, id, { at: new Date('2026-05-01T11:00:00Z') })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AggregateNotFoundError);
    const message = (error as Error).message;
    expect(message).toMatch(/as recorded at 2026-05-01T11:00:00.000Z/);
    expect(message).toMatch(/its first event was recorded later/);
    expect(message).not.toMatch(/has no events/);
  });

  it('rejects conflicting or malformed options', async () => {
    await expect(rewind.repository.load(Order, id, { revision: 1, at: new Date() })).rejects.toThrow(
      ValidationError,
    );
    await expect(rewind.repository.load(Order, id, { at: new Date('nope') })).rejects.toThrow(
      /at must be a valid Date/,
    );
  });

  it('yields the history with the state after each event and its diff', async () => {
    const entries = [];
    for await (const entry of rewind.repository.history(Order, id)) entries.push(entry);
    expect(entries.map((e) => [e.revision, e.envelope.type, e.state.status])).toEqual([
      [0n, 'test.order.placed', 'placed'],
      [1n, 'test.order.paid', 'paid'],
      [2n, 'test.order.cancelled', 'cancelled'],
    ]);
    expect(entries[1]!.changes).toEqual(
      expect.arrayContaining([
        { type: 'CHANGE', path: ['status'], value: 'paid', oldValue: 'placed' },
        { type: 'CHANGE', path: ['paid'], value: 10n, oldValue: 0n },
      ]),
    );
    expect(entries[0]!.envelope.recordedAt).toEqual(new Date('2026-05-01T12:00:00Z'));
  });

  it('diffs the first entry of a history from a revision against the state just before it', async () => {
    const entries = [];
    for await (const entry of rewind.repository.history(Order, id, { fromRevision: 1 })) entries.push(entry);
    expect(entries.map((e) => e.revision)).toEqual([1n, 2n]);
    const full = [];
    for await (const entry of rewind.repository.history(Order, id)) full.push(entry);
    expect(entries[0]!.changes).toEqual(full[1]!.changes);
    expect(entries[0]!.changes).toEqual(
      expect.arrayContaining([{ type: 'CHANGE', path: ['status'], value: 'paid', oldValue: 'placed' }]),
    );
    expect(entries[0]!.changes).toHaveLength(2);
  });

  it('bisects to the first revision where a predicate holds', async () => {
    const hit = await rewind.repository.bisect(Order, id, (order) => order.paid > 0n);
    expect(hit?.revision).toBe(1n);
    expect(hit?.envelope.type).toBe('test.order.paid');
    expect(await rewind.repository.bisect(Order, id, (order) => order.total > 100)).toBeUndefined();
  });

  it('throws AggregateNotFoundError for history of an unknown aggregate', async () => {
    const run = async () => {
      for await (const _ of rewind.repository.history(Order, randomUUID())) void _;
    };
    await expect(run()).rejects.toThrow(AggregateNotFoundError);
  });
});

describe('time travel by business time (Repository)', () => {
  // Events are in log order; their business times (occurredAt) are not: a late-arriving fact.
  const rewind = createRewind({ eventStore: new InMemoryEventStore(), aggregates: [Order] });
  const id = randomUUID();
  const at = (hhmm: string) => new Date(`2026-05-01T${hhmm}:00Z`);

  beforeAll(async () => {
    const order = rewind.repository.create(Order, id);
    const raise = (event: object, occurredAt: Date) =>
      (order as unknown as { raise(e: object, o: object): void }).raise(event, { occurredAt });
    raise(new OrderPlaced(id, [new OrderLine('bar', 1)], 10, at('10:00')), at('10:00')); // r0 at 10:00
    raise(new OrderPaid(id, 10n), at('12:00')); // r1 at 12:00
    raise(new OrderCancelled(id, 'recorded late'), at('11:00')); // r2 at 11:00: back-dated
    await rewind.repository.save(order);
  });

  it('applies every event whose business time is at or before T, in log order, skipping later ones', async () => {
    const asOf1130 = await rewind.repository.load(Order, id, { occurredAt: at('11:30') });
    expect(asOf1130.status).toBe('cancelled'); // r0 and r2 occurred by 11:30; r1 did not
    expect(asOf1130.paid).toBe(0n);
    const asOf1030 = await rewind.repository.load(Order, id, { occurredAt: at('10:30') });
    expect(asOf1030.status).toBe('placed');
    const asOfNoon = await rewind.repository.load(Order, id, { occurredAt: at('12:00') });
    expect(asOfNoon.paid).toBe(10n);
  });

  it('says plainly when nothing had occurred by then', async () => {
    const error = await rewind.repository
      .load(Order, id, { occurredAt: at('09:00') })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AggregateNotFoundError);
    const message = (error as Error).message;
    expect(message).toMatch(/as of business time 2026-05-01T09:00:00.000Z/);
    expect(message).toMatch(/none of its 3 events occurred at or before it/);
    expect(message).not.toMatch(/has no events/);
  });
});

describe('snapshots (Repository)', () => {
  it('gives the same state with and without snapshots, and ignores another schema version', async () => {
    const eventStore = new InMemoryEventStore();
    const storage = new InMemorySnapshotStorage();
    const warnings: string[] = [];
    const { Aggregate } = await import('@rewind/core');
    @Aggregate('snaporder', { snapshotEvery: 2 })
    class SnapOrder extends Order {}
    const withSnapshots = createRewind({
      eventStore,
      aggregates: [SnapOrder],
      snapshots: storage,
      snapshotOptions: { onWarning: (m) => warnings.push(m) },
    });
    const plain = createRewind({ eventStore, aggregates: [SnapOrder] });
    const id = randomUUID();
    await withSnapshots.commandBus.execute(PlaceOrder.of(id, [new OrderLine('bar', 1)], 3));
    await withSnapshots.commandBus.execute(PayOrder.of(id, 3));
    await withSnapshots.commandBus.execute(CancelOrder.of(id, 'whatever'));
    const snapshot = await storage.read(`snaporder-${id}`);
    expect(snapshot?.revision).toBe(1n);
    const a = await withSnapshots.repository.load(SnapOrder, id);
    const b = await plain.repository.load(SnapOrder, id);
    expect({ ...a }).toEqual({ ...b });
    expect(a.paid).toBe(3n);
    await storage.write({ ...snapshot!, schemaVersion: 99, state: { status: 'bogus' } });
    expect((await withSnapshots.repository.load(SnapOrder, id)).status).toBe('cancelled');
    expect(warnings.join()).toMatch(/snapshot version 99/);
    await storage.write({ ...snapshot!, state: 'not an object' });
    expect((await withSnapshots.repository.load(SnapOrder, id)).status).toBe('cancelled');
    expect(warnings.join()).toMatch(/corrupt snapshot/);
  });
});

describe('EventStoreSnapshotStorage', () => {
  it('keeps snapshots as events in a companion stream and loads the same state as a full replay', async () => {
    const { Aggregate, EventStoreSnapshotStorage } = await import('@rewind/core');
    @Aggregate('storesnaporder', { snapshotEvery: 2 })
    class StoreSnapOrder extends Order {}
    const eventStore = new InMemoryEventStore();
    const storage = new EventStoreSnapshotStorage(eventStore);
    const withSnapshots = createRewind({ eventStore, aggregates: [StoreSnapOrder], snapshots: storage });
    const plain = createRewind({ eventStore, aggregates: [StoreSnapOrder] });
    const id = randomUUID();
    await withSnapshots.commandBus.execute(PlaceOrder.of(id, [new OrderLine('bar', 1)], 3));
    await withSnapshots.commandBus.execute(PayOrder.of(id, 3));
    await withSnapshots.commandBus.execute(CancelOrder.of(id, 'whatever'));
    expect(await storage.read(`storesnaporder-${randomUUID()}`)).toBeUndefined();
    const snapshot = await storage.read(`storesnaporder-${id}`);
    expect(snapshot).toMatchObject({ revision: 1n, schemaVersion: 1 });
    expect((snapshot!.state as { paid: string }).paid).toBe('3'); // bigint kept as text, revived via $types
    const read = jest.spyOn(eventStore, 'readStreamPages');
    const a = await withSnapshots.repository.load(StoreSnapOrder, id);
    expect(read).toHaveBeenCalledWith(`storesnaporder-${id}`, { fromRevision: 2n });
    const b = await plain.repository.load(StoreSnapOrder, id);
    expect({ ...a }).toEqual({ ...b });
    expect(a.paid).toBe(3n);
  });
});
