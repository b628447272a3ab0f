// The code behind docs/guides/aggregates-and-commands.md and docs/guides/validation.md. Run by
// docs/test/commands.unit.spec.ts.
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Max, Min } from 'class-validator';
import {
  Aggregate,
  AggregateId,
  AggregateNotFoundError,
  AggregateRoot,
  CommandHandler,
  ConcurrencyError,
  createRewind,
  DomainError,
  DomainEvent,
  EventSourcingHandler,
  InMemoryEventStore,
  ValidationError,
  type CommandContext,
} from '@rewind/core';

// #region events
@DomainEvent('account.opened', { version: 1 })
export class AccountOpened {
  @IsUUID() accountId!: string;
  @IsString() @Length(1, 80) owner!: string;

  constructor(accountId: string, owner: string) {
    this.accountId = accountId;
    this.owner = owner;
  }
}

@DomainEvent('account.deposited', { version: 1 })
export class Deposited {
  @IsInt() @Min(1) amount!: number;

  constructor(amount: number) {
    this.amount = amount;
  }
}

@DomainEvent('account.withdrawn', { version: 1 })
export class Withdrawn {
  @IsInt() @Min(1) amount!: number;

  constructor(amount: number) {
    this.amount = amount;
  }
}
// #endregion

// #region commands
export class OpenAccount {
  @AggregateId() @IsUUID() accountId!: string;
  @IsString() @Length(1, 80) owner!: string;
}

export class Deposit {
  @AggregateId() @IsUUID() accountId!: string;
  @IsInt() @Min(1) @Max(1_000_000) amount!: number;
  @IsOptional() @IsIn(['cash', 'transfer']) channel?: 'cash' | 'transfer';
}

export class Withdraw {
  @AggregateId() @IsUUID() accountId!: string;
  @IsInt() @Min(1) amount!: number;
}
// #endregion

// #region aggregate
export class InsufficientFunds extends DomainError {}

@Aggregate('account')
export class Account extends AggregateRoot {
  owner = '';
  balance = 0;

  @CommandHandler(OpenAccount, { mode: 'create' })
  open(command: OpenAccount): void {
    this.raise(new AccountOpened(command.accountId, command.owner));
  }

  @CommandHandler(Deposit)
  deposit(command: Deposit): number {
    this.raise(new Deposited(command.amount));
    return this.balance; // handlers may return a value: CommandResult.value
  }

  @CommandHandler(Withdraw)
  withdraw(command: Withdraw): void {
    if (command.amount > this.balance) {
      throw new InsufficientFunds(
        `Account ${this.id} holds ${this.balance}, cannot withdraw ${command.amount}.`,
      );
    }
    this.raise(new Withdrawn(command.amount));
  }

  @EventSourcingHandler(AccountOpened)
  onOpened(event: AccountOpened): void {
    this.owner = event.owner;
  }

  @EventSourcingHandler(Deposited)
  onDeposited(event: Deposited): void {
    this.balance += event.amount;
  }

  @EventSourcingHandler(Withdrawn)
  onWithdrawn(event: Withdrawn): void {
    this.balance -= event.amount;
  }
}
// #endregion

// #region handler-class
export class TransferFunds {
  @IsUUID() from!: string;
  @IsUUID() to!: string;
  @IsInt() @Min(1) amount!: number;
}

/** A handler class: for commands that touch more than one aggregate, or need services. */
export class TransferHandler {
  @CommandHandler(TransferFunds)
  async transfer(command: TransferFunds, { repository }: CommandContext): Promise<void> {
    const from = await repository.load(Account, command.from);
    const to = await repository.load(Account, command.to);
    from.withdraw(Object.assign(new Withdraw(), { accountId: command.from, amount: command.amount }));
    to.deposit(Object.assign(new Deposit(), { accountId: command.to, amount: command.amount }));
    await repository.save(from); // two streams, two appends: not one transaction
    await repository.save(to);
  }
}
// #endregion

// #region wire
export function createBank() {
  return createRewind({
    eventStore: new InMemoryEventStore(),
    aggregates: [Account],
    commandHandlers: [TransferHandler],
    commandBus: { maxRetries: 3, retryBackoffMs: 5 },
  });
}
// #endregion

// #region http
/**
 * Maps what the command bus throws to an HTTP status and an RFC 9457 problem body, in one place.
 * Rewind's messages are written for developers (they name the call or the option that fixes it):
 * log them, and answer clients with a detail written for them.
 */
export function toHttpResponse(error: unknown): { status: number; body: Record<string, unknown> } {
  const problem = (status: number, slug: string, detail: string, more: object = {}) => ({
    status,
    body: { type: `/problems/${slug}`, title: slug.replace(/-/g, ' '), status, detail, ...more },
  });
  if (error instanceof ValidationError) {
    const errors = error.violations.map((v) => ({
      path: v.path,
      message: Object.values(v.constraints).join('; '),
    }));
    return problem(400, 'validation-failed', 'Some fields were refused.', { errors });
  }
  if (error instanceof AggregateNotFoundError)
    return problem(404, 'not-found', `No ${error.aggregateType} "${error.aggregateId}".`);
  if (error instanceof ConcurrencyError)
    return problem(409, 'concurrent-modification', 'Changed by another request meanwhile; retry.');
  if (error instanceof DomainError) return problem(422, 'business-rule', error.message); // your own messages
  return problem(500, 'internal-error', 'The request failed on the server.');
}
// #endregion

/** Sends a request body to the bus the way an HTTP route would. */
export async function handleDeposit(body: unknown) {
  const { commandBus } = createBank();
  // #region executePlain
  try {
    const result = await commandBus.executePlain(Deposit, body); // body: untrusted JSON
    return { status: 200, body: { revision: String(result.revision) } };
  } catch (error) {
    return toHttpResponse(error);
  }
  // #endregion
}
