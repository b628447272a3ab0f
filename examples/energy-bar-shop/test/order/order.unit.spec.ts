import { AggregateNotFoundError, ValidationError } from '@rewind/core';
import {
  CancelOrder,
  CompleteOrder,
  MarkOrderPaid,
  Order,
  OrderAlreadyPlaced,
  OrderAlreadySettled,
  OrderCancelled,
  OrderCompleted,
  OrderDesk,
  OrderLineRequest,
  OrderNotPaid,
  OrderPaid,
  OrderPlaced,
  PaymentMismatch,
  PlaceOrder,
  PricedLine,
  ProductUnavailable,
  type Catalog,
  type CatalogEntry,
} from '@rewind/energy-bar-shop';
import { aggregateSpec } from '@rewind/testing';

const entries: CatalogEntry[] = [
  { productId: 'energy-bar', name: 'energy bar', price: 2500, available: true },
  { productId: 'oat-bar', name: 'oat bar', price: 2000, available: true },
  { productId: 'kale-bar', name: 'kale bar', price: 9900, available: false },
];
const catalog: Catalog = { product: async (id) => entries.find((e) => e.productId === id) };
const order = aggregateSpec(Order, {
  commandHandlers: [OrderDesk],
  resolve: <T>() => new OrderDesk(catalog) as T,
});

const place = (...lines: Array<[string, number]>) =>
  PlaceOrder.of(
    '1001',
    'Jisoo',
    '12 Gangnam-daero',
    'card-4242',
    lines.map(([p, q]) => OrderLineRequest.of(p, q)),
  );
const placed = new OrderPlaced(
  '1001',
  'Jisoo',
  '12 Gangnam-daero',
  'card-4242',
  [new PricedLine('energy-bar', 'energy bar', 2, 2500), new PricedLine('oat-bar', 'oat bar', 1, 2000)],
  7000,
);

describe(Order.name, () => {
  describe('place', () => {
    it('prices every line from the catalog and totals them', () =>
      order.when(place(['energy-bar', 2], ['oat-bar', 1])).then(placed));

    it('rejects a product the menu never had', () =>
      order.when(place(['energy-bar', 1], ['mystery-bar', 1])).thenThrows(ProductUnavailable, 'mystery-bar'));

    it('rejects a withdrawn product', () =>
      order.when(place(['kale-bar', 1])).thenThrows(ProductUnavailable, 'any more'));

    it('rejects an order id that is taken', () =>
      order
        .given(placed)
        .when(place(['energy-bar', 1]))
        .thenThrows(OrderAlreadyPlaced));

    it('rejects an order without lines, a zero quantity and a bad card, naming each field', async () => {
      await order.when(place()).thenThrows(ValidationError, /lines/);
      await order.when(place(['energy-bar', 0])).thenThrows(ValidationError, /lines\.0\.quantity/);
      await order
        .when(
          PlaceOrder.of('1001', 'Jisoo', '12 Gangnam-daero', 'cash', [OrderLineRequest.of('energy-bar', 1)]),
        )
        .thenThrows(ValidationError, /paymentMethod/);
    });
  });

  describe('mark paid', () => {
    it('raises OrderPaid for the full amount', () =>
      order.given(placed).when(MarkOrderPaid.of('1001', 7000)).then(new OrderPaid('1001', 7000)));

    it('rejects an amount that is not the total', () =>
      order.given(placed).when(MarkOrderPaid.of('1001', 6999)).thenThrows(PaymentMismatch, '7000'));

    it('ignores a repeated payment: reactors deliver at least once', () =>
      order.given(placed, new OrderPaid('1001', 7000)).when(MarkOrderPaid.of('1001', 7000)).thenNothing());

    // #region rejects-paying-a-cancelled-order
    it('rejects paying a cancelled order', () =>
      order
        .given(placed, new OrderCancelled('1001', 'payment declined'))
        .when(MarkOrderPaid.of('1001', 7000))
        .thenThrows(OrderAlreadySettled, 'cancelled'));
    // #endregion

    it('rejects an order that does not exist', () =>
      order.when(MarkOrderPaid.of('1001', 7000)).thenThrows(AggregateNotFoundError));
  });

  describe('cancel', () => {
    it('raises OrderCancelled with the reason', () =>
      order
        .given(placed)
        .when(CancelOrder.of('1001', 'payment declined'))
        .then(new OrderCancelled('1001', 'payment declined')));

    it('ignores a repeated cancellation', () =>
      order
        .given(placed, new OrderCancelled('1001', 'payment declined'))
        .when(CancelOrder.of('1001', 'payment declined'))
        .thenNothing());

    it('rejects cancelling a paid order', () =>
      order
        .given(placed, new OrderPaid('1001', 7000))
        .when(CancelOrder.of('1001', 'changed my mind'))
        .thenThrows(OrderAlreadySettled));
  });

  describe('complete', () => {
    it('raises OrderCompleted for a paid order', () =>
      order
        .given(placed, new OrderPaid('1001', 7000))
        .when(CompleteOrder.of('1001'))
        .then(new OrderCompleted('1001')));

    it('ignores a repeated completion', () =>
      order
        .given(placed, new OrderPaid('1001', 7000), new OrderCompleted('1001'))
        .when(CompleteOrder.of('1001'))
        .thenNothing());

    it('rejects completing an unpaid order', () =>
      order.given(placed).when(CompleteOrder.of('1001')).thenThrows(OrderNotPaid, 'placed'));
  });
});
