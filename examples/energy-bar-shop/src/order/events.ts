import { IsInt, IsString, Min } from 'class-validator';
import { DomainEvent } from '@rewind/core';
import type { PricedLine } from '../shared/lineItem';

/** A customer placed an order; names and prices are copied from the menu as it was then. */
@DomainEvent('order.placed', { version: 1 })
export class OrderPlaced {
  @IsString() readonly orderId: string;
  @IsString() readonly customer: string;
  @IsString() readonly address: string;
  @IsString() readonly paymentMethod: string;
  readonly lines: PricedLine[];
  @IsInt() @Min(0) readonly total: number;
  constructor(
    orderId: string,
    customer: string,
    address: string,
    paymentMethod: string,
    lines: PricedLine[],
    total: number,
  ) {
    this.orderId = orderId;
    this.customer = customer;
    this.address = address;
    this.paymentMethod = paymentMethod;
    this.lines = lines;
    this.total = total;
  }
}

/** The order's payment was captured. */
@DomainEvent('order.paid', { version: 1 })
export class OrderPaid {
  @IsString() readonly orderId: string;
  @IsInt() readonly amount: number;
  constructor(orderId: string, amount: number) {
    this.orderId = orderId;
    this.amount = amount;
  }
}

/** The order was cancelled (e.g. its payment was declined): the compensation for a failed step. */
@DomainEvent('order.cancelled', { version: 1 })
export class OrderCancelled {
  @IsString() readonly orderId: string;
  @IsString() readonly reason: string;
  constructor(orderId: string, reason: string) {
    this.orderId = orderId;
    this.reason = reason;
  }
}

/** The order reached the customer. */
@DomainEvent('order.completed', { version: 1 })
export class OrderCompleted {
  @IsString() readonly orderId: string;
  constructor(orderId: string) {
    this.orderId = orderId;
  }
}
