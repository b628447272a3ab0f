import { afterAll, expect, it } from '@jest/globals';
import { EventStoreDBEventStore } from '@rewind/eventstoredb';
import { collect } from '@rewind/testing';
import { EventStoreDBTestServer } from '@rewind/testing/eventstoredb';

// The README's quick start, run as a test (region "quick-start").
const servers: EventStoreDBTestServer[] = [];
afterAll(async () => Promise.all(servers.map((s) => s.stop())));

async function connectionString(): Promise<string> {
  if (process.env['EVENTSTORE_URL']) return process.env['EVENTSTORE_URL'];
  const server = await EventStoreDBTestServer.start();
  servers.push(server);
  return server.connectionString; // in your app: 'esdb://localhost:2113?tls=false'
}

it('runs the README quick start', async () => {
  const orderId = `order-${Date.now()}`;
  const url = await connectionString(); // e.g. 'esdb://localhost:2113?tls=false'
  const log: string[] = [];
  // #region quick-start
  const store = new EventStoreDBEventStore({ connectionString: url });
  const metadata = {
    schemaVersion: 1,
    correlationId: 'c-1',
    causationId: 'c-1',
    occurredAt: new Date().toISOString(),
  };
  const { nextExpectedRevision } = await store.append(
    orderId,
    [{ type: 'order.placed', data: { bars: 2 }, metadata }],
    { expectedRevision: 'no_stream' },
  );
  for await (const event of store.readStream(orderId)) log.push(`${event.revision} ${event.type}`);
  const sub = store.subscribeToAll({ filter: { eventTypes: ['order.placed'] } });
  for await (const message of sub) if (message.type === 'caught-up') break; // then live events follow
  await sub.close();
  await store.close();
  // #endregion
  expect(nextExpectedRevision).toBe(0n);
  expect(log).toEqual(['0 order.placed']);
  const again = new EventStoreDBEventStore({ connectionString: url });
  try {
    expect((await collect(again.readStream(orderId))).map((e) => e.type)).toEqual(['order.placed']);
  } finally {
    await again.close();
  }
});
