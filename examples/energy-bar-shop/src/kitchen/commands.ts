import { Type } from 'class-transformer';
import { ArrayNotEmpty, IsString, Length, Matches, ValidateNested } from 'class-validator';
import { AggregateId } from '@rewind/core';
import { ID_MESSAGE, ID_PATTERN } from '../shared/ids';
import { LineItem } from '../shared/lineItem';

/** Opens a held ticket for an order (sent by the kitchen reactor when an order is placed). */
export class OpenTicket {
  @AggregateId() @Matches(ID_PATTERN, { message: ID_MESSAGE }) ticketId!: string;
  @Matches(ID_PATTERN, { message: ID_MESSAGE }) orderId!: string;
  @ArrayNotEmpty() @ValidateNested({ each: true }) @Type(() => LineItem) items!: LineItem[];

  /** Builds the command from its fields. */
  static of(ticketId: string, orderId: string, items: LineItem[]): OpenTicket {
    return Object.assign(new OpenTicket(), { ticketId, orderId, items });
  }
}

/** Puts a held ticket in the queue (its payment was captured). */
export class ReleaseTicket {
  @AggregateId() @Matches(ID_PATTERN, { message: ID_MESSAGE }) ticketId!: string;

  /** Builds the command from its fields. */
  static of(ticketId: string): ReleaseTicket {
    return Object.assign(new ReleaseTicket(), { ticketId });
  }
}

/** A cook takes a queued ticket. */
export class StartTicket {
  @AggregateId() @Matches(ID_PATTERN, { message: ID_MESSAGE }) ticketId!: string;
  @IsString() @Length(1, 40) cook!: string;

  /** Builds the command from its fields. */
  static of(ticketId: string, cook: string): StartTicket {
    return Object.assign(new StartTicket(), { ticketId, cook });
  }
}

/** The cook finished the ticket. */
export class FinishTicket {
  @AggregateId() @Matches(ID_PATTERN, { message: ID_MESSAGE }) ticketId!: string;

  /** Builds the command from its fields. */
  static of(ticketId: string): FinishTicket {
    return Object.assign(new FinishTicket(), { ticketId });
  }
}

/** Voids a ticket that was never made (its payment was declined). */
export class VoidTicket {
  @AggregateId() @Matches(ID_PATTERN, { message: ID_MESSAGE }) ticketId!: string;
  @IsString() @Length(3, 200) reason!: string;

  /** Builds the command from its fields. */
  static of(ticketId: string, reason: string): VoidTicket {
    return Object.assign(new VoidTicket(), { ticketId, reason });
  }
}
