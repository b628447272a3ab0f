import { IsInt, IsString, Length, Matches, Min } from 'class-validator';
import { AggregateId } from '@rewind/core';
import { ID_MESSAGE, ID_PATTERN } from '../shared/ids';

/** Asks for an order to be charged (sent by the payment reactor when an order is placed). */
export class RequestPayment {
  @AggregateId() @Matches(ID_PATTERN, { message: ID_MESSAGE }) paymentId!: string;
  @Matches(ID_PATTERN, { message: ID_MESSAGE }) orderId!: string;
  @IsInt() @Min(0) amount!: number;
  @IsString() @Length(1, 40) method!: string;

  /** Builds the command from its fields. */
  static of(paymentId: string, orderId: string, amount: number, method: string): RequestPayment {
    return Object.assign(new RequestPayment(), { paymentId, orderId, amount, method });
  }
}

/** Records the gateway's approval. */
export class CapturePayment {
  @AggregateId() @Matches(ID_PATTERN, { message: ID_MESSAGE }) paymentId!: string;
  @IsString() @Length(1, 80) authorization!: string;

  /** Builds the command from its fields. */
  static of(paymentId: string, authorization: string): CapturePayment {
    return Object.assign(new CapturePayment(), { paymentId, authorization });
  }
}

/** Records the gateway's refusal. */
export class DeclinePayment {
  @AggregateId() @Matches(ID_PATTERN, { message: ID_MESSAGE }) paymentId!: string;
  @IsString() @Length(1, 200) reason!: string;

  /** Builds the command from its fields. */
  static of(paymentId: string, reason: string): DeclinePayment {
    return Object.assign(new DeclinePayment(), { paymentId, reason });
  }
}
