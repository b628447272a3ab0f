import {
  ConfirmDelivery,
  Delivery,
  FakeCardGateway,
  FinishTicket,
  KitchenTicket,
  Order,
  Payment,
  StartTicket,
} from '@rewind/energy-bar-shop';
import type { RecordedEvent } from '@rewind/core';
import { openShop, placeOrder } from './shopFixture';

async function eventsOf(
  shop: Awaited<ReturnType<typeof openShop>>,
  orderId: string,
): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  for await (const event of shop.eventStore.readAll()) {
    if (event.streamId.endsWith(`-${orderId}`)) all.push(event);
  }
  return all;
}

describe('choreography between the services', () => {
  it('takes a paid order from placed to completed through reactors alone', async () => {
    const shop = await openShop();
    await placeOrder(shop, '1001', 'card-4242', ['energy-bar', 2]);
    expect((await shop.repository.load(Order, '1001')).status).toBe('paid');
    expect((await shop.repository.load(Payment, '1001')).status).toBe('captured');
    expect((await shop.repository.load(KitchenTicket, '1001')).status).toBe('queued');
    expect((await shop.repository.load(Delivery, '1001')).status).toBe('waiting');

    await shop.execute(StartTicket.of('1001', 'Hana'));
    await shop.execute(FinishTicket.of('1001'));
    const delivery = await shop.repository.load(Delivery, '1001');
    expect(delivery.status).toBe('on-the-road');
    expect(delivery.courier).toBeTruthy();

    await shop.execute(ConfirmDelivery.of('1001'));
    expect((await shop.repository.load(Order, '1001')).status).toBe('completed');
    // Each service's own stream, in order; across services only causes precede effects.
    const byStream = new Map<string, string[]>();
    for (const event of await eventsOf(shop, '1001')) {
      byStream.set(event.streamId, [...(byStream.get(event.streamId) ?? []), event.type]);
    }
    expect(Object.fromEntries(byStream)).toEqual({
      'order-1001': ['order.placed', 'order.paid', 'order.completed'],
      'payment-1001': ['payment.requested', 'payment.captured'],
      'ticket-1001': [
        'kitchen.ticket-opened',
        'kitchen.ticket-released',
        'kitchen.ticket-started',
        'kitchen.ticket-made',
      ],
      'delivery-1001': ['delivery.scheduled', 'delivery.dispatched', 'delivery.delivered'],
    });
    expect(shop.gateway.charges).toBe(1);
  });

  it('compensates a declined payment by events: order cancelled, ticket voided, nothing made', async () => {
    const shop = await openShop();
    await placeOrder(shop, '1002', 'card-0002', ['energy-bar', 1]);
    const order = await shop.repository.load(Order, '1002');
    expect(order.status).toBe('cancelled');
    expect(order.cancelReason).toMatch(/payment declined/);
    expect((await shop.repository.load(KitchenTicket, '1002')).status).toBe('voided');
    expect((await shop.repository.load(Delivery, '1002')).status).toBe('cancelled');
    const types = (await eventsOf(shop, '1002')).map((e) => e.type);
    expect(types).toContain('payment.declined');
    expect(types).not.toContain('kitchen.ticket-started');
    expect(types).not.toContain('kitchen.ticket-made');
    expect(types).not.toContain('order.paid');
    await expect(shop.execute(StartTicket.of('1002', 'Hana'))).rejects.toThrow(/voided/);
    expect(await shop.queries.sales()).toEqual([]);
  });

  it('carries one correlation id through every service, each event caused by the one before it', async () => {
    const shop = await openShop();
    await placeOrder(shop, '1003', 'card-4242', ['oat-bar', 1]);
    const events = await eventsOf(shop, '1003');
    const correlation = events[0]!.metadata.correlationId;
    expect(events.every((e) => e.metadata.correlationId === correlation)).toBe(true);
    const byId = new Map(events.map((e) => [e.id, e.type]));
    const causeOf = (type: string) => byId.get(events.find((e) => e.type === type)!.metadata.causationId);
    expect(causeOf('payment.requested')).toBe('order.placed');
    expect(causeOf('payment.captured')).toBe('payment.requested');
    expect(causeOf('kitchen.ticket-released')).toBe('payment.captured');
    expect(causeOf('order.paid')).toBe('payment.captured');
    const index = new Map(events.map((e, i) => [e.id, i]));
    for (const [i, event] of events.entries()) {
      const cause = index.get(event.metadata.causationId);
      if (cause !== undefined) expect(cause).toBeLessThan(i);
    }
  });

  it('tolerates reactors delivering an event again: no new events, no second charge', async () => {
    const shop = await openShop();
    const start = (await shop.eventStore.headPosition())!;
    await placeOrder(shop, '1006', 'card-4242', ['energy-bar', 1]);
    await placeOrder(shop, '1007', 'card-0002', ['oat-bar', 1]);
    await shop.execute(StartTicket.of('1006', 'Hana'));
    await shop.execute(FinishTicket.of('1006'));
    await shop.execute(ConfirmDelivery.of('1006'));
    const head = await shop.eventStore.headPosition();
    const calls = shop.gateway.calls;

    // Stop, and move the reactors back to before the orders, as if their work had not been recorded.
    await shop.projections.stop();
    const store = shop.readModelStore;
    for (const reactor of ['payment-reactor', 'kitchen-reactor', 'delivery-reactor', 'order-reactor']) {
      const namespace = (await store.servedNamespace(reactor))!;
      await store.transaction(namespace, (tx) => tx.setCheckpoint(start));
    }
    const restarted = await openShop({
      eventStore: shop.eventStore,
      readModelStore: store,
      gateway: shop.gateway,
    });
    await restarted.settle();
    await restarted.projections.stop();

    expect(await shop.eventStore.headPosition()).toEqual(head);
    expect(shop.gateway.calls).toBe(calls + 2);
    expect(shop.gateway.charges).toBe(2);
  });

  it('never repeats a reactor side effect on a rebuild or a restart', async () => {
    const shop = await openShop();
    await placeOrder(shop, '1004', 'card-4242', ['energy-bar', 1]);
    await placeOrder(shop, '1005', 'card-0002', ['oat-bar', 1]);
    expect(shop.gateway.calls).toBe(2);

    for (const projection of ['order-summaries', 'kitchen-queue', 'sales-per-day']) {
      await shop.rebuild(projection);
    }
    expect(shop.gateway.calls).toBe(2);
    await expect(shop.rebuild('payment-reactor')).rejects.toThrow(/never replayed/);

    // A restart: a new process on the same stores, with a gateway that counts from zero.
    await shop.projections.stop();
    const head = await shop.eventStore.headPosition();
    const restartedGateway = new FakeCardGateway();
    const restarted = await openShop({
      eventStore: shop.eventStore,
      readModelStore: shop.readModelStore,
      gateway: restartedGateway,
    });
    await restarted.settle();
    expect(await restarted.eventStore.headPosition()).toEqual(head);
    expect(restartedGateway.calls).toBe(0);
    expect((await restarted.queries.orders()).map((o) => [o.orderId, o.status])).toEqual([
      ['1004', 'paid'],
      ['1005', 'cancelled'],
    ]);
  });
});
