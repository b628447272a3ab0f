import { AppendOutcomeUnknownError, StoreUnavailableError, type SubscriptionMessage } from '@rewind/core';
import { PostgresEventStore } from '@rewind/postgres';
import { collect, testEvent } from '@rewind/testing';
import { startThrowawayPostgres, type ThrowawayPostgres } from '@rewind/testing/postgres';
import { randomUUID } from 'node:crypto';

jest.setTimeout(90_000);

let pg: ThrowawayPostgres;
beforeAll(async () => {
  pg = await startThrowawayPostgres();
}, 60_000);
afterAll(() => pg?.stop());

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('a PostgreSQL restart under the event store', () => {
  it('fails appends clearly while the server is down, works after, and a live subscription resumes without gaps or duplicates', async () => {
    const store = await PostgresEventStore.connect({ connectionString: pg.url, schema: 'restart' });
    const stream = `restart-${randomUUID()}`;
    const messages: SubscriptionMessage[] = [];
    const sub = store.subscribeToAll({ filter: { streamPrefixes: ['restart-'] } });
    const consumer = (async () => {
      for await (const message of sub) messages.push(message);
    })();
    const delivered = () => messages.flatMap((m) => (m.type === 'event' ? [m.event.id] : []));
    const appended: string[] = [];
    const append = async () => {
      const event = { ...testEvent('tick'), id: randomUUID() };
      await store.append(stream, [event]);
      appended.push(event.id);
    };
    try {
      for (let i = 0; i < 5; i++) await append();
      await until(() => delivered().length === 5, 'the first five events');
      const caughtUpBefore = messages.filter((m) => m.type === 'caught-up').length;

      // Keep appending while the server goes down (it stays down for a while): appends fail, clearly.
      const restarting = pg.restart({ downMs: 1500 });
      let failure: unknown;
      while (failure === undefined) {
        await append().catch((error: unknown) => (failure = error));
      }
      // An append caught at its commit may or may not have been written: it says so (and a retry with
      // the same ids is safe); any other is refused as unavailable, naming the server.
      if (!(failure instanceof AppendOutcomeUnknownError)) {
        expect(failure).toBeInstanceOf(StoreUnavailableError);
        expect((failure as Error).message).toMatch(/127\.0\.0\.1:\d+, database "postgres"/);
      }
      await restarting;

      // Up again: appends work (the first may still meet a connection the restart cut).
      for (let attempt = 0; ; attempt++) {
        try {
          await append();
          break;
        } catch (error) {
          if (!(error instanceof StoreUnavailableError) || attempt > 20) throw error;
        }
      }
      for (let i = 0; i < 5; i++) await append();

      // The subscription (and its LISTEN connection) came back: every event exactly once, in order.
      const ids = (await collect(store.readStream(stream))).map((e) => e.id);
      expect(ids.filter((id) => appended.includes(id))).toEqual(appended);
      expect(ids.length - appended.length).toBeLessThanOrEqual(1); // the one whose outcome was unknown
      await until(() => delivered().length >= ids.length, 'the events appended after the restart');
      expect(delivered()).toEqual(ids);
      await until(
        () => messages.filter((m) => m.type === 'caught-up').length > caughtUpBefore,
        'caught-up again',
      );
    } finally {
      await sub.close();
      await consumer.catch(() => undefined);
      await store.close();
    }
  });
});
