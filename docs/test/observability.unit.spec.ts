import { randomUUID } from 'node:crypto';
import { AttributeNames, silentLogger, SpanNames } from '@rewind/core';
import { startTracing, type Tracing } from '@rewind/energy-bar-shop';
import { AddItem } from '../src/gettingStarted';
import { createObservedShop } from '../src/observability';

describe('logs, traces and metrics (the guide)', () => {
  let tracing: Tracing | undefined;
  const engines: { stop(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.stop()));
    await tracing?.shutdown();
    tracing = undefined;
  });

  const addItem = (cartId: string) => Object.assign(new AddItem(), { cartId, sku: 'bar', quantity: 1 });

  it('logs what the engine does through the logger it is given', async () => {
    const lines: string[] = [];
    const { consoleLogger } = await import('@rewind/core');
    const { rewind, projections } = createObservedShop(consoleLogger({ write: (line) => lines.push(line) }));
    engines.push(projections);
    await rewind.commandBus.execute(addItem(randomUUID()));
    await projections.waitForHead();
    expect(lines.some((l) => /^INFO +took over the projection lease.*projection=cart-traces/.test(l))).toBe(
      true,
    );
  });

  it('keeps the traceparent of the command in the event, for projections to read', async () => {
    tracing = startTracing('memory');
    const { rewind, projections } = createObservedShop(silentLogger);
    engines.push(projections);
    const cartId = randomUUID();
    await rewind.commandBus.execute(addItem(cartId));
    await projections.waitForHead();
    const cart = await projections
      .query('cart-traces')
      .collection<{ traceparent: string }>('carts')
      .get(cartId);
    const append = tracing!.spans().find((s) => s.name === SpanNames.append)!;
    expect(cart?.traceparent).toBe(`00-${append.spanContext().traceId}-${append.spanContext().spanId}-01`);
    const batch = tracing!.spans().find((s) => s.name === SpanNames.projectionBatch)!;
    expect(batch.attributes[AttributeNames.projection]).toBe('cart-traces');
    expect(batch.links[0]!.context.spanId).toBe(append.spanContext().spanId);
  });
});
