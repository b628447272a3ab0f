import { ConcurrencyError, ValidationError } from '@rewind/core';
import {
  CapturePayment,
  DeclinePayment,
  FakeCardGateway,
  Payment,
  PaymentAlreadySettled,
  PaymentCaptured,
  PaymentDeclined,
  PaymentRequested,
  RequestPayment,
} from '@rewind/energy-bar-shop';
import { aggregateSpec } from '@rewind/testing';

const payment = aggregateSpec(Payment);
const requested = new PaymentRequested('1001', '1001', 7000, 'card-4242');

describe(Payment.name, () => {
  describe('request', () => {
    it('raises PaymentRequested', () =>
      payment.when(RequestPayment.of('1001', '1001', 7000, 'card-4242')).then(requested));

    it('rejects a second request for the same payment', () =>
      payment
        .given(requested)
        .when(RequestPayment.of('1001', '1001', 7000, 'card-4242'))
        .thenThrows(ConcurrencyError));

    it('rejects a negative amount', () =>
      payment.when(RequestPayment.of('1001', '1001', -1, 'card-4242')).thenThrows(ValidationError, /amount/));
  });

  describe('capture', () => {
    it('raises PaymentCaptured with the requested amount', () =>
      payment
        .given(requested)
        .when(CapturePayment.of('1001', 'AUTH-0001'))
        .then(new PaymentCaptured('1001', '1001', 7000, 'AUTH-0001')));

    it('ignores a repeated capture with the same authorization', () =>
      payment
        .given(requested, new PaymentCaptured('1001', '1001', 7000, 'AUTH-0001'))
        .when(CapturePayment.of('1001', 'AUTH-0001'))
        .thenNothing());

    it('rejects a second capture with another authorization', () =>
      payment
        .given(requested, new PaymentCaptured('1001', '1001', 7000, 'AUTH-0001'))
        .when(CapturePayment.of('1001', 'AUTH-0002'))
        .thenThrows(PaymentAlreadySettled, 'captured'));

    it('rejects capturing a declined payment', () =>
      payment
        .given(requested, new PaymentDeclined('1001', '1001', 'insufficient funds'))
        .when(CapturePayment.of('1001', 'AUTH-0001'))
        .thenThrows(PaymentAlreadySettled, 'declined'));
  });

  describe('decline', () => {
    it('raises PaymentDeclined with the reason', () =>
      payment
        .given(requested)
        .when(DeclinePayment.of('1001', 'insufficient funds'))
        .then(new PaymentDeclined('1001', '1001', 'insufficient funds')));

    it('ignores a repeated decline', () =>
      payment
        .given(requested, new PaymentDeclined('1001', '1001', 'insufficient funds'))
        .when(DeclinePayment.of('1001', 'insufficient funds'))
        .thenNothing());

    it('rejects declining a captured payment', () =>
      payment
        .given(requested, new PaymentCaptured('1001', '1001', 7000, 'AUTH-0001'))
        .when(DeclinePayment.of('1001', 'too late'))
        .thenThrows(PaymentAlreadySettled, 'captured'));
  });
});

describe(FakeCardGateway.name, () => {
  it('approves cards, declines card-0002, and never charges one key twice', async () => {
    const gateway = new FakeCardGateway();
    const approved = await gateway.charge({ idempotencyKey: 'a', amount: 100, method: 'card-4242' });
    expect(approved).toEqual({ approved: true, authorization: 'AUTH-0001' });
    expect(await gateway.charge({ idempotencyKey: 'a', amount: 100, method: 'card-4242' })).toEqual(approved);
    expect(await gateway.charge({ idempotencyKey: 'b', amount: 100, method: 'card-0002' })).toEqual({
      approved: false,
      reason: 'card declined: insufficient funds',
    });
    expect(gateway.charges).toBe(2);
    expect(gateway.calls).toBe(3);
  });
});
