import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  AppendOutcomeUnknownError,
  StoreUnavailableError,
  type RecordedEvent,
  type Subscription,
} from '@rewind/core';
import { EventStoreDBEventStore } from '@rewind/eventstoredb';
import { eventsOf, takeMessages, testEvent } from '@rewind/testing';
import { EventStoreDBTestServer } from '@rewind/testing/eventstoredb';
import { createServer } from 'node:net';
import { REAL_SERVER_URL, SUITE_MODES } from './eventStoreDBTarget';

// These tests stop, restart and break the server: only the in-process protocol test server can do that.
const describeFaults = REAL_SERVER_URL ? describe.skip : describe;
if (REAL_SERVER_URL) {
  console.warn(
    `EVENTSTORE_URL is set (${REAL_SERVER_URL}): fault-injection tests (restart, dropped subscriptions, ` +
      'not-leader) need the in-process protocol test server and are skipped against a real server.',
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Reads `count` events of `types` from a subscription, then keeps listening briefly for duplicates. */
async function receiveExactly(sub: Subscription, count: number, type: string): Promise<RecordedEvent[]> {
  const received = await takeMessages(
    sub,
    (m) => eventsOf(m).filter((e) => e.type === type).length >= count,
    20_000,
  );
  return eventsOf(received).filter((e) => e.type === type);
}

describe('EventStoreDBEventStore when the server is unreachable', () => {
  it('fails with StoreUnavailableError naming the host and what to check', async () => {
    const port = await freePort();
    const store = new EventStoreDBEventStore({ connectionString: `esdb://127.0.0.1:${port}?tls=false` });
    try {
      const error = await store.append('order-1', [testEvent('a')]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StoreUnavailableError);
      const unavailable = error as StoreUnavailableError;
      expect(unavailable.message).toContain(`127.0.0.1:${port}`);
      expect(unavailable.message).toContain('running');
      expect(unavailable.cause).toBeDefined();
    } finally {
      await store.close();
    }
  });
});

describeFaults.each(SUITE_MODES)(
  'EventStoreDBEventStore under server faults (protocol test server, %s mode)',
  (version) => {
    for (const batchAppend of [true, false]) {
      describe(batchAppend ? 'BatchAppend path' : 'Append path', () => {
        let server: EventStoreDBTestServer;
        let store: EventStoreDBEventStore;
        const logged: string[] = [];
        const logger = {
          error: (_: unknown, message?: string) => void logged.push(`error ${message}`),
          warn: (_: unknown, message?: string) => void logged.push(`warn ${message}`),
          info: (_: unknown, message?: string) => void logged.push(`info ${message}`),
          debug: () => undefined,
        };
        beforeAll(async () => {
          server = await EventStoreDBTestServer.start({ batchAppend, version });
          store = new EventStoreDBEventStore({
            connectionString: server.connectionString,
            reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
            logger,
          });
        });
        afterAll(async () => {
          await store.close();
          await server.stop();
        });

        /** Appends until it gets an answer: the same event id each time, so a retry never writes twice. */
        async function appendWithRetry(streamId: string, type: string, n: number): Promise<void> {
          const event = { ...testEvent(type, { n }), id: randomUUID() };
          for (let attempt = 0; ; attempt++) {
            try {
              await store.append(streamId, [event]);
              return;
            } catch (error) {
              const retry =
                error instanceof StoreUnavailableError || error instanceof AppendOutcomeUnknownError;
              if (!retry || attempt > 100) throw error;
              await new Promise((r) => setTimeout(r, 20));
            }
          }
        }

        it('delivers every event exactly once across dropped subscriptions and a restart', async () => {
          const type = `tick${batchAppend ? 'b' : 'a'}`;
          const head = await store.headPosition();
          const sub = store.subscribeToAll({
            ...(head ? { after: head } : {}),
            filter: { eventTypes: [type] },
          });
          const seen: number[] = [];
          const take = async (total: number) => {
            const got = await receiveExactly(sub, total - seen.length, type);
            seen.push(...got.map((e) => (e.data as { n: number }).n));
          };
          try {
            for (let i = 0; i < 30; i++) await appendWithRetry(`ticks-${i % 3}`, type, i);
            await take(10);
            expect(server.dropSubscriptions()).toBeGreaterThan(0);
            for (let i = 30; i < 60; i++) await appendWithRetry(`ticks-${i % 3}`, type, i);
            await take(40); // events appended after the drop: the subscription resumed
            // the drop and the resumption are logged
            expect(logged).toContain('warn EventStoreDB subscription dropped; resubscribing');
            expect(logged).toContain('info EventStoreDB subscription resumed');
            await server.restart();
            for (let i = 60; i < 90; i++) await appendWithRetry(`ticks-${i % 3}`, type, i);
            server.dropSubscriptions();
            for (let i = 90; i < 100; i++) await appendWithRetry(`ticks-${i % 3}`, type, i);
            await take(100);
            // and nothing more arrives: enough unmatched events for a checkpoint, which must come with no event
            for (let i = 0; i < 40; i++) await appendWithRetry('ticks-end', `${type}-noise`, i);
            const tail = await takeMessages(sub, (m) => m.some((x) => x.type === 'checkpoint'), 10_000);
            expect(eventsOf(tail)).toEqual([]);
            expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i));
          } finally {
            await sub.close();
          }
        });

        it('a consumer reading through faults sees each event once, in order', async () => {
          const type = `live${batchAppend ? 'b' : 'a'}`;
          const head = await store.headPosition();
          const sub = store.subscribeToAll({
            ...(head ? { after: head } : {}),
            filter: { eventTypes: [type] },
          });
          const seen: number[] = [];
          const consumer = (async () => {
            for await (const message of sub) {
              if (message.type === 'event') seen.push((message.event.data as { n: number }).n);
              if (seen.length === 60) break;
            }
          })();
          try {
            for (let i = 0; i < 20; i++) await appendWithRetry('live-1', type, i);
            server.dropSubscriptions();
            for (let i = 20; i < 40; i++) await appendWithRetry('live-2', type, i);
            await server.restart();
            for (let i = 40; i < 60; i++) await appendWithRetry('live-1', type, i);
            let timer: NodeJS.Timeout | undefined;
            await Promise.race([
              consumer,
              new Promise((_, reject) => {
                timer = setTimeout(() => reject(new Error(`stuck after ${seen.length}`)), 20_000);
              }),
            ]).finally(() => clearTimeout(timer));
            expect(seen).toEqual(Array.from({ length: 60 }, (_, i) => i));
          } finally {
            await sub.close();
          }
        });

        it('reconnects after connections were refused for a while', async () => {
          const type = `refused${batchAppend ? 'b' : 'a'}`;
          const head = await store.headPosition();
          const sub = store.subscribeToAll({
            ...(head ? { after: head } : {}),
            filter: { eventTypes: [type] },
          });
          try {
            await appendWithRetry('refused-1', type, 0);
            await receiveExactly(sub, 1, type);
            await server.refuseConnectionsFor(300);
            // The client cannot tell "never sent" from "sent, answer lost": the outcome is unknown.
            const refused = await store
              .append('refused-1', [testEvent(type, { n: -1 })])
              .catch((e: unknown) => e);
            expect(refused).toBeInstanceOf(AppendOutcomeUnknownError);
            expect((refused as Error).message).toMatch(/did not answer/);
            await appendWithRetry('refused-1', type, 1);
            const next = await receiveExactly(sub, 1, type);
            expect(next.map((e) => (e.data as { n: number }).n)).toEqual([1]);
          } finally {
            await sub.close();
          }
        });

        it('turns "not leader" into StoreUnavailableError naming the leader', async () => {
          // The client follows the leader it is told about: point it back at this server under another name.
          server.setNotLeader({ host: 'localhost', port: server.port });
          try {
            const error = await store.append('leader-1', [testEvent('x')]).then(
              () => undefined,
              (e: unknown) => e,
            );
            expect(error).toBeInstanceOf(StoreUnavailableError);
            expect((error as Error).message).toContain(`localhost:${server.port}`);
          } finally {
            server.setNotLeader(undefined);
          }
          await expect(store.append('leader-1', [testEvent('x')])).resolves.toBeDefined();
        });
      });
    }
  },
);
