import { randomUUID } from 'node:crypto';
import {
  AttributeNames,
  createRewind,
  InMemoryEventStore,
  MetricNames,
  SpanNames,
  TRACEPARENT_KEY,
  type RewindLogger,
} from '@rewind/core';
import {
  InMemoryReadModelStore,
  On,
  Projection,
  ProjectionEngine,
  Reactor,
  rebuildProjection,
  type ProjectionContext,
  type ProjectionTelemetryOptions,
} from '@rewind/projections';
import { collect } from '@rewind/testing';
import {
  Order,
  OrderLine,
  OrderPaid,
  OrderPlaced,
  PayOrder,
  PlaceOrder,
} from '../../core/test/fixtures/order';
import { recordTelemetry, sumOf, type TelemetryRecorder } from '../../core/test/support/telemetrySdk';

@Projection('placed-orders', { batchSize: 100 })
class PlacedOrders {
  @On(OrderPlaced)
  async placed(event: OrderPlaced, ctx: ProjectionContext): Promise<void> {
    await ctx.collection('orders').put(event.orderId, { total: event.total });
  }
}

@Projection('picky', { retries: 0 })
class Picky {
  @On(OrderPaid)
  paid(): void {
    throw new Error('cannot handle payments');
  }
}

function memoryLogger(): RewindLogger & { entries: [string, string, Record<string, unknown>][] } {
  const entries: [string, string, Record<string, unknown>][] = [];
  const at =
    (level: string) =>
    (fields: object | string, message?: string): void =>
      void entries.push(
        typeof fields === 'string'
          ? [level, fields, {}]
          : [level, message ?? '', fields as Record<string, unknown>],
      );
  return { entries, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

const engines: ProjectionEngine[] = [];
let telemetry: TelemetryRecorder;
beforeEach(() => {
  telemetry = recordTelemetry();
});
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.stop()));
  await telemetry.shutdown();
});

function shop(options: { telemetry?: ProjectionTelemetryOptions; processors?: (new () => object)[] } = {}) {
  const eventStore = new InMemoryEventStore();
  const rewind = createRewind({ eventStore, aggregates: [Order] });
  @Reactor('payments', { startFrom: 'beginning' })
  class Payments {
    @On(OrderPlaced)
    async placed(event: OrderPlaced): Promise<void> {
      await rewind.commandBus.execute(PayOrder.of(event.orderId, event.total));
    }
  }
  const logger = memoryLogger();
  const engine = new ProjectionEngine({
    eventStore,
    events: rewind.events,
    store: new InMemoryReadModelStore(),
    processors: options.processors ?? [PlacedOrders, Payments],
    logger,
    ...(options.telemetry ? { telemetry: options.telemetry } : {}),
  });
  engines.push(engine);
  return { ...rewind, engine, logger, eventStore };
}

const place = (commandBus: { execute(c: object): Promise<unknown> }, id = randomUUID()) =>
  commandBus.execute(PlaceOrder.of(id, [new OrderLine('bar', 1)], 5)).then(() => id);

describe('projection telemetry', () => {
  it("links a projection's batch to the appends of its events, and a reactor's commands join the order's trace", async () => {
    const { commandBus, engine, eventStore } = shop();
    const id = await place(commandBus);
    engine.start();
    await engine.waitForHead();
    // The payment appended by the reactor is handled too: wait until the log is quiet.
    await engine.waitForHead();

    const placeCommand = telemetry
      .spansNamed(SpanNames.command)
      .find((s) => s.attributes[AttributeNames.commandType] === 'PlaceOrder')!;
    const traceId = placeCommand.spanContext().traceId;
    const append = telemetry
      .spansNamed(SpanNames.append)
      .find((s) => s.parentSpanContext?.spanId === placeCommand.spanContext().spanId)!;
    const [placed] = await collect(eventStore.readStream(`testorder-${id}`));
    expect(placed!.metadata[TRACEPARENT_KEY]).toBe(`00-${traceId}-${append.spanContext().spanId}-01`);

    const batch = telemetry
      .spansNamed(SpanNames.projectionBatch)
      .find((s) => s.attributes[AttributeNames.projection] === 'placed-orders')!;
    expect(batch.attributes).toMatchObject({
      'messaging.operation.type': 'process',
      'messaging.consumer.group.name': 'placed-orders',
      'messaging.batch.message_count': 1,
      [AttributeNames.replay]: false,
    });
    expect(batch.links.map((l) => l.context.spanId)).toEqual([append.spanContext().spanId]);
    expect(batch.links[0]!.context.traceId).toBe(traceId);

    const [reaction] = telemetry.spansNamed(SpanNames.reactorHandle);
    expect(reaction!.spanContext().traceId).toBe(traceId);
    expect(reaction!.parentSpanContext?.spanId).toBe(append.spanContext().spanId);
    expect(reaction!.attributes).toMatchObject({
      [AttributeNames.projection]: 'payments',
      [AttributeNames.eventType]: 'test.order.placed',
      [AttributeNames.streamId]: `testorder-${id}`,
      [AttributeNames.revision]: '0',
    });
    const payCommand = telemetry
      .spansNamed(SpanNames.command)
      .find((s) => s.attributes[AttributeNames.commandType] === 'PayOrder')!;
    expect(payCommand.spanContext().traceId).toBe(traceId);
    expect(payCommand.parentSpanContext?.spanId).toBe(reaction!.spanContext().spanId);

    const sizes = await telemetry.points(MetricNames.batchSize);
    const placedSizes = sizes.filter((p) => p.attributes[AttributeNames.projection] === 'placed-orders');
    expect(placedSizes.reduce((n, p) => n + (p.value as { sum: number }).sum, 0)).toBe(1);
  });

  it('caps the links of a batch and says how many it dropped', async () => {
    const { commandBus, engine } = shop({ telemetry: { maxLinksPerBatch: 2 }, processors: [PlacedOrders] });
    for (let i = 0; i < 5; i++) await place(commandBus);
    engine.start();
    await engine.waitForHead();
    const batches = telemetry.spansNamed(SpanNames.projectionBatch);
    const linked = batches.reduce((n, b) => n + b.links.length, 0);
    const dropped = batches.reduce((n, b) => n + Number(b.attributes[AttributeNames.linksDropped] ?? 0), 0);
    expect(batches.every((b) => b.links.length <= 2)).toBe(true);
    expect(linked + dropped).toBe(5);
    expect(dropped).toBeGreaterThan(0);
  });

  it('logs and counts a parked event with its stream, revision, position, type and error', async () => {
    const { commandBus, engine, logger } = shop({ processors: [Picky] });
    const id = await place(commandBus);
    await commandBus.execute(PayOrder.of(id, 5));
    const parked = new Promise((resolve) => engine.onDeadLetter(resolve));
    engine.start();
    await parked;
    expect(logger.entries).toContainEqual([
      'error',
      'projection parked an event as a dead letter',
      expect.objectContaining({
        projection: 'picky',
        stream: `testorder-${id}`,
        revision: '1',
        position: expect.any(String),
        type: 'test.order.paid',
        error: 'Error: cannot handle payments',
      }),
    ]);
    expect(logger.entries).toContainEqual([
      'info',
      'took over the projection lease: this process runs it',
      expect.objectContaining({ projection: 'picky' }),
    ]);
    expect(
      sumOf(await telemetry.points(MetricNames.deadLetters), { [AttributeNames.projection]: 'picky' }),
    ).toBe(1);
    const [letter] = await engine.deadLetters('picky');
    await expect(engine.retryDeadLetter(letter!.id)).rejects.toThrow(/still fails/);
    expect(logger.entries).toContainEqual([
      'warn',
      'dead letter retried: still fails, stays parked',
      expect.objectContaining({ projection: 'picky', deadLetter: letter!.id, stream: `testorder-${id}` }),
    ]);
  });

  it('reports lag in events and time as gauges, from the status', async () => {
    const { commandBus, engine } = shop({ processors: [PlacedOrders] });
    engine.start();
    await engine.waitForHead();
    await engine.pause('placed-orders');
    await place(commandBus);
    await place(commandBus);
    const lagEvents = await telemetry.points(MetricNames.projectionLagEvents);
    expect(lagEvents.find((p) => p.attributes[AttributeNames.projection] === 'placed-orders')?.value).toBe(2);
    const [status] = await engine.status('placed-orders');
    expect(status!.eventsBehind).toBe(2);
    // Lag in time grows from the first unhandled event's recorded time: wait until a millisecond passed.
    let behindMs = status!.behindMs!;
    while (behindMs === 0) behindMs = (await engine.status('placed-orders'))[0]!.behindMs!;
    expect(behindMs).toBeGreaterThan(0);
    const lagTime = await telemetry.points(MetricNames.projectionLagTime);
    expect(lagTime.find((p) => p.attributes[AttributeNames.projection] === 'placed-orders')?.value).toEqual(
      expect.any(Number),
    );
    await engine.resume('placed-orders');
    await engine.waitForHead();
    const [after] = await engine.status('placed-orders');
    expect(after).toMatchObject({ eventsBehind: 0, behindMs: 0 });
    const caughtUp = await telemetry.points(MetricNames.projectionLagEvents);
    expect(caughtUp.find((p) => p.attributes[AttributeNames.projection] === 'placed-orders')?.value).toBe(0);
  });

  it('traces a rebuild as one span, with no span per replayed event or batch by default', async () => {
    const { commandBus, engine, logger } = shop({ processors: [PlacedOrders] });
    for (let i = 0; i < 3; i++) await place(commandBus);
    const before = telemetry.spans().length;
    await rebuildProjection(engine, 'placed-orders', { batchSize: 1 });
    const spans = telemetry.spans().slice(before);
    expect(spans.map((s) => s.name)).toEqual([SpanNames.rebuild]);
    expect(spans[0]!.attributes).toMatchObject({
      [AttributeNames.projection]: 'placed-orders',
      [AttributeNames.processed]: 3,
      [AttributeNames.replay]: true,
    });
    expect(
      sumOf(await telemetry.points(MetricNames.rebuildEvents), {
        [AttributeNames.projection]: 'placed-orders',
      }),
    ).toBe(3);
    expect(logger.entries.map(([, message]) => message)).toEqual(
      expect.arrayContaining([
        'rebuild started',
        'rebuild swapped: readers now see the new read model',
        'rebuild finished',
      ]),
    );
  });

  it("traces each replayed batch when asked (replaySpans: 'batch')", async () => {
    const { commandBus, engine } = shop({ processors: [PlacedOrders], telemetry: { replaySpans: 'batch' } });
    for (let i = 0; i < 3; i++) await place(commandBus);
    await rebuildProjection(engine, 'placed-orders', { batchSize: 1 });
    const batches = telemetry.spansNamed(SpanNames.projectionBatch);
    expect(batches).toHaveLength(3);
    expect(batches.every((b) => b.attributes[AttributeNames.replay] === true)).toBe(true);
    const [rebuild] = telemetry.spansNamed(SpanNames.rebuild);
    expect(batches.every((b) => b.parentSpanContext?.spanId === rebuild!.spanContext().spanId)).toBe(true);
  });

  it('produces no spans when telemetry is off', async () => {
    const { engine, eventStore, events } = shop({
      processors: [PlacedOrders],
      telemetry: { enabled: false },
    });
    const id = randomUUID();
    await eventStore.append(`testorder-${id}`, [
      events.serialize(new OrderPlaced(id, [new OrderLine('bar', 1)], 5, new Date()), {
        correlationId: 'c',
        causationId: 'c',
      }),
    ]);
    engine.start();
    await engine.waitForHead();
    await rebuildProjection(engine, 'placed-orders');
    expect(telemetry.spans()).toEqual([]);
  });
});
