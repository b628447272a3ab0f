import { Aggregate, AggregateRoot, CommandHandler, DomainError, EventSourcingHandler } from '@rewind/core';
import type { LineItem } from '../shared/lineItem';
import { FinishTicket, OpenTicket, ReleaseTicket, StartTicket, VoidTicket } from './commands';
import { TicketMade, TicketOpened, TicketReleased, TicketStarted, TicketVoided } from './events';

/** The ticket is not at the step the command needs (e.g. starting one whose payment is not captured). */
export class TicketNotReady extends DomainError {}
/** The ticket was made or voided: nothing more happens to it. */
export class TicketClosed extends DomainError {}

/** Where a ticket is. */
export type TicketStatus = 'new' | 'held' | 'queued' | 'making' | 'made' | 'voided';

/**
 * A kitchen ticket (service "make"): held until paid, queued, made by a cook, or voided. Release and
 * void come from reactors and are idempotent; the cooks' start and finish are not.
 */
@Aggregate('ticket')
export class KitchenTicket extends AggregateRoot {
  status: TicketStatus = 'new';
  orderId = '';
  items: LineItem[] = [];
  cook?: string;

  @CommandHandler(OpenTicket, { mode: 'create' })
  open(command: OpenTicket): void {
    this.raise(new TicketOpened(this.id, command.orderId, command.items));
  }

  @CommandHandler(ReleaseTicket)
  release(): void {
    if (this.status === 'queued' || this.status === 'making' || this.status === 'made') return;
    this.require('held', 'released');
    this.raise(new TicketReleased(this.id, this.orderId));
  }

  @CommandHandler(StartTicket)
  start(command: StartTicket): void {
    this.require('queued', 'started');
    this.raise(new TicketStarted(this.id, this.orderId, command.cook));
  }

  @CommandHandler(FinishTicket)
  finish(): void {
    this.require('making', 'finished');
    this.raise(new TicketMade(this.id, this.orderId));
  }

  @CommandHandler(VoidTicket)
  voidTicket(command: VoidTicket): void {
    if (this.status === 'voided') return;
    if (this.status === 'making') {
      throw new TicketNotReady(`Ticket ${this.id} is being made by ${this.cook}; it cannot be voided now.`);
    }
    this.require(this.status === 'queued' ? 'queued' : 'held', 'voided');
    this.raise(new TicketVoided(this.id, this.orderId, command.reason));
  }

  private require(status: TicketStatus, action: string): void {
    if (this.status === 'made' || this.status === 'voided') {
      throw new TicketClosed(`Ticket ${this.id} was ${this.status}; it cannot be ${action}.`);
    }
    if (this.status !== status) {
      throw new TicketNotReady(
        `Ticket ${this.id} is ${this.status}; it must be ${status} to be ${action}.` +
          (this.status === 'held' ? ' Its payment has not been captured yet.' : ''),
      );
    }
  }

  @EventSourcingHandler(TicketOpened)
  onOpened(event: TicketOpened): void {
    this.status = 'held';
    this.orderId = event.orderId;
    this.items = event.items;
  }

  @EventSourcingHandler(TicketReleased)
  onReleased(): void {
    this.status = 'queued';
  }

  @EventSourcingHandler(TicketStarted)
  onStarted(event: TicketStarted): void {
    this.status = 'making';
    this.cook = event.cook;
  }

  @EventSourcingHandler(TicketMade)
  onMade(): void {
    this.status = 'made';
  }

  @EventSourcingHandler(TicketVoided)
  onVoided(): void {
    this.status = 'voided';
  }
}
