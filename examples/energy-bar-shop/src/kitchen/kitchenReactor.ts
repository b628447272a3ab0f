import { inject, injectable } from 'inversify';
import { CommandBus } from '@rewind/core';
import { OrderPlaced } from '../order/events';
import { PaymentCaptured, PaymentDeclined } from '../payment/events';
import { On, Reactor, type ReactorContext } from '@rewind/projections';
import { sendCommand } from '../shared/sendCommand';
import { LineItem } from '../shared/lineItem';
import { OpenTicket, ReleaseTicket, VoidTicket } from './commands';

/**
 * The kitchen's reactions: a ticket is opened (held) for each order, released to the queue when the
 * payment is captured, and voided when it is declined, so nothing is made for an unpaid order.
 * Tickets take the order's id.
 */
@injectable()
@Reactor('kitchen-reactor', { startFrom: 'beginning' })
export class KitchenReactor {
  constructor(@inject(CommandBus) private readonly bus: CommandBus) {}

  @On(OrderPlaced)
  async onOrderPlaced(event: OrderPlaced, { envelope }: ReactorContext): Promise<void> {
    const items = event.lines.map((l) => new LineItem(l.productId, l.productName, l.quantity));
    await sendCommand(this.bus, envelope, OpenTicket.of(event.orderId, event.orderId, items));
  }

  @On(PaymentCaptured)
  async onPaymentCaptured(event: PaymentCaptured, { envelope }: ReactorContext): Promise<void> {
    await sendCommand(this.bus, envelope, ReleaseTicket.of(event.orderId));
  }

  @On(PaymentDeclined)
  async onPaymentDeclined(event: PaymentDeclined, { envelope }: ReactorContext): Promise<void> {
    await sendCommand(this.bus, envelope, VoidTicket.of(event.orderId, `payment declined (${event.reason})`));
  }
}
