// Rewind Studio's API over the other stores: PostgreSQL (a throwaway cluster) and EventStoreDB (the
// protocol test server). The main endpoints — streams, timeline, state at a revision, bisect, causation
// and the live log over SSE — answer the same as on SQLite.
import { randomUUID } from 'node:crypto';
import { createRewind, type EventStore } from '@rewind/core';
import { EventStoreDBEventStore } from '@rewind/eventstoredb';
import { InMemoryReadModelStore } from '@rewind/projections';
import { PostgresEventStore } from '@rewind/postgres';
import { EventStoreDBTestServer } from '@rewind/testing/eventstoredb';
import { startThrowawayPostgres, type ThrowawayPostgres } from '@rewind/testing/postgres';
import { CliContext } from '../src/context';
import { startStudio, type RunningStudio } from '../src/studio/studioServer';
import { AddItem, Order, PayOrder, PlaceOrder } from './fixtures/shop/order';
import { OrderSummary } from './fixtures/shop/orderSummary';

/** Runs the shared checks against a Studio over the store `open` gives (called twice: seed, then Studio). */
function describeStudioOver(
  name: string,
  setUp: () => Promise<{ open: () => Promise<EventStore>; stop: () => Promise<void> }>,
): void {
  describe(`Rewind Studio API over ${name}`, () => {
    let open: () => Promise<EventStore>;
    let stop: (() => Promise<void>) | undefined;
    let ctx: CliContext;
    let studio: RunningStudio;
    const get = async (path: string): Promise<Record<string, unknown>> => {
      const response = await fetch(`${studio.url.split('/?')[0]}/api/${path}`, {
        headers: { authorization: `Bearer ${studio.token}` },
      });
      const body = (await response.json()) as Record<string, unknown>;
      expect({ path, status: response.status, body }).toMatchObject({ path, status: 200 });
      return body;
    };

    beforeAll(async () => {
      ({ open, stop } = await setUp());
      const seeding = await open();
      try {
        const rewind = createRewind({ eventStore: seeding, aggregates: [Order] });
        for (const command of [
          PlaceOrder.of('o-1', 'alice'),
          AddItem.of('o-1', 'bar', 30),
          AddItem.of('o-1', 'gel', 80),
          PayOrder.of('o-1'),
          PlaceOrder.of('o-2', 'bob'),
        ])
          await rewind.commandBus.execute(command);
      } finally {
        await seeding.close();
      }
      ctx = CliContext.fromConfig(`${name} config`, {
        eventStore: open,
        readModelStore: () => new InMemoryReadModelStore(),
        aggregates: [Order],
        projections: [OrderSummary],
      });
      studio = await startStudio({ ctx });
    });

    afterAll(async () => {
      await studio?.close();
      await ctx?.close();
      await stop?.();
    });

    it('lists the streams of an aggregate with their counts', async () => {
      expect(await get('streams?aggregate=order')).toEqual({
        streams: [
          { streamId: 'order-o-1', revision: '3', events: '4' },
          { streamId: 'order-o-2', revision: '0', events: '1' },
        ],
      });
      expect(await get('streams?aggregate=order&limit=1')).toMatchObject({ nextCursor: 'order-o-1' });
      // With a type, the prefix may be of the ids or of the stream ids.
      for (const prefix of ['o-2', 'order-o-2'])
        expect(await get(`streams?aggregate=order&prefix=${prefix}`)).toEqual({
          streams: [{ streamId: 'order-o-2', revision: '0', events: '1' }],
        });
      expect(await get('streams?aggregate=order&cursor=order-o-1')).toMatchObject({
        streams: [{ streamId: 'order-o-2' }],
      });
    });

    it('gives the timeline with diffs, the state at a revision and a bisect', async () => {
      const timeline = (await get('aggregates/order/o-1/timeline')) as {
        lastRevision: string;
        events: Array<{ type: string; changes: unknown[] }>;
      };
      expect(timeline.lastRevision).toBe('3');
      expect(timeline.events.map((e) => e.type)).toEqual([
        'shop.order.placed',
        'shop.order.item-added',
        'shop.order.item-added',
        'shop.order.paid',
      ]);
      expect(timeline.events[2]!.changes).toContainEqual({
        type: 'CHANGE',
        path: ['total'],
        value: 110,
        oldValue: 30,
      });
      expect(await get('aggregates/order/o-1/state?revision=1')).toMatchObject({
        revision: '1',
        state: { status: 'placed', items: ['bar'], total: 30 },
      });
      expect(
        await get(`aggregates/order/o-1/bisect?where=${encodeURIComponent('total >= 100')}`),
      ).toMatchObject({
        found: true,
        revision: '2',
      });
    });

    it('follows the causation chain of an event', async () => {
      const chain = (await get('streams/order-o-1/events/0/causation')) as {
        events: Array<{ streamId: string; role: string }>;
      };
      expect(chain.events).toEqual([expect.objectContaining({ streamId: 'order-o-1', role: 'self' })]);
    });

    /** Opens the live log; `lastEventId` resumes after that position, as a reconnecting EventSource does. */
    const live = (controller: AbortController, lastEventId?: string) =>
      fetch(`${studio.url.split('/?')[0]}/api/live`, {
        headers: {
          authorization: `Bearer ${studio.token}`,
          ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
        },
        signal: controller.signal,
      });

    it('resumes the live log after the Last-Event-ID a client reconnects with', async () => {
      const timeline = (await get('aggregates/order/o-1/timeline')) as {
        events: Array<{ position: string }>;
      };
      const controller = new AbortController();
      const response = await live(controller, timeline.events[3]!.position);
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      try {
        // What came after order o-1 was paid: order o-2 placed, sent again without a new append.
        while (!/event: append\ndata: .*"streamId":"order-o-2"/.test(text)) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`the live stream ended: ${text}`);
          text += decoder.decode(value, { stream: true });
        }
        expect(text).not.toContain('"streamId":"order-o-1"');
      } finally {
        controller.abort();
        await reader.cancel().catch(() => undefined);
      }
    });

    it('streams a new event live over SSE', async () => {
      const controller = new AbortController();
      const response = await live(controller);
      expect(response.headers.get('content-type')).toContain('text/event-stream');
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      const until = async (pattern: RegExp): Promise<void> => {
        while (!pattern.test(text)) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`the live stream ended before ${pattern}: ${text}`);
          text += decoder.decode(value, { stream: true });
        }
      };
      try {
        await until(/event: ready/);
        const store = await ctx.configuredEventStore();
        await store.append('live-1', [
          {
            type: 'studio.pinged',
            data: { n: 1 },
            metadata: {
              schemaVersion: 1,
              correlationId: randomUUID(),
              causationId: randomUUID(),
              occurredAt: new Date().toISOString(),
            },
          },
        ]);
        await until(/event: append\ndata: .*"streamId":"live-1"/);
      } finally {
        controller.abort();
        await reader.cancel().catch(() => undefined);
      }
    });
  });
}

describeStudioOver('PostgreSQL', async () => {
  const pg: ThrowawayPostgres = await startThrowawayPostgres();
  return {
    open: () => PostgresEventStore.connect({ connectionString: pg.url }),
    stop: () => pg.stop(),
  };
});

describeStudioOver('EventStoreDB (the protocol test server)', async () => {
  const server = await EventStoreDBTestServer.start();
  return {
    open: async () => new EventStoreDBEventStore({ connectionString: server.connectionString }),
    stop: () => server.stop(),
  };
});
