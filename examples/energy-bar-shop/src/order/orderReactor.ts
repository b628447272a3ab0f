import { inject, injectable } from 'inversify';
import { CommandBus } from '@rewind/core';
import { DeliveryDelivered } from '../delivery/events';
import { PaymentCaptured, PaymentDeclined } from '../payment/events';
import { On, Reactor, type ReactorContext } from '@rewind/projections';
import { sendCommand } from '../shared/sendCommand';
import { CancelOrder, CompleteOrder, MarkOrderPaid } from './commands';

/**
 * The order service's reactions: paid when the payment is captured, cancelled when it is declined
 * (the compensation that replaces a distributed rollback), completed when the delivery arrives.
 */
@injectable()
@Reactor('order-reactor', { startFrom: 'beginning' })
export class OrderReactor {
  constructor(@inject(CommandBus) private readonly bus: CommandBus) {}

  @On(PaymentCaptured)
  async onPaymentCaptured(event: PaymentCaptured, { envelope }: ReactorContext): Promise<void> {
    await sendCommand(this.bus, envelope, MarkOrderPaid.of(event.orderId, event.amount));
  }

  @On(PaymentDeclined)
  async onPaymentDeclined(event: PaymentDeclined, { envelope }: ReactorContext): Promise<void> {
    await sendCommand(
      this.bus,
      envelope,
      CancelOrder.of(event.orderId, `payment declined (${event.reason})`),
    );
  }

  @On(DeliveryDelivered)
  async onDelivered(event: DeliveryDelivered, { envelope }: ReactorContext): Promise<void> {
    await sendCommand(this.bus, envelope, CompleteOrder.of(event.orderId));
  }
}
