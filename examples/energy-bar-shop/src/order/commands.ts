import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsInt,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { AggregateId } from '@rewind/core';
import { ID_MESSAGE, ID_PATTERN } from '../shared/ids';

/** One line of a {@link PlaceOrder}: which product and how many. */
export class OrderLineRequest {
  @IsString() @Length(1, 60) productId!: string;
  @IsInt() @Min(1) @Max(50) quantity!: number;

  /** Builds a line. */
  static of(productId: string, quantity: number): OrderLineRequest {
    return Object.assign(new OrderLineRequest(), { productId, quantity });
  }
}

/** A customer orders energy bars. Names and prices come from the order service's view of the menu. */
export class PlaceOrder {
  @AggregateId() @Matches(ID_PATTERN, { message: ID_MESSAGE }) orderId!: string;
  @IsString() @Length(1, 60) customer!: string;
  @IsString() @Length(3, 200) address!: string;
  /** A card token; the fake gateway declines `card-0002`. */
  @Matches(/^card-\d{4}$/, { message: '$property must look like "card-4242"' }) paymentMethod!: string;
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => OrderLineRequest)
  lines!: OrderLineRequest[];

  /** Builds the command from its fields. */
  static of(
    orderId: string,
    customer: string,
    address: string,
    paymentMethod: string,
    lines: OrderLineRequest[],
  ): PlaceOrder {
    return Object.assign(new PlaceOrder(), { orderId, customer, address, paymentMethod, lines });
  }
}

/** Records that the order's payment was captured (sent by the order reactor). */
export class MarkOrderPaid {
  @AggregateId() @Matches(ID_PATTERN, { message: ID_MESSAGE }) orderId!: string;
  @IsInt() @Min(0) amount!: number;

  /** Builds the command from its fields. */
  static of(orderId: string, amount: number): MarkOrderPaid {
    return Object.assign(new MarkOrderPaid(), { orderId, amount });
  }
}

/** Cancels an order that has not been paid. */
export class CancelOrder {
  @AggregateId() @Matches(ID_PATTERN, { message: ID_MESSAGE }) orderId!: string;
  @IsString() @Length(3, 200) reason!: string;

  /** Builds the command from its fields. */
  static of(orderId: string, reason: string): CancelOrder {
    return Object.assign(new CancelOrder(), { orderId, reason });
  }
}

/** Closes a paid order once it was delivered. */
export class CompleteOrder {
  @AggregateId() @Matches(ID_PATTERN, { message: ID_MESSAGE }) orderId!: string;

  /** Builds the command from its fields. */
  static of(orderId: string): CompleteOrder {
    return Object.assign(new CompleteOrder(), { orderId });
  }
}
