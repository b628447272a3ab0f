import { inject, injectable } from 'inversify';
import { CommandBus } from '@rewind/core';
import { TicketMade } from '../kitchen/events';
import { OrderPlaced } from '../order/events';
import { PaymentDeclined } from '../payment/events';
import { On, Reactor, type ReactorContext } from '@rewind/projections';
import { sendCommand } from '../shared/sendCommand';
import { LineItem } from '../shared/lineItem';
import { CancelDelivery, DispatchDelivery, ScheduleDelivery } from './commands';

/** The shop's couriers; an order always gets the same one. */
export const COURIERS = ['Minji', 'Joon', 'Seo-yeon'] as const;

/** The courier for an order: a stable pick, so a replayed command would choose the same. */
export function courierFor(orderId: string): string {
  const sum = [...orderId].reduce((total, ch) => total + ch.charCodeAt(0), 0);
  return COURIERS[sum % COURIERS.length]!;
}

/**
 * The delivery service's reactions: a delivery is scheduled for each order, dispatched when the
 * kitchen made the bars, and cancelled when the payment is declined. Deliveries take the order's id.
 */
@injectable()
@Reactor('delivery-reactor', { startFrom: 'beginning' })
export class DeliveryReactor {
  constructor(@inject(CommandBus) private readonly bus: CommandBus) {}

  @On(OrderPlaced)
  async onOrderPlaced(event: OrderPlaced, { envelope }: ReactorContext): Promise<void> {
    const items = event.lines.map((l) => new LineItem(l.productId, l.productName, l.quantity));
    await sendCommand(
      this.bus,
      envelope,
      ScheduleDelivery.of(event.orderId, event.orderId, event.customer, event.address, items),
    );
  }

  @On(TicketMade)
  async onTicketMade(event: TicketMade, { envelope }: ReactorContext): Promise<void> {
    await sendCommand(this.bus, envelope, DispatchDelivery.of(event.orderId, courierFor(event.orderId)));
  }

  @On(PaymentDeclined)
  async onPaymentDeclined(event: PaymentDeclined, { envelope }: ReactorContext): Promise<void> {
    await sendCommand(
      this.bus,
      envelope,
      CancelDelivery.of(event.orderId, `payment declined (${event.reason})`),
    );
  }
}
