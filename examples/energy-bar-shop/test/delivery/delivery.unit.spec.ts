import { ValidationError } from '@rewind/core';
import {
  CancelDelivery,
  ConfirmDelivery,
  courierFor,
  COURIERS,
  Delivery,
  DeliveryCancelled,
  DeliveryClosed,
  DeliveryDelivered,
  DeliveryDispatched,
  DeliveryNotReady,
  DeliveryScheduled,
  DispatchDelivery,
  LineItem,
  ScheduleDelivery,
} from '@rewind/energy-bar-shop';
import { aggregateSpec } from '@rewind/testing';

const delivery = aggregateSpec(Delivery);
const items = [new LineItem('energy-bar', 'energy bar', 2)];
const scheduled = new DeliveryScheduled('1001', '1001', 'Jisoo', '12 Gangnam-daero', items);
const dispatched = new DeliveryDispatched('1001', '1001', 'Joon');

describe(Delivery.name, () => {
  describe('schedule', () => {
    it('raises DeliveryScheduled', () =>
      delivery.when(ScheduleDelivery.of('1001', '1001', 'Jisoo', '12 Gangnam-daero', items)).then(scheduled));

    it('rejects a missing address', () =>
      delivery
        .when(ScheduleDelivery.of('1001', '1001', 'Jisoo', '', items))
        .thenThrows(ValidationError, /address/));
  });

  describe('dispatch', () => {
    it('raises DeliveryDispatched with the courier', () =>
      delivery.given(scheduled).when(DispatchDelivery.of('1001', 'Joon')).then(dispatched));

    it('ignores a repeated dispatch', () =>
      delivery.given(scheduled, dispatched).when(DispatchDelivery.of('1001', 'Joon')).thenNothing());

    it('rejects dispatching a cancelled delivery', () =>
      delivery
        .given(scheduled, new DeliveryCancelled('1001', '1001', 'payment declined'))
        .when(DispatchDelivery.of('1001', 'Joon'))
        .thenThrows(DeliveryClosed, 'cancelled'));
  });

  describe('confirm', () => {
    it('raises DeliveryDelivered', () =>
      delivery
        .given(scheduled, dispatched)
        .when(ConfirmDelivery.of('1001'))
        .then(new DeliveryDelivered('1001', '1001')));

    it('rejects confirming a delivery still waiting for the kitchen', () =>
      delivery.given(scheduled).when(ConfirmDelivery.of('1001')).thenThrows(DeliveryNotReady, 'waiting'));
  });

  describe('cancel', () => {
    it('raises DeliveryCancelled for a waiting delivery', () =>
      delivery
        .given(scheduled)
        .when(CancelDelivery.of('1001', 'payment declined'))
        .then(new DeliveryCancelled('1001', '1001', 'payment declined')));

    it('ignores a repeated cancellation', () =>
      delivery
        .given(scheduled, new DeliveryCancelled('1001', '1001', 'payment declined'))
        .when(CancelDelivery.of('1001', 'payment declined'))
        .thenNothing());

    it('rejects cancelling a delivery on the road', () =>
      delivery
        .given(scheduled, dispatched)
        .when(CancelDelivery.of('1001', 'too late'))
        .thenThrows(DeliveryNotReady));

    it('rejects anything after delivery', () =>
      delivery
        .given(scheduled, dispatched, new DeliveryDelivered('1001', '1001'))
        .when(CancelDelivery.of('1001', 'too late'))
        .thenThrows(DeliveryClosed, 'delivered'));
  });
});

describe(courierFor.name, () => {
  it('picks one of the couriers, the same one every time for an order', () => {
    expect(COURIERS).toContain(courierFor('1001'));
    expect(courierFor('1001')).toBe(courierFor('1001'));
    expect(new Set(['1001', '1002', '1003'].map(courierFor)).size).toBeGreaterThan(1);
  });
});
