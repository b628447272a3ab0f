import type { FastifyInstance } from 'fastify';

import { ValidationError } from '@rewind/core';
import { buildServer, PlaceOrder } from '@rewind/energy-bar-shop';
import { openShop } from '../shopFixture';

describe('HTTP API', () => {
  let app: FastifyInstance;

  beforeEach(async () => {
    app = buildServer(await openShop());
    await app.ready();
  });
  afterEach(() => app.close());

  const order = (overrides: Record<string, unknown> = {}) => ({
    orderId: '1001',
    customer: 'Jisoo',
    address: '12 Gangnam-daero',
    paymentMethod: 'card-4242',
    lines: [{ productId: 'energy-bar', quantity: 2 }],
    ...overrides,
  });

  describe('commands', () => {
    it('places an order (201) whose whole choreography is visible to the next query', async () => {
      const placed = await app.inject({ method: 'POST', url: '/orders', payload: order() });
      expect(placed.statusCode).toBe(201);
      expect(placed.json()).toMatchObject({ ok: true, value: { orderId: '1001', total: 5000 } });
      const summary = await app.inject({ method: 'GET', url: '/orders/1001' });
      expect(summary.json()).toMatchObject({ orderId: '1001', status: 'paid', total: 5000 });
    });

    it('applies a command sent again with the same Idempotency-Key once', async () => {
      const send = (key: string) =>
        app.inject({ method: 'POST', url: '/orders', payload: order(), headers: { 'idempotency-key': key } });
      const first = await send('attempt-7');
      expect(first.statusCode).toBe(201);
      expect(first.json().alreadyApplied).toBeUndefined();
      const again = await send('attempt-7');
      // PlaceOrder's handler (a handler class) sees its own events and answers as the first time.
      expect(again.statusCode).toBe(201);
      expect(again.json()).toEqual(first.json());
      // Another key is another command: this order exists already.
      const other = await send('attempt-8');
      expect(other.statusCode).toBe(409);
    });

    it('answers alreadyApplied to an aggregate command sent again with the same Idempotency-Key', async () => {
      const reprice = (key?: string) =>
        app.inject({
          method: 'PUT',
          url: '/menu/products/energy-bar/price',
          payload: { price: 2700 },
          headers: key ? { 'idempotency-key': key } : {},
        });
      const first = await reprice('price-1');
      expect(first.statusCode).toBe(200);
      const again = await reprice('price-1');
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual({ ok: true, attempts: 1, alreadyApplied: true, value: null });
      // Without the key it is a new command, and the price is already 2700.
      expect((await reprice()).statusCode).toBe(422);
    });

    it('gives an order without an id a new one', async () => {
      const placed = await app.inject({
        method: 'POST',
        url: '/orders',
        payload: order({ orderId: undefined }),
      });
      expect(placed.statusCode).toBe(201);
      expect(placed.json().value.orderId).toMatch(/^[0-9a-f]{8}$/);
    });

    it('refuses a body that breaks the route schema with 400 validation-failed naming the field', async () => {
      const response = await app.inject({
        method: 'POST',
        url: '/orders',
        payload: order({ lines: [{ productId: 'energy-bar', quantity: 0 }] }),
      });
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toEqual({
        type: '/problems/validation-failed',
        title: 'The request is not valid',
        status: 400,
        detail: 'A field was refused: body.lines.0.quantity.',
        instance: '/orders',
        requestId: response.headers['x-request-id'],
        errors: [{ in: 'body', path: 'lines.0.quantity', message: 'must be >= 1' }],
      });
      expect((await app.inject({ method: 'GET', url: '/orders' })).json()).toEqual([]);
    });

    it("answers the domain's own validation (class-validator, behind the schema) with the same 400", async () => {
      const shop = await openShop();
      const local = buildServer(shop);
      // A ValidationError as the command bus raises it for input the schema let through.
      const refused = await shop.rewind.commandBus
        .executePlain(PlaceOrder, order({ customer: '', paymentMethod: 'cash' }))
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ValidationError);
      jest.spyOn(shop, 'executePlain').mockRejectedValueOnce(refused);
      try {
        const response = await local.inject({ method: 'POST', url: '/orders', payload: order() });
        expect(response.statusCode).toBe(400);
        const body = response.json();
        expect(body).toMatchObject({ type: '/problems/validation-failed', status: 400, instance: '/orders' });
        expect(body.errors).toEqual([
          { in: 'body', path: 'customer', message: 'customer must be longer than or equal to 1 characters' },
          { in: 'body', path: 'paymentMethod', message: 'paymentMethod must look like "card-4242"' },
        ]);
        // The framework's advice to developers ("Fix the listed fields...") stays in the server log.
        expect(response.body).not.toMatch(/Fix the listed fields/);
      } finally {
        await local.close();
      }
    });

    it('refuses more lines than allowed in the route schema (400 naming lines): the command bus never sees them', async () => {
      const shop = await openShop();
      const local = buildServer(shop);
      const bus = jest.spyOn(shop, 'executePlain');
      try {
        const lines = Array.from({ length: 25 }, () => ({ productId: 'energy-bar', quantity: 1 }));
        const response = await local.inject({ method: 'POST', url: '/orders', payload: order({ lines }) });
        expect(response.statusCode).toBe(400);
        expect(response.json()).toMatchObject({
          type: '/problems/validation-failed',
          status: 400,
          errors: [{ in: 'body', path: 'lines', message: 'must NOT have more than 20 items' }],
        });
        expect(bus).not.toHaveBeenCalled();
      } finally {
        await local.close();
      }
    });

    it('refuses lines that are not an array instead of coercing them into one', async () => {
      const response = await app.inject({
        method: 'POST',
        url: '/orders',
        payload: order({ lines: { productId: 'energy-bar', quantity: 1 } }),
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().errors).toEqual([{ in: 'body', path: 'lines', message: 'must be array' }]);
      expect((await app.inject({ method: 'GET', url: '/orders' })).json()).toEqual([]);
    });

    it('rejects unknown fields and a body that is not an object with 400', async () => {
      const extra = await app.inject({ method: 'POST', url: '/orders', payload: order({ discount: 100 }) });
      expect(extra.statusCode).toBe(400);
      expect(extra.json().errors).toEqual([{ in: 'body', path: 'discount', message: 'is not allowed' }]);
      const array = await app.inject({ method: 'POST', url: '/orders', payload: [1, 2] });
      expect(array.statusCode).toBe(400);
      expect(array.json().errors).toEqual([{ in: 'body', path: '', message: 'must be object' }]);
      const broken = await app.inject({
        method: 'POST',
        url: '/orders',
        headers: { 'content-type': 'application/json' },
        payload: '{"orderId": ',
      });
      expect(broken.statusCode).toBe(400);
      expect(broken.json()).toMatchObject({
        type: '/problems/malformed-body',
        detail: 'The body is not valid JSON.',
      });
    });

    it('answers a domain rule on unprocessable input with 422', async () => {
      const response = await app.inject({
        method: 'POST',
        url: '/orders',
        payload: order({ lines: [{ productId: 'kale-bar', quantity: 1 }] }),
      });
      expect(response.statusCode).toBe(422);
      expect(response.json()).toMatchObject({
        type: '/problems/unprocessable-request',
        status: 422,
        rule: 'product-unavailable',
        detail: expect.stringMatching(/kale-bar/),
      });
    });

    it('answers a conflict with the current state with 409', async () => {
      await app.inject({ method: 'POST', url: '/orders', payload: order() });
      const again = await app.inject({ method: 'POST', url: '/orders', payload: order() });
      expect(again.statusCode).toBe(409);
      expect(again.json()).toMatchObject({ type: '/problems/conflict', rule: 'order-already-placed' });
      const early = await app.inject({ method: 'POST', url: '/deliveries/1001/confirm' });
      expect(early.statusCode).toBe(409);
      expect(early.json()).toMatchObject({ type: '/problems/conflict', rule: 'delivery-not-ready' });
    });

    it('answers 404 for an aggregate or a document that does not exist', async () => {
      const start = await app.inject({
        method: 'POST',
        url: '/kitchen/tickets/9999/start',
        payload: { cook: 'Hana' },
      });
      expect(start.statusCode).toBe(404);
      // Rewind's message tells a developer to create the aggregate with a { mode: "create" } handler.
      expect(start.json()).toMatchObject({
        type: '/problems/not-found',
        status: 404,
        detail: 'No ticket with id "9999".',
        instance: '/kitchen/tickets/9999/start',
      });
      expect(start.body).not.toMatch(/mode|handler|create it/i);
      const summary = await app.inject({ method: 'GET', url: '/orders/9999' });
      expect(summary.json()).toMatchObject({
        type: '/problems/not-found',
        detail: 'No order with id "9999".',
      });
      expect((await app.inject({ method: 'GET', url: '/orders/9999/history' })).statusCode).toBe(404);
    });

    it('runs the kitchen and the delivery, and renames a product everywhere', async () => {
      await app.inject({ method: 'POST', url: '/orders', payload: order() });
      const start = await app.inject({
        method: 'POST',
        url: '/kitchen/tickets/1001/start',
        payload: { cook: 'Hana' },
      });
      expect(start.statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/kitchen/queue' })).json()).toMatchObject([
        { ticketId: '1001', status: 'making', cook: 'Hana' },
      ]);
      await app.inject({ method: 'POST', url: '/kitchen/tickets/1001/finish' });
      const rename = await app.inject({
        method: 'PUT',
        url: '/menu/products/energy-bar/name',
        payload: { name: 'energy bar+' },
      });
      expect(rename.statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/deliveries' })).json()).toMatchObject([
        { deliveryId: '1001', status: 'on the road', items: [{ name: 'energy bar+' }] },
      ]);
      expect(
        (await app.inject({ method: 'GET', url: '/kitchen/queue?all=true' })).json()[0].items[0].name,
      ).toBe('energy bar+');
      expect((await app.inject({ method: 'POST', url: '/deliveries/1001/confirm' })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/orders/1001' })).json().status).toBe('delivered');
      expect((await app.inject({ method: 'GET', url: '/sales' })).json()).toMatchObject([
        { productId: 'energy-bar', name: 'energy bar+', quantity: 2, revenue: 5000 },
      ]);
    });

    it('edits the menu: add (201), price, withdraw, and 422 for a product it does not have', async () => {
      const add = await app.inject({
        method: 'POST',
        url: '/menu/products',
        payload: { productId: 'choco-bar', name: 'choco bar', price: 2800 },
      });
      expect(add.statusCode).toBe(201);
      const price = await app.inject({
        method: 'PUT',
        url: '/menu/products/choco-bar/price',
        payload: { price: 2900 },
      });
      expect(price.statusCode).toBe(200);
      expect((await app.inject({ method: 'DELETE', url: '/menu/products/oat-bar' })).statusCode).toBe(200);
      const menu = (await app.inject({ method: 'GET', url: '/menu' })).json();
      expect(menu).toContainEqual({
        productId: 'choco-bar',
        name: 'choco bar',
        price: 2900,
        available: true,
      });
      expect(menu).toContainEqual({ productId: 'oat-bar', name: 'oat bar', price: 2000, available: false });
      const missing = await app.inject({
        method: 'PUT',
        url: '/menu/products/kale-bar/price',
        payload: { price: 1000 },
      });
      expect(missing.statusCode).toBe(422);
    });
  });

  describe('time travel', () => {
    it('serves an order as it was at a moment, and its history with diffs', async () => {
      await app.inject({ method: 'POST', url: '/orders', payload: order() });
      const placedAt = new Date(Date.now() + 1).toISOString();
      const history = (await app.inject({ method: 'GET', url: '/orders/1001/history' })).json();
      expect(history.map((h: { type: string }) => h.type)).toEqual(['order.placed', 'order.paid']);
      expect(history[1].changes).toEqual([
        { type: 'CHANGE', path: ['status'], oldValue: 'placed', value: 'paid' },
      ]);
      const now = (await app.inject({ method: 'GET', url: '/orders/1001/state' })).json();
      expect(now).toMatchObject({ revision: 1, state: { status: 'paid' } });
      const before = await app.inject({ method: 'GET', url: '/orders/1001/state?at=2000-01-01T00:00:00Z' });
      expect(before.statusCode).toBe(404);
      const then = await app.inject({ method: 'GET', url: `/orders/1001/state?at=${placedAt}` });
      expect(then.statusCode).toBe(200);
      const bad = await app.inject({ method: 'GET', url: '/orders/1001/state?at=yesterday' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().errors).toEqual([
        { in: 'querystring', path: 'at', message: 'must match format "date-time"' },
      ]);
    });
  });
});
