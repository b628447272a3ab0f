import { Aggregate, AggregateRoot, CommandHandler, DomainError, EventSourcingHandler } from '@rewind/core';
import type { PricedLine } from '../shared/lineItem';
import { CancelOrder, CompleteOrder, MarkOrderPaid } from './commands';
import { OrderCancelled, OrderCompleted, OrderPaid, OrderPlaced } from './events';

/** An order with this id exists already. */
export class OrderAlreadyPlaced extends DomainError {}
/** A product ordered is not on the menu (or no longer). */
export class ProductUnavailable extends DomainError {}
/** The order was paid, cancelled or completed already, so it cannot be paid or cancelled. */
export class OrderAlreadySettled extends DomainError {}
/** The amount paid is not the order's total. */
export class PaymentMismatch extends DomainError {}
/** Only a paid order can be completed. */
export class OrderNotPaid extends DomainError {}

/** Where an order is in its life. */
export type OrderStatus = 'new' | 'placed' | 'paid' | 'cancelled' | 'completed';

/**
 * An order (service "order"): placed by a customer, paid, then completed or cancelled. The commands
 * reactors send are idempotent: reactors deliver at least once, so a repeat that finds its work done
 * raises nothing instead of failing.
 */
@Aggregate('order')
export class Order extends AggregateRoot {
  status: OrderStatus = 'new';
  customer = '';
  address = '';
  lines: PricedLine[] = [];
  total = 0;
  cancelReason?: string;

  /**
   * Places the order with lines already priced from the menu (see {@link OrderDesk}).
   * @throws OrderAlreadyPlaced when this order exists.
   */
  place(customer: string, address: string, paymentMethod: string, lines: PricedLine[]): void {
    if (this.status !== 'new') throw new OrderAlreadyPlaced(`Order ${this.id} was placed already.`);
    const total = lines.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0);
    this.raise(new OrderPlaced(this.id, customer, address, paymentMethod, lines, total));
  }

  @CommandHandler(MarkOrderPaid)
  markPaid(command: MarkOrderPaid): void {
    if (this.status === 'paid' || this.status === 'completed') return;
    this.requirePlaced('paid');
    if (command.amount !== this.total) {
      throw new PaymentMismatch(
        `Order ${this.id} costs ${this.total} won, but ${command.amount} won was paid.`,
      );
    }
    this.raise(new OrderPaid(this.id, command.amount));
  }

  @CommandHandler(CancelOrder)
  cancel(command: CancelOrder): void {
    if (this.status === 'cancelled') return;
    this.requirePlaced('cancelled');
    this.raise(new OrderCancelled(this.id, command.reason));
  }

  @CommandHandler(CompleteOrder)
  complete(): void {
    if (this.status === 'completed') return;
    if (this.status !== 'paid') {
      throw new OrderNotPaid(`Order ${this.id} is ${this.status}; only a paid order can be completed.`);
    }
    this.raise(new OrderCompleted(this.id));
  }

  private requirePlaced(wanted: string): void {
    if (this.status !== 'placed') {
      throw new OrderAlreadySettled(`Order ${this.id} is ${this.status} already, so it cannot be ${wanted}.`);
    }
  }

  @EventSourcingHandler(OrderPlaced)
  onPlaced(event: OrderPlaced): void {
    this.status = 'placed';
    this.customer = event.customer;
    this.address = event.address;
    this.lines = event.lines;
    this.total = event.total;
  }

  @EventSourcingHandler(OrderPaid)
  onPaid(): void {
    this.status = 'paid';
  }

  @EventSourcingHandler(OrderCancelled)
  onCancelled(event: OrderCancelled): void {
    this.status = 'cancelled';
    this.cancelReason = event.reason;
  }

  @EventSourcingHandler(OrderCompleted)
  onCompleted(): void {
    this.status = 'completed';
  }
}
