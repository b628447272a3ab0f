import { Aggregate, AggregateRoot, CommandHandler, DomainError, EventSourcingHandler } from '@rewind/core';
import type { LineItem } from '../shared/lineItem';
import { CancelDelivery, ConfirmDelivery, DispatchDelivery, ScheduleDelivery } from './commands';
import { DeliveryCancelled, DeliveryDelivered, DeliveryDispatched, DeliveryScheduled } from './events';

/** The delivery is not at the step the command needs. */
export class DeliveryNotReady extends DomainError {}
/** The delivery was delivered or cancelled: nothing more happens to it. */
export class DeliveryClosed extends DomainError {}

/** Where a delivery is. */
export type DeliveryStatus = 'new' | 'waiting' | 'on-the-road' | 'delivered' | 'cancelled';

/**
 * A delivery (service "delivery"): waits for the kitchen, goes out with a courier, arrives. Dispatch
 * and cancel come from reactors and are idempotent; the courier's confirmation is not.
 */
@Aggregate('delivery')
export class Delivery extends AggregateRoot {
  status: DeliveryStatus = 'new';
  orderId = '';
  customer = '';
  address = '';
  items: LineItem[] = [];
  courier?: string;

  @CommandHandler(ScheduleDelivery, { mode: 'create' })
  schedule(command: ScheduleDelivery): void {
    this.raise(
      new DeliveryScheduled(this.id, command.orderId, command.customer, command.address, command.items),
    );
  }

  @CommandHandler(DispatchDelivery)
  dispatch(command: DispatchDelivery): void {
    if (this.status === 'on-the-road' || this.status === 'delivered') return;
    this.require('waiting', 'dispatched');
    this.raise(new DeliveryDispatched(this.id, this.orderId, command.courier));
  }

  @CommandHandler(ConfirmDelivery)
  confirm(): void {
    this.require('on-the-road', 'confirmed');
    this.raise(new DeliveryDelivered(this.id, this.orderId));
  }

  @CommandHandler(CancelDelivery)
  cancel(command: CancelDelivery): void {
    if (this.status === 'cancelled') return;
    this.require('waiting', 'cancelled');
    this.raise(new DeliveryCancelled(this.id, this.orderId, command.reason));
  }

  private require(status: DeliveryStatus, action: string): void {
    if (this.status === 'delivered' || this.status === 'cancelled') {
      throw new DeliveryClosed(`Delivery ${this.id} was ${this.status}; it cannot be ${action}.`);
    }
    if (this.status !== status) {
      throw new DeliveryNotReady(
        `Delivery ${this.id} is ${this.status}; it must be ${status} to be ${action}.`,
      );
    }
  }

  @EventSourcingHandler(DeliveryScheduled)
  onScheduled(event: DeliveryScheduled): void {
    this.status = 'waiting';
    this.orderId = event.orderId;
    this.customer = event.customer;
    this.address = event.address;
    this.items = event.items;
  }

  @EventSourcingHandler(DeliveryDispatched)
  onDispatched(event: DeliveryDispatched): void {
    this.status = 'on-the-road';
    this.courier = event.courier;
  }

  @EventSourcingHandler(DeliveryDelivered)
  onDelivered(): void {
    this.status = 'delivered';
  }

  @EventSourcingHandler(DeliveryCancelled)
  onCancelled(): void {
    this.status = 'cancelled';
  }
}
