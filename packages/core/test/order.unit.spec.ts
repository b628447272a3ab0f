import { randomUUID } from 'node:crypto';
import { ValidationError } from '@rewind/core';
import { aggregateSpec } from '@rewind/testing';
import {
  CancelOrder,
  Order,
  OrderAlreadyPaid,
  OrderCancelled,
  OrderLine,
  OrderPaid,
  OrderPlaced,
  PayOrder,
  PlaceOrder,
} from './fixtures/order';

const order = aggregateSpec(Order);
const id = randomUUID();
const lines = [new OrderLine('bar', 2)];
const placed = new OrderPlaced(id, lines, 10, new Date('2026-01-01T10:00:00Z'));

describe(Order.name, () => {
  describe('place', () => {
    it('raises OrderPlaced for a new order', () =>
      order.when(PlaceOrder.of(id, [new OrderLine('bar', 2)], 10)).then(placed));

    it('rejects placing an order that already exists', () =>
      order
        .given(placed)
        .when(PlaceOrder.of(id, lines, 10))
        .thenThrows(Error, /expected at "no_stream"/));

    it('rejects an order without lines, listing the field', () =>
      order.when(PlaceOrder.of(id, [], 10)).thenThrows(ValidationError, /lines/));
  });

  describe('pay', () => {
    it('raises OrderPaid for a placed order', () =>
      order.given(placed).when(PayOrder.of(id, 10)).then(new OrderPaid(id, 10n)));

    it('rejects a second payment', () =>
      order
        .given(placed, new OrderPaid(id, 10n))
        .when(PayOrder.of(id, 10))
        .thenThrows(OrderAlreadyPaid, 'already paid'));

    it('rejects paying a cancelled order', () =>
      order
        .given(placed, new OrderCancelled(id, 'changed mind'))
        .when(PayOrder.of(id, 10))
        .thenThrows(OrderAlreadyPaid));
  });

  describe('cancel', () => {
    it('raises OrderCancelled with the reason', () =>
      order
        .given(placed)
        .when(CancelOrder.of(id, 'out of stock'))
        .then(new OrderCancelled(id, 'out of stock')));
  });
});

describe('aggregateSpec', () => {
  it('fails when the raised events differ from the expected ones', async () => {
    await expect(
      order.given(placed).when(PayOrder.of(id, 10)).then(new OrderPaid(id, 11n)),
    ).rejects.toThrow();
  });
  it('fails when an expected error is not thrown', async () => {
    await expect(
      order.given(placed).when(PayOrder.of(id, 10)).thenThrows(OrderAlreadyPaid),
    ).rejects.toThrow();
  });
});
