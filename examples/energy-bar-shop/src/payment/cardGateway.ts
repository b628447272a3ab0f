/** A charge to make, with the key that makes asking twice harmless. */
export interface ChargeRequest {
  /** The same key never charges twice (the reactor passes the id of the event it handles). */
  readonly idempotencyKey: string;
  readonly amount: number;
  readonly method: string;
}

/** What the gateway answered. */
export type ChargeResult =
  | { readonly approved: true; readonly authorization: string }
  | { readonly approved: false; readonly reason: string };

/** The outside world the payment service talks to: a side effect that must never repeat on replay. */
export interface CardGateway {
  charge(request: ChargeRequest): Promise<ChargeResult>;
}

/**
 * A card gateway for the demo and tests: approves every card but `card-0002` ("insufficient funds"),
 * remembers answers by idempotency key, and counts the real charges it made.
 */
export class FakeCardGateway implements CardGateway {
  private readonly answers = new Map<string, ChargeResult>();
  /** Calls that reached the gateway, repeated keys included. */
  calls = 0;

  /** Charges the card, or returns the earlier answer for a key seen before. */
  async charge(request: ChargeRequest): Promise<ChargeResult> {
    this.calls++;
    const earlier = this.answers.get(request.idempotencyKey);
    if (earlier) return earlier;
    const result: ChargeResult =
      request.method === 'card-0002'
        ? { approved: false, reason: 'card declined: insufficient funds' }
        : { approved: true, authorization: `AUTH-${String(this.answers.size + 1).padStart(4, '0')}` };
    this.answers.set(request.idempotencyKey, result);
    return result;
  }

  /** Distinct charges made (answers given for new keys). */
  get charges(): number {
    return this.answers.size;
  }
}
