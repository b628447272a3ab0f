import { inject, injectable } from 'inversify';
import { CommandBus } from '@rewind/core';
import { OrderPlaced } from '../order/events';
import { On, Reactor, type ReactorContext } from '@rewind/projections';
import { sendCommand } from '../shared/sendCommand';
import { SHOP_TOKENS } from '../tokens';
import type { CardGateway } from './cardGateway';
import { CapturePayment, DeclinePayment, RequestPayment } from './commands';
import { PaymentRequested } from './events';

/**
 * The payment service's reactions: an order placed asks for a payment; a payment requested charges the
 * card (the side effect that must never repeat: reactors never run on a replay, and a redelivery after
 * a crash reaches the gateway with the same idempotency key) and records the answer. Reactors start
 * from the beginning of the log: the shop has had them since its first event.
 */
@injectable()
@Reactor('payment-reactor', { startFrom: 'beginning' })
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
  async onPaymentRequested(
    event: PaymentRequested,
    { envelope, idempotencyKey }: ReactorContext,
  ): Promise<void> {
    const result = await this.gateway.charge({
      idempotencyKey,
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
