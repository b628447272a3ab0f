import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { AggregateNotFoundError, aggregateState, type Type } from '@rewind/core';
import { ConfirmDelivery } from '../delivery/commands';
import { FinishTicket, StartTicket } from '../kitchen/commands';
import { AddProduct, ChangePrice, RenameProduct, WithdrawProduct } from '../menu/commands';
import { PlaceOrder } from '../order/commands';
import { Order } from '../order/order';
import { MENU_ID, type Shop } from '../shop';
import { bodyLimits } from './bodySchema';
import { errorResponse } from './errorResponse';

type Params = Record<string, string>;

/** Options for {@link buildServer}. */
export interface ServerOptions {
  /** Fastify's logger (off by default). */
  readonly logger?: boolean;
}

/**
 * The shop's HTTP API: commands as POST/PUT/DELETE (validated by the command bus), queries as GET from
 * the read models, errors mapped in one place (see {@link errorResponse}).
 *
 * @example
 * const app = buildServer(await createShop());
 * await app.listen({ port: 3000 });
 */
export function buildServer(shop: Shop, options: ServerOptions = {}): FastifyInstance {
  // Route schemas (see bodyLimits) refuse what does not fit; they never coerce a value into another type.
  const app = Fastify({ logger: options.logger ?? false, ajv: { customOptions: { coerceTypes: false } } });

  app.setErrorHandler((error, request, reply) => {
    const { status, body } = errorResponse(error);
    if (status >= 500) request.log.error(error);
    void reply.status(status).send(body);
  });

  /** Executes a command from the body plus fields from the route, then answers with `status`. */
  const command = async (
    reply: FastifyReply,
    commandClass: Type,
    body: unknown,
    fields: Record<string, unknown>,
    status = 200,
  ) => {
    const input =
      body === undefined || body === null ? fields : isObject(body) ? { ...body, ...fields } : body;
    const result = await shop.executePlain(commandClass, input);
    return reply.status(status).send({ ok: true, attempts: result.attempts, value: result.value ?? null });
  };

  // menu
  app.get('/menu', () => shop.queries.menu());
  app.post('/menu/products', bodyLimits(AddProduct), (request, reply) =>
    command(reply, AddProduct, request.body, { menuId: MENU_ID }, 201),
  );
  app.put<{ Params: Params }>('/menu/products/:productId/name', bodyLimits(RenameProduct), (request, reply) =>
    command(reply, RenameProduct, request.body, { menuId: MENU_ID, productId: request.params.productId }),
  );
  app.put<{ Params: Params }>('/menu/products/:productId/price', bodyLimits(ChangePrice), (request, reply) =>
    command(reply, ChangePrice, request.body, { menuId: MENU_ID, productId: request.params.productId }),
  );
  app.delete<{ Params: Params }>('/menu/products/:productId', (request, reply) =>
    command(reply, WithdrawProduct, undefined, { menuId: MENU_ID, productId: request.params.productId }),
  );

  // orders
  // Oversized arrays are refused by the route schema, before the body reaches the command bus.
  app.post('/orders', bodyLimits(PlaceOrder), (request, reply) => {
    const body = request.body;
    const orderId = isObject(body) && body.orderId !== undefined ? {} : { orderId: randomUUID().slice(0, 8) };
    return command(reply, PlaceOrder, body, orderId, 201);
  });
  app.get('/orders', () => shop.queries.orders());
  app.get<{ Params: Params }>('/orders/:orderId', async (request) => {
    const order = await shop.queries.order(request.params.orderId);
    if (!order) throw notFound('order', request.params.orderId);
    return order;
  });
  app.get<{ Params: Params; Querystring: { at?: string } }>('/orders/:orderId/state', async (request) => {
    const at = request.query.at === undefined ? undefined : new Date(request.query.at);
    const order = await shop.repository.load(Order, request.params.orderId, at ? { at } : {});
    return { orderId: order.id, revision: Number(order.revision), state: aggregateState(order) };
  });
  app.get<{ Params: Params }>('/orders/:orderId/history', async (request) => {
    const entries = [];
    for await (const entry of shop.repository.history(Order, request.params.orderId)) {
      entries.push({
        revision: Number(entry.revision),
        type: entry.envelope.type,
        recordedAt: entry.envelope.recordedAt.toISOString(),
        changes: entry.changes,
      });
    }
    return entries;
  });

  // kitchen
  app.get<{ Querystring: { all?: string } }>('/kitchen/queue', (request) =>
    shop.queries.kitchenQueue({ all: request.query.all === 'true' }),
  );
  app.post<{ Params: Params }>(
    '/kitchen/tickets/:ticketId/start',
    bodyLimits(StartTicket),
    (request, reply) => command(reply, StartTicket, request.body, { ticketId: request.params.ticketId }),
  );
  app.post<{ Params: Params }>('/kitchen/tickets/:ticketId/finish', (request, reply) =>
    command(reply, FinishTicket, undefined, { ticketId: request.params.ticketId }),
  );

  // delivery
  app.get<{ Querystring: { all?: string } }>('/deliveries', (request) =>
    shop.queries.deliveryBoard({ all: request.query.all === 'true' }),
  );
  app.post<{ Params: Params }>('/deliveries/:deliveryId/confirm', (request, reply) =>
    command(reply, ConfirmDelivery, undefined, { deliveryId: request.params.deliveryId }),
  );

  // sales
  app.get('/sales', () => shop.queries.sales());

  return app;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function notFound(what: string, id: string): AggregateNotFoundError {
  return new AggregateNotFoundError(what, id, `${what}-${id}`, {
    hint: `No ${what} "${id}" in the read model.`,
  });
}
