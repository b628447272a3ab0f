import { Type } from 'class-transformer';
import { ArrayNotEmpty, IsString, Length, Matches, ValidateNested } from 'class-validator';
import { AggregateId } from '@rewind/core';
import { ID_MESSAGE, ID_PATTERN } from '../shared/ids';
import { LineItem } from '../shared/lineItem';

/** Books a delivery for an order (sent by the delivery reactor when an order is placed). */
export class ScheduleDelivery {
  @AggregateId() @Matches(ID_PATTERN, { message: ID_MESSAGE }) deliveryId!: string;
  @Matches(ID_PATTERN, { message: ID_MESSAGE }) orderId!: string;
  @IsString() @Length(1, 60) customer!: string;
  @IsString() @Length(3, 200) address!: string;
  @ArrayNotEmpty() @ValidateNested({ each: true }) @Type(() => LineItem) items!: LineItem[];

  /** Builds the command from its fields. */
  static of(
    deliveryId: string,
    orderId: string,
    customer: string,
    address: string,
    items: LineItem[],
  ): ScheduleDelivery {
    return Object.assign(new ScheduleDelivery(), { deliveryId, orderId, customer, address, items });
  }
}

/** Hands the bars to a courier (sent by the delivery reactor when the kitchen made them). */
export class DispatchDelivery {
  @AggregateId() @Matches(ID_PATTERN, { message: ID_MESSAGE }) deliveryId!: string;
  @IsString() @Length(1, 40) courier!: string;

  /** Builds the command from its fields. */
  static of(deliveryId: string, courier: string): DispatchDelivery {
    return Object.assign(new DispatchDelivery(), { deliveryId, courier });
  }
}

/** The courier confirms the hand-over. */
export class ConfirmDelivery {
  @AggregateId() @Matches(ID_PATTERN, { message: ID_MESSAGE }) deliveryId!: string;

  /** Builds the command from its fields. */
  static of(deliveryId: string): ConfirmDelivery {
    return Object.assign(new ConfirmDelivery(), { deliveryId });
  }
}

/** Calls a delivery off before it left. */
export class CancelDelivery {
  @AggregateId() @Matches(ID_PATTERN, { message: ID_MESSAGE }) deliveryId!: string;
  @IsString() @Length(3, 200) reason!: string;

  /** Builds the command from its fields. */
  static of(deliveryId: string, reason: string): CancelDelivery {
    return Object.assign(new CancelDelivery(), { deliveryId, reason });
  }
}
