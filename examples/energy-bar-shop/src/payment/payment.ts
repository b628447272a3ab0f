import { Aggregate, AggregateRoot, CommandHandler, DomainError, EventSourcingHandler } from '@rewind/core';
import { CapturePayment, DeclinePayment, RequestPayment } from './commands';
import { PaymentCaptured, PaymentDeclined, PaymentRequested } from './events';

/** The payment was captured or declined already. */
export class PaymentAlreadySettled extends DomainError {}

/** Where a payment is. */
export type PaymentStatus = 'new' | 'requested' | 'captured' | 'declined';

/**
 * A payment (service "pay"): requested for an order, then captured or declined, once. A repeated
 * capture or decline (a reactor delivering again) raises nothing; the opposite outcome is rejected.
 */
@Aggregate('payment')
export class Payment extends AggregateRoot {
  status: PaymentStatus = 'new';
  orderId = '';
  amount = 0;
  authorization?: string;
  declineReason?: string;

  @CommandHandler(RequestPayment, { mode: 'create' })
  request(command: RequestPayment): void {
    this.raise(new PaymentRequested(this.id, command.orderId, command.amount, command.method));
  }

  @CommandHandler(CapturePayment)
  capture(command: CapturePayment): void {
    if (this.status === 'captured' && this.authorization === command.authorization) return;
    this.requireOpen();
    this.raise(new PaymentCaptured(this.id, this.orderId, this.amount, command.authorization));
  }

  @CommandHandler(DeclinePayment)
  decline(command: DeclinePayment): void {
    if (this.status === 'declined') return;
    this.requireOpen();
    this.raise(new PaymentDeclined(this.id, this.orderId, command.reason));
  }

  private requireOpen(): void {
    if (this.status !== 'requested') {
      throw new PaymentAlreadySettled(`Payment ${this.id} was ${this.status} already.`);
    }
  }

  @EventSourcingHandler(PaymentRequested)
  onRequested(event: PaymentRequested): void {
    this.status = 'requested';
    this.orderId = event.orderId;
    this.amount = event.amount;
  }

  @EventSourcingHandler(PaymentCaptured)
  onCaptured(event: PaymentCaptured): void {
    this.status = 'captured';
    this.authorization = event.authorization;
  }

  @EventSourcingHandler(PaymentDeclined)
  onDeclined(event: PaymentDeclined): void {
    this.status = 'declined';
    this.declineReason = event.reason;
  }
}
