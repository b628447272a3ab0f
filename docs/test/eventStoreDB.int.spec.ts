// The code behind docs/guides/testing.md: the EventStoreDB adapter against the protocol test server,
// or against a real EventStoreDB when EVENTSTORE_URL is set.
import { createRewind } from '@rewind/core';
import { EventStoreDBEventStore } from '@rewind/eventstoredb';
import { EventStoreDBTestServer } from '@rewind/testing/eventstoredb';
import { randomUUID } from 'node:crypto';
import { Account, Deposit, OpenAccount } from '../src/commands';

describe('an application on EventStoreDB', () => {
  // #region eventstoredb
  const realServer = process.env['EVENTSTORE_URL']; // e.g. esdb://localhost:2113?tls=false
  let server: EventStoreDBTestServer | undefined;
  let eventStore: EventStoreDBEventStore;

  beforeAll(async () => {
    server = realServer ? undefined : await EventStoreDBTestServer.start({ batchAppend: true });
    eventStore = new EventStoreDBEventStore({ connectionString: realServer ?? server!.connectionString });
  }, 30_000);
  afterAll(async () => {
    await eventStore.close();
    await server?.stop();
  });
  // #endregion

  it('runs commands and time travel through the real client', async () => {
    const { commandBus, repository } = createRewind({ eventStore, aggregates: [Account] });
    const id = randomUUID();
    await commandBus.execute(Object.assign(new OpenAccount(), { accountId: id, owner: 'Jisoo' }));
    await commandBus.execute(Object.assign(new Deposit(), { accountId: id, amount: 7 }));
    expect((await repository.load(Account, id)).balance).toBe(7);
    expect((await repository.load(Account, id, { revision: 0 })).balance).toBe(0);
  });
});
