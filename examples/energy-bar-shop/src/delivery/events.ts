import { IsString } from 'class-validator';
import { DomainEvent } from '@rewind/core';
import type { LineItem } from '../shared/lineItem';

/** A delivery was booked for an order; it waits for the kitchen. */
@DomainEvent('delivery.scheduled', { version: 1 })
export class DeliveryScheduled {
  @IsString() readonly deliveryId: string;
  @IsString() readonly orderId: string;
  @IsString() readonly customer: string;
  @IsString() readonly address: string;
  readonly items: LineItem[];
  constructor(deliveryId: string, orderId: string, customer: string, address: string, items: LineItem[]) {
    this.deliveryId = deliveryId;
    this.orderId = orderId;
    this.customer = customer;
    this.address = address;
    this.items = items;
  }
}

/** A courier left with the bars. */
@DomainEvent('delivery.dispatched', { version: 1 })
export class DeliveryDispatched {
  @IsString() readonly deliveryId: string;
  @IsString() readonly orderId: string;
  @IsString() readonly courier: string;
  constructor(deliveryId: string, orderId: string, courier: string) {
    this.deliveryId = deliveryId;
    this.orderId = orderId;
    this.courier = courier;
  }
}

/** The customer has the bars. */
@DomainEvent('delivery.delivered', { version: 1 })
export class DeliveryDelivered {
  @IsString() readonly deliveryId: string;
  @IsString() readonly orderId: string;
  constructor(deliveryId: string, orderId: string) {
    this.deliveryId = deliveryId;
    this.orderId = orderId;
  }
}

/** The delivery was called off (its payment was declined). */
@DomainEvent('delivery.cancelled', { version: 1 })
export class DeliveryCancelled {
  @IsString() readonly deliveryId: string;
  @IsString() readonly orderId: string;
  @IsString() readonly reason: string;
  constructor(deliveryId: string, orderId: string, reason: string) {
    this.deliveryId = deliveryId;
    this.orderId = orderId;
    this.reason = reason;
  }
}
