import { inject, injectable } from 'inversify';
import { CommandBus } from '@rewind/core';
import { OrderPlaced } from '../order/events';
import { On, Reactor, type ReactorContext } from '../runtime/decorators';
import { sendCommand } from '../runtime/sendCommand';
import { SHOP_TOKENS } from '../tokens';
import type { CardGateway } from './cardGateway';
import { CapturePayment, DeclinePayment, RequestPayment } from './commands';
import { PaymentRequested } from './events';

/**
 * The payment service's reactions: an order placed asks for a payment; a payment requested charges the
 * card (the side effect that must never repeat: the gateway gets the event id as idempotency key, and
 * reactors never run on a replay) and records the answer.
 */
@injectable()
@Reactor('payment-reactor')
export class PaymentReactor {
  constructor(
    @inject(CommandBus) private readonly bus: CommandBus,
    @inject(SHOP_TOKENS.CardGateway) private readonly gateway: CardGateway,
  ) {}

  @On(OrderPlaced)
  async onOrderPlaced(event: OrderPlaced, { envelope }: ReactorContext): Promise<void> {
    await sendCommand(
      this.bus,
      envelope,
      RequestPayment.of(event.orderId, event.orderId, event.total, event.paymentMethod),
    );
  }

  @On(PaymentRequested)
  async onPaymentRequested(event: PaymentRequested, { envelope }: ReactorContext): Promise<void> {
    const result = await this.gateway.charge({
      idempotencyKey: envelope.id,
      amount: event.amount,
      method: event.method,
    });
    await sendCommand(
      this.bus,
      envelope,
      result.approved
        ? CapturePayment.of(event.paymentId, result.authorization)
        : DeclinePayment.of(event.paymentId, result.reason),
    );
  }
}
