import { AttributeNames, SpanNames, TRACEPARENT_KEY } from '@rewind/core';
import { printTrace, startTracing, type Tracing } from '@rewind/energy-bar-shop';
import { collect } from '@rewind/testing';
import { openShop, placeOrder } from './shopFixture';

describe('tracing the shop', () => {
  let tracing: Tracing;
  beforeEach(() => {
    tracing = startTracing('memory')!;
  });
  afterEach(() => tracing.shutdown());

  it('follows one order across the services in one trace: placed, then payment, kitchen and delivery reacting', async () => {
    const shop = await openShop();
    await placeOrder(shop, '2001', 'card-4242', ['energy-bar', 2]);
    const spans = tracing.spans();
    const place = spans.find(
      (s) => s.name === SpanNames.command && s.attributes[AttributeNames.commandType] === 'PlaceOrder',
    )!;
    expect(place.parentSpanContext).toBeUndefined();
    const traceId = place.spanContext().traceId;
    const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);
    const reactors = new Set(
      inTrace
        .filter((s) => s.name === SpanNames.reactorHandle)
        .map((s) => s.attributes[AttributeNames.projection]),
    );
    expect([...reactors].sort()).toEqual([
      'delivery-reactor',
      'kitchen-reactor',
      'order-reactor',
      'payment-reactor',
    ]);
    const commands = inTrace
      .filter((s) => s.name === SpanNames.command)
      .map((s) => s.attributes[AttributeNames.commandType]);
    expect(commands).toEqual(
      expect.arrayContaining(['PlaceOrder', 'RequestPayment', 'OpenTicket', 'ScheduleDelivery']),
    );
    // Every event of the order carries the trace context of the command that appended it.
    const events = await collect(shop.eventStore.readStream('order-2001'));
    for (const event of events) expect(String(event.metadata[TRACEPARENT_KEY])).toContain(traceId);

    const tree = printTrace(spans, traceId);
    expect(tree.split('\n')[0]).toMatch(/^rewind\.command {2}\(command\.type=PlaceOrder/);
    expect(tree).toMatch(/\n {2,}rewind\.reactor\.handle {2}\(projection=payment-reactor/);
    if (process.env['PRINT_TRACE']) process.stdout.write(`${tree}\n`);
  });
});
