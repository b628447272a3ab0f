import { IsInt, IsString, Min } from 'class-validator';
import { DomainEvent } from '@rewind/core';

/** The payment service was asked to charge an order. */
@DomainEvent('payment.requested', { version: 1 })
export class PaymentRequested {
  @IsString() readonly paymentId: string;
  @IsString() readonly orderId: string;
  @IsInt() @Min(0) readonly amount: number;
  @IsString() readonly method: string;
  constructor(paymentId: string, orderId: string, amount: number, method: string) {
    this.paymentId = paymentId;
    this.orderId = orderId;
    this.amount = amount;
    this.method = method;
  }
}

/** The card was charged. */
@DomainEvent('payment.captured', { version: 1 })
export class PaymentCaptured {
  @IsString() readonly paymentId: string;
  @IsString() readonly orderId: string;
  @IsInt() readonly amount: number;
  @IsString() readonly authorization: string;
  constructor(paymentId: string, orderId: string, amount: number, authorization: string) {
    this.paymentId = paymentId;
    this.orderId = orderId;
    this.amount = amount;
    this.authorization = authorization;
  }
}

/** The card was declined: the other services compensate (order cancelled, ticket voided, delivery cancelled). */
@DomainEvent('payment.declined', { version: 1 })
export class PaymentDeclined {
  @IsString() readonly paymentId: string;
  @IsString() readonly orderId: string;
  @IsString() readonly reason: string;
  constructor(paymentId: string, orderId: string, reason: string) {
    this.paymentId = paymentId;
    this.orderId = orderId;
    this.reason = reason;
  }
}
