import type { FastifyInstance } from 'fastify';

import {
  AggregateNotFoundError,
  ConcurrencyError,
  StoreUnavailableError,
  AppendOutcomeUnknownError,
  ValidationError,
} from '@rewind/core';
import { buildServer, errorToProblem, PROBLEM_TYPES, type Shop } from '@rewind/energy-bar-shop';
import { openShop } from '../shopFixture';

const PROBLEM_FIELDS = ['type', 'title', 'status', 'detail', 'instance', 'requestId'];
const EXTENSIONS = ['errors', 'rule', 'checks'];

/** Checks the one shape every error response has, and returns its body. */
function expectProblem(
  response: { statusCode: number; headers: Record<string, unknown>; json(): Record<string, unknown> },
  status: number,
  slug: string,
): Record<string, unknown> {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = response.json();
  expect(
    Object.keys(body)
      .filter((k) => !EXTENSIONS.includes(k))
      .sort(),
  ).toEqual([...PROBLEM_FIELDS].sort());
  expect(body).toMatchObject({
    type: `/problems/${slug}`,
    title: PROBLEM_TYPES[slug as keyof typeof PROBLEM_TYPES].title,
    status,
    requestId: response.headers['x-request-id'],
  });
  return body;
}

describe('HTTP API errors: application/problem+json (RFC 9457)', () => {
  let shop: Shop;
  let app: FastifyInstance;

  beforeEach(async () => {
    shop = await openShop();
    app = buildServer(shop);
    await app.ready();
  });
  afterEach(() => app.close());

  const order = { customer: 'Jisoo', address: '12 Gangnam-daero', paymentMethod: 'card-4242', lines: [] };

  it('answers an unknown route with 404 route-not-found, naming the method and path', async () => {
    const response = await app.inject({ method: 'GET', url: '/coupons/7?x=1' });
    const body = expectProblem(response, 404, 'route-not-found');
    expect(body).toMatchObject({ instance: '/coupons/7', detail: 'No route answers GET /coupons/7.' });
  });

  it('answers errors met before routing (a URL that does not decode) in the same shape', async () => {
    const response = await app.inject({ method: 'GET', url: '/orders/%E0%A4%A' });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toEqual({
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      detail: "'/orders/%E0%A4%A' is not a valid url component",
      instance: '/orders/%E0%A4%A',
      requestId: response.headers['x-request-id'],
    });
    expect(response.headers['x-request-id']).toEqual(expect.any(String));
  });

  it('answers a body that is not JSON with 415 unsupported-media-type', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/orders',
      headers: { 'content-type': 'text/plain' },
      payload: 'two energy bars please',
    });
    expectProblem(response, 415, 'unsupported-media-type');
  });

  it('answers a body over the limit with 413 payload-too-large', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/orders',
      payload: { ...order, address: 'x'.repeat(1_100_000) },
    });
    expectProblem(response, 413, 'payload-too-large');
  });

  it('answers malformed and empty JSON bodies with 400 malformed-body', async () => {
    const headers = { 'content-type': 'application/json' };
    const broken = await app.inject({ method: 'POST', url: '/orders', headers, payload: '{"customer": ' });
    expect(expectProblem(broken, 400, 'malformed-body').detail).toBe('The body is not valid JSON.');
    const empty = await app.inject({ method: 'POST', url: '/orders', headers, payload: '' });
    expectProblem(empty, 400, 'malformed-body');
  });

  it('answers a bad path parameter with 400 validation-failed in params', async () => {
    const response = await app.inject({ method: 'GET', url: '/orders/not%20an%20id' });
    const body = expectProblem(response, 400, 'validation-failed');
    expect(body.errors).toEqual([
      { in: 'params', path: 'orderId', message: expect.stringMatching(/pattern/) },
    ]);
  });

  it('answers a write that lost a race the command bus could not retry away with 409, without advice to developers', async () => {
    jest.spyOn(shop, 'executePlain').mockRejectedValueOnce(new ConcurrencyError('menu-main', 3n, 4n));
    const response = await app.inject({
      method: 'PUT',
      url: '/menu/products/energy-bar/price',
      payload: { price: 2600 },
    });
    const body = expectProblem(response, 409, 'concurrent-modification');
    expect(body.detail).toBe(
      'Another request changed the same resource at the same moment. Read it again, then retry.',
    );
    expect(response.body).not.toMatch(/expectedRevision|CommandBus|menu-main/);
  });

  it('answers an unreachable store with 503 service-unavailable', async () => {
    jest
      .spyOn(shop, 'executePlain')
      .mockRejectedValueOnce(
        new StoreUnavailableError('SQLite file /var/lib/shop/events.db is locked; check the path'),
      );
    const response = await app.inject({ method: 'DELETE', url: '/menu/products/oat-bar' });
    expectProblem(response, 503, 'service-unavailable');
    expect(response.body).not.toMatch(/events\.db|check the path/);
  });

  it('answers an append whose outcome is unknown with 503, telling the client to resend with the same Idempotency-Key', async () => {
    jest
      .spyOn(shop, 'executePlain')
      .mockRejectedValueOnce(
        new AppendOutcomeUnknownError('menu-main', 3n, ['e-1'], 'EventStoreDB at db:2113 did not answer'),
      );
    const response = await app.inject({ method: 'DELETE', url: '/menu/products/oat-bar' });
    const body = expectProblem(response, 503, 'service-unavailable');
    expect(body.detail).toMatch(/may or may not have been recorded/);
    expect(body.detail).toMatch(/same Idempotency-Key/);
    expect(response.body).not.toMatch(/menu-main|db:2113/);
  });

  it('answers anything unexpected with 500 internal-error and leaks nothing of it', async () => {
    jest
      .spyOn(shop.queries, 'sales')
      .mockRejectedValueOnce(new Error('connect postgres://rewind:secret@db:5432'));
    const response = await app.inject({ method: 'GET', url: '/sales' });
    const body = expectProblem(response, 500, 'internal-error');
    expect(body.detail).toBe('The request failed on the server. Quote its requestId when you report it.');
    expect(response.body).not.toMatch(/postgres|secret|Error/);
  });
});

describe('errorToProblem', () => {
  const request = { path: '/orders/7', id: 'req-1', params: { orderId: '7' } };

  it("writes its own detail for Rewind's errors, whose messages advise developers", () => {
    const missing = new AggregateNotFoundError('order', '7', 'order-7');
    expect(missing.message).toMatch(/mode: "create"/);
    expect(errorToProblem(missing, request)).toEqual({
      type: '/problems/not-found',
      title: 'Not found',
      status: 404,
      detail: 'No order with id "7".',
      instance: '/orders/7',
      requestId: 'req-1',
    });
    const invalid = new ValidationError('command PlaceOrder', [
      { path: 'orderId', constraints: { matches: 'orderId must be 1-40 letters' } },
      { path: 'lines.0.quantity', value: 0, constraints: { min: 'quantity must not be less than 1' } },
    ]);
    expect(invalid.message).toMatch(/Fix the listed fields/);
    expect(errorToProblem(invalid, request)).toMatchObject({
      type: '/problems/validation-failed',
      detail: '2 fields were refused: params.orderId, body.lines.0.quantity.',
      errors: [
        { in: 'params', path: 'orderId', message: 'orderId must be 1-40 letters' },
        { in: 'body', path: 'lines.0.quantity', message: 'quantity must not be less than 1' },
      ],
    });
  });

  it('never names a class in `type`', () => {
    for (const error of [new ConcurrencyError('s', 1n, 2n), new Error('x'), new TypeError('y')]) {
      expect(errorToProblem(error, request).type).toMatch(/^\/problems\/[a-z-]+$/);
    }
  });

  it("answers Fastify's other client errors as about:blank with the status's own title", () => {
    const error = Object.assign(new Error('Request body size did not match Content-Length'), {
      code: 'FST_ERR_CTP_INVALID_CONTENT_LENGTH',
      statusCode: 400,
    });
    expect(errorToProblem(error, request)).toMatchObject({
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      detail: 'Request body size did not match Content-Length',
    });
  });

  it('trusts no status code of an error that is not Fastify’s own', () => {
    const vendor = Object.assign(new Error('upstream said 404 for /internal/ledger'), { statusCode: 404 });
    expect(errorToProblem(vendor, request)).toMatchObject({ status: 500, type: '/problems/internal-error' });
  });
});
