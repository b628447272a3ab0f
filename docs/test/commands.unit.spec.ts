import { randomUUID } from 'node:crypto';
import {
  AggregateNotFoundError,
  ConcurrencyError,
  ConfigurationError,
  createRewind,
  InMemoryEventStore,
  ValidationError,
} from '@rewind/core';
import { aggregateSpec } from '@rewind/testing';
import {
  Account,
  AccountOpened,
  createBank,
  Deposit,
  Deposited,
  handleDeposit,
  InsufficientFunds,
  OpenAccount,
  toHttpResponse,
  TransferFunds,
  Withdraw,
  Withdrawn,
} from '../src/commands';

const make = <T extends object>(type: new () => T, fields: Partial<T>) => Object.assign(new type(), fields);

describe('aggregates and commands', () => {
  const account = aggregateSpec(Account);
  const id = randomUUID();

  it('opens an account', () =>
    account.when(make(OpenAccount, { accountId: id, owner: 'Jisoo' })).then(new AccountOpened(id, 'Jisoo')));
  it('refuses to withdraw more than the balance', () =>
    account
      .given(new AccountOpened(id, 'Jisoo'), new Deposited(5))
      .when(make(Withdraw, { accountId: id, amount: 6 }))
      .thenThrows(InsufficientFunds, 'holds 5'));

  it('returns the handler value, the revision and the attempts', async () => {
    const { commandBus } = createBank();
    await commandBus.execute(make(OpenAccount, { accountId: id, owner: 'Jisoo' }));
    const result = await commandBus.execute(make(Deposit, { accountId: id, amount: 10 }));
    expect(result.value).toBe(10);
    expect(result.revision).toBe(1n);
    expect(result.attempts).toBe(1);
  });

  it('refuses a second create as a ConcurrencyError, not retried', async () => {
    const { commandBus } = createBank();
    await commandBus.execute(make(OpenAccount, { accountId: id, owner: 'A' }));
    await expect(commandBus.execute(make(OpenAccount, { accountId: id, owner: 'B' }))).rejects.toBeInstanceOf(
      ConcurrencyError,
    );
  });

  it('needs an existing aggregate for an update handler', async () => {
    const { commandBus } = createBank();
    await expect(commandBus.execute(make(Deposit, { accountId: id, amount: 1 }))).rejects.toBeInstanceOf(
      AggregateNotFoundError,
    );
  });

  it('runs a handler class with the repository', async () => {
    const { commandBus, repository } = createBank();
    const to = randomUUID();
    await commandBus.execute(make(OpenAccount, { accountId: id, owner: 'A' }));
    await commandBus.execute(make(OpenAccount, { accountId: to, owner: 'B' }));
    await commandBus.execute(make(Deposit, { accountId: id, amount: 10 }));
    await commandBus.execute(make(TransferFunds, { from: id, to, amount: 4 }));
    expect((await repository.load(Account, id)).balance).toBe(6);
    expect((await repository.load(Account, to)).balance).toBe(4);
  });

  it('fails at start-up for a command without rules', () => {
    class Bare {}
    expect(() => createRewind({ eventStore: new InMemoryEventStore(), commandHandlers: [Bare] })).toThrow(
      ConfigurationError,
    );
  });

  it('raises Withdrawn when funds suffice', () =>
    account
      .given(new AccountOpened(id, 'Jisoo'), new Deposited(5))
      .when(make(Withdraw, { accountId: id, amount: 5 }))
      .then(new Withdrawn(5)));
});

describe('validation', () => {
  const id = randomUUID();
  it('maps an invalid body to 400 with every field, without the advice meant for developers', async () => {
    const body = { accountId: 'nope', amount: 0, channel: 'card', extra: 1 };
    const refused = await createBank()
      .commandBus.executePlain(Deposit, body)
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ValidationError);
    const { violations, message } = refused as ValidationError;
    expect(violations.map((v) => [v.path, Object.keys(v.constraints)])).toEqual([
      ['extra', ['whitelistValidation']],
      ['accountId', ['isUuid']],
      ['amount', ['min']],
      ['channel', ['isIn']],
    ]);
    expect(violations).toEqual([
      { path: 'extra', value: 1, constraints: { whitelistValidation: 'property extra should not exist' } },
      { path: 'accountId', value: 'nope', constraints: { isUuid: 'accountId must be a UUID' } },
      { path: 'amount', value: 0, constraints: { min: 'amount must not be less than 1' } },
      {
        path: 'channel',
        value: 'card',
        constraints: { isIn: 'channel must be one of the following values: cash, transfer' },
      },
    ]);
    expect(message).toMatch(
      /^Invalid command Deposit: extra: property extra should not exist \| accountId: .*\. Fix the listed fields and send it again\.$/,
    );

    const response = await handleDeposit(body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ type: '/problems/validation-failed', status: 400 });
    expect(response.body.errors).toEqual([
      { path: 'extra', message: 'property extra should not exist' },
      { path: 'accountId', message: 'accountId must be a UUID' },
      { path: 'amount', message: 'amount must not be less than 1' },
      { path: 'channel', message: 'channel must be one of the following values: cash, transfer' },
    ]);
    expect(JSON.stringify(response.body)).not.toMatch(/Fix the listed fields/);
  });

  it('rejects a body that is not an object', async () => {
    const response = await handleDeposit([1, 2]);
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ path: '(root)', message: 'the command must be a JSON object' }]);
  });

  it('maps a missing aggregate to 404', async () => {
    const response = await handleDeposit({ accountId: randomUUID(), amount: 5 });
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ type: '/problems/not-found', status: 404 });
    // Rewind's advice to developers ("create it first with a command handler...") is not sent.
    expect(response.body.detail).toMatch(/^No account "[0-9a-f-]+"\.$/);
  });

  it('maps a domain error to 422 and a conflict to 409', () => {
    expect(toHttpResponse(new InsufficientFunds('no')).status).toBe(422);
    expect(toHttpResponse(new ConcurrencyError('account-1', 0n, 1n)).status).toBe(409);
    expect(toHttpResponse(new ConcurrencyError('account-1', 0n, 1n)).body.detail).not.toMatch(
      /expectedRevision/,
    );
    expect(toHttpResponse(new Error('boom'))).toEqual({
      status: 500,
      body: {
        type: '/problems/internal-error',
        title: 'internal error',
        status: 500,
        detail: 'The request failed on the server.',
      },
    });
  });

  it('validates events before append: nothing is written', async () => {
    const { repository, eventStore } = createBank();
    const account = repository.create(Account, id);
    account.open(make(OpenAccount, { accountId: id, owner: '' })); // the command was not validated here
    const error = await repository.save(account).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).target).toBe('event "account.opened"');
    expect((error as ValidationError).violations.map((v) => v.path)).toEqual(['owner']);
    await expect(eventStore.headPosition()).resolves.toBeUndefined();
  });
});
