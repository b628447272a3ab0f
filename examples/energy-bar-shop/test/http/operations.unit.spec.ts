import type { FastifyInstance } from 'fastify';

import type { RecordedEvent } from '@rewind/core';
import { buildServer, type Shop } from '@rewind/energy-bar-shop';
import { openShop } from '../shopFixture';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('HTTP API operations', () => {
  let shop: Shop;
  let app: FastifyInstance;

  beforeEach(async () => {
    shop = await openShop();
    app = buildServer(shop);
    await app.ready();
  });
  afterEach(() => app.close());

  describe('GET /health and GET /ready', () => {
    it('is live and ready once the stores answer and every projection and reactor follows the log', async () => {
      expect((await app.inject({ method: 'GET', url: '/health' })).json()).toEqual({ status: 'ok' });
      const ready = await app.inject({ method: 'GET', url: '/ready' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({
        status: 'ready',
        checks: [
          { name: 'event-store', ready: true },
          { name: 'read-model-store', ready: true },
          ...shop.projections.names().map((name) => ({ name: `projection:${name}`, ready: true })),
        ],
      });
    });

    it('is not ready (503, naming them) while projections are stopped, and still live', async () => {
      await shop.projections.stop();
      const response = await app.inject({ method: 'GET', url: '/ready' });
      expect(response.statusCode).toBe(503);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      const body = response.json();
      expect(body).toMatchObject({
        type: '/problems/not-ready',
        title: 'Not ready',
        status: 503,
        instance: '/ready',
        detail: expect.stringContaining('projection:menu not caught up (stopped)'),
      });
      expect(body.checks).toContainEqual({ name: 'event-store', ready: true });
      expect(body.checks).toContainEqual({
        name: 'projection:payment-reactor',
        ready: false,
        detail: 'not caught up (stopped)',
      });
      expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    });

    it('is not ready while one projection is paused, and ready again once it caught up', async () => {
      await shop.projections.pause('sales-per-day');
      const paused = await app.inject({ method: 'GET', url: '/ready' });
      expect(paused.statusCode).toBe(503);
      expect(paused.json().detail).toBe('Not ready: projection:sales-per-day not caught up (paused).');
      const live = new Promise<void>((resolve) => {
        const off = shop.projections.on('state-changed', ({ projection, state }) => {
          if (projection !== 'sales-per-day' || state !== 'running') return;
          off();
          resolve();
        });
      });
      await shop.projections.resume('sales-per-day');
      await live;
      expect((await app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
    });

    it('is not ready when a store does not answer, and says which without its error', async () => {
      jest
        .spyOn(shop.eventStore, 'headPosition')
        .mockRejectedValueOnce(new Error('SQLITE_CANTOPEN: /srv/shop/events.db'));
      const response = await app.inject({ method: 'GET', url: '/ready' });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({
        detail: 'Not ready: event-store does not answer.',
        checks: expect.arrayContaining([{ name: 'event-store', ready: false, detail: 'does not answer' }]),
      });
      expect(response.body).not.toMatch(/SQLITE|events\.db/);
    });

    it('is not ready when a store never answers, within its time limit', async () => {
      const local = buildServer(shop, { readyTimeoutMs: 50 });
      jest.spyOn(shop.readModelStore, 'servedNamespace').mockReturnValueOnce(new Promise(() => {}));
      try {
        const response = await local.inject({ method: 'GET', url: '/ready' });
        expect(response.statusCode).toBe(503);
        expect(response.json().detail).toBe('Not ready: read-model-store does not answer.');
      } finally {
        await local.close();
      }
    });
  });

  describe('request id and correlation id', () => {
    const order = {
      orderId: '1001',
      customer: 'Jisoo',
      address: '12 Gangnam-daero',
      paymentMethod: 'card-4242',
      lines: [{ productId: 'energy-bar', quantity: 2 }],
    };

    async function eventsOf(orderId: string): Promise<RecordedEvent[]> {
      const events: RecordedEvent[] = [];
      for await (const event of shop.eventStore.readAll())
        if (event.streamId.endsWith(`-${orderId}`)) events.push(event);
      return events;
    }

    it("carries the client's x-request-id into the correlation id of every event the request set off", async () => {
      const id = 'b7c1f4e2-5a3d-4c8e-9f10-2d6e8a4b1c09';
      const placed = await app.inject({
        method: 'POST',
        url: '/orders',
        headers: { 'x-request-id': id },
        payload: order,
      });
      expect(placed.statusCode).toBe(201);
      expect(placed.headers['x-request-id']).toBe(id);
      const events = await eventsOf('1001');
      // The order, then the payment, the kitchen ticket and the delivery its reactors started.
      expect(new Set(events.map((e) => e.streamId.split('-')[0]))).toEqual(
        new Set(['order', 'payment', 'ticket', 'delivery']),
      );
      expect(events.map((e) => e.metadata.correlationId)).toEqual(events.map(() => id));
      expect(events[0]).toMatchObject({ streamId: 'order-1001', type: 'order.placed' });
    });

    it('gives a request without one a new UUID, echoed and used as the correlation id', async () => {
      const placed = await app.inject({ method: 'POST', url: '/orders', payload: order });
      const id = placed.headers['x-request-id'];
      expect(id).toMatch(UUID);
      const [first] = await eventsOf('1001');
      expect(first!.metadata.correlationId).toBe(id);
    });

    it('replaces a request id it would not write into the log', async () => {
      for (const sent of ['x'.repeat(101), 'a b', '<script>']) {
        const response = await app.inject({ method: 'GET', url: '/menu', headers: { 'x-request-id': sent } });
        expect(response.headers['x-request-id']).toMatch(UUID);
      }
    });

    it('echoes the request id on errors too, in the header and the problem', async () => {
      const id = 'req-42';
      const response = await app.inject({
        method: 'GET',
        url: '/orders/9999',
        headers: { 'x-request-id': id },
      });
      expect(response.headers['x-request-id']).toBe(id);
      expect(response.json().requestId).toBe(id);
    });
  });
});
