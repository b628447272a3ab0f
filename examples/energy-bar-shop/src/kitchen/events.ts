import { IsString } from 'class-validator';
import { DomainEvent } from '@rewind/core';
import type { LineItem } from '../shared/lineItem';

/** The kitchen opened a ticket for an order; it is held until the payment is captured. */
@DomainEvent('kitchen.ticket-opened', { version: 1 })
export class TicketOpened {
  @IsString() readonly ticketId: string;
  @IsString() readonly orderId: string;
  readonly items: LineItem[];
  constructor(ticketId: string, orderId: string, items: LineItem[]) {
    this.ticketId = ticketId;
    this.orderId = orderId;
    this.items = items;
  }
}

/** The payment was captured: the ticket joins the queue. */
@DomainEvent('kitchen.ticket-released', { version: 1 })
export class TicketReleased {
  @IsString() readonly ticketId: string;
  @IsString() readonly orderId: string;
  constructor(ticketId: string, orderId: string) {
    this.ticketId = ticketId;
    this.orderId = orderId;
  }
}

/** A cook started making the bars. */
@DomainEvent('kitchen.ticket-started', { version: 1 })
export class TicketStarted {
  @IsString() readonly ticketId: string;
  @IsString() readonly orderId: string;
  @IsString() readonly cook: string;
  constructor(ticketId: string, orderId: string, cook: string) {
    this.ticketId = ticketId;
    this.orderId = orderId;
    this.cook = cook;
  }
}

/** The bars are made and packed. */
@DomainEvent('kitchen.ticket-made', { version: 1 })
export class TicketMade {
  @IsString() readonly ticketId: string;
  @IsString() readonly orderId: string;
  constructor(ticketId: string, orderId: string) {
    this.ticketId = ticketId;
    this.orderId = orderId;
  }
}

/** The ticket was voided (its payment was declined): nothing is made. */
@DomainEvent('kitchen.ticket-voided', { version: 1 })
export class TicketVoided {
  @IsString() readonly ticketId: string;
  @IsString() readonly orderId: string;
  @IsString() readonly reason: string;
  constructor(ticketId: string, orderId: string, reason: string) {
    this.ticketId = ticketId;
    this.orderId = orderId;
    this.reason = reason;
  }
}
