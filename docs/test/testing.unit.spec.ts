// The code behind docs/guides/testing.md: given/when/then and the contract suites, run for real.
import { randomUUID } from 'node:crypto';
import {
  InMemoryEventStore,
  ValidationError,
  type AppendOptions,
  type EventStore,
  type EventToAppend,
} from '@rewind/core';
import { InMemoryReadModelStore } from '@rewind/projections';
import { aggregateSpec } from '@rewind/testing';
import { describeEventStoreContract, describeReadModelStoreContract } from '@rewind/testing/jest';
import {
  Account,
  AccountOpened,
  Deposit,
  Deposited,
  InsufficientFunds,
  Withdraw,
  Withdrawn,
} from '../src/commands';

// #region given-when-then
const account = aggregateSpec(Account);
const id = randomUUID();
const withdraw = (amount: number) => Object.assign(new Withdraw(), { accountId: id, amount });

describe(Account.name, () => {
  describe('withdraw', () => {
    it('takes money that is there', () =>
      account
        .given(new AccountOpened(id, 'Jisoo'), new Deposited(10))
        .when(withdraw(4))
        .then(new Withdrawn(4)));

    it('refuses more than the balance', () =>
      account
        .given(new AccountOpened(id, 'Jisoo'))
        .when(withdraw(1))
        .thenThrows(InsufficientFunds, /holds 0/));

    it('validates the command first', () =>
      account.given(new AccountOpened(id, 'Jisoo')).when(withdraw(0)).thenThrows(ValidationError));
  });
});
// #endregion

describe('aggregateSpec', () => {
  it('fails a spec whose events differ', async () => {
    const deposit = Object.assign(new Deposit(), { accountId: id, amount: 5 });
    await expect(
      account.given(new AccountOpened(id, 'J')).when(deposit).then(new Deposited(6)),
    ).rejects.toThrow();
    await expect(account.given(new AccountOpened(id, 'J')).when(deposit).thenNothing()).rejects.toThrow();
  });

  it('fails a spec that expects another class of the same name with the same fields', async () => {
    const deposit = Object.assign(new Deposit(), { accountId: id, amount: 5 });
    const Impostor = (() => {
      class Deposited {
        constructor(readonly amount: number) {}
      }
      return Deposited;
    })();
    await expect(
      account.given(new AccountOpened(id, 'J')).when(deposit).then(new Impostor(5)),
    ).rejects.toThrow(/another class named Deposited/);
    await account.given(new AccountOpened(id, 'J')).when(deposit).then(new Deposited(5));
  });
});

// #region custom-store
/** A custom store: here one that counts appends around another store. */
export class CountingEventStore implements EventStore {
  appends = 0;
  constructor(private readonly inner: EventStore = new InMemoryEventStore()) {}

  async append(streamId: string, events: readonly EventToAppend[], options?: AppendOptions) {
    const result = await this.inner.append(streamId, events, options);
    this.appends++;
    return result;
  }
  readStream: EventStore['readStream'] = (...args) => this.inner.readStream(...args);
  readAll: EventStore['readAll'] = (...args) => this.inner.readAll(...args);
  subscribeToAll: EventStore['subscribeToAll'] = (...args) => this.inner.subscribeToAll(...args);
  headPosition: EventStore['headPosition'] = () => this.inner.headPosition();
  listStreams: EventStore['listStreams'] = (...args) => this.inner.listStreams(...args);
  close: EventStore['close'] = () => this.inner.close();
}

describeEventStoreContract('CountingEventStore', () => ({ store: new CountingEventStore() }));
// #endregion

// #region read-model-contract
describeReadModelStoreContract('InMemoryReadModelStore', () => ({ store: new InMemoryReadModelStore() }));
// #endregion
