import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { AggregateNotFoundError, aggregateState, type Type } from '@rewind/core';
import { ConfirmDelivery } from '../delivery/commands';
import { FinishTicket, StartTicket } from '../kitchen/commands';
import { AddProduct, ChangePrice, RenameProduct, WithdrawProduct } from '../menu/commands';
import { PlaceOrder } from '../order/commands';
import { Order } from '../order/order';
import { MENU_ID, type Shop } from '../shop';
import { errorToProblem } from './errorToProblem';
import { PROBLEM_CONTENT_TYPE, problem, type ProblemDetails } from './problems';
import { checkReadiness } from './readiness';
import { commandIdOf, REQUEST_ID_HEADER, requestId } from './requestId';
import { ROUTE_SCHEMAS, SHARED_SCHEMAS } from './schemas';

/** Options for {@link buildServer}. */
export interface ServerOptions {
  /** Fastify's logger: `true` for its own pino, a pino logger to share one (off by default). */
  readonly logger?: boolean | FastifyBaseLogger;
  /** How long `GET /ready` waits for each store to answer (default 2 s). */
  readonly readyTimeoutMs?: number;
}

/** The path of the OpenAPI document. */
export const OPENAPI_PATH = '/openapi.json';

type Params<K extends string> = { Params: Record<K, string> };
type Body = { Body: Record<string, unknown> };

/**
 * The shop's HTTP API: commands as POST/PUT/DELETE, queries as GET from the read models, `GET /health`
 * and `GET /ready` for the platform, and the OpenAPI document at `GET /openapi.json`. Every route has a
 * JSON schema (see {@link ROUTE_SCHEMAS}); every error is `application/problem+json` (see
 * {@link errorToProblem}); each request's id (`x-request-id`, or a new UUID) is echoed in the response
 * and becomes the correlation id of the command it sends, so the events it raises can be found by it.
 *
 * @example
 * const app = buildServer(await createShop());
 * await app.listen({ port: 3000 });
 */
export function buildServer(shop: Shop, options: ServerOptions = {}): FastifyInstance {
  const app = Fastify({
    ...(typeof options.logger === 'object'
      ? { loggerInstance: options.logger }
      : { logger: options.logger ?? false }),
    genReqId: requestId,
    // The largest valid request (an order of 20 lines) is a few KiB. A bigger body is refused from its
    // Content-Length, before a byte of it is read or parsed: parsing a 1 MB JSON body costs the event
    // loop tens of ms, and a flood of them would starve every other request.
    bodyLimit: 16 * 1024,
    // What does not fit a schema is refused, never rewritten: no coercion, no silently dropped field.
    // One error per request (ajv's allErrors off): validation stops at the first oversized field.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    // Errors met before routing (a URL that does not decode, a path parameter over its length) too.
    frameworkErrors: (error, request, reply) => {
      void reply.header(REQUEST_ID_HEADER, request.id);
      return answerWithProblem(error, request, reply);
    },
  });
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  // Bodies are JSON or nothing: a text/plain body is a 415, not a string for the schema to refuse.
  app.removeContentTypeParser('text/plain');

  app.addHook('onRequest', async (request, reply) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
  });
  app.setErrorHandler(answerWithProblem);
  app.setNotFoundHandler((request, reply) => {
    const path = pathOf(request);
    return sendProblem(
      reply,
      problem('route-not-found', path, `No route answers ${request.method} ${path}.`, {
        requestId: request.id,
      }),
    );
  });

  void app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Energy-bar shop',
        version: '0.1.0',
        description:
          "Rewind's reference application. Errors are application/problem+json (RFC 9457); " +
          'x-request-id is echoed and becomes the correlation id of the events a request raises. ' +
          'Commands accept an Idempotency-Key header: a request sent again with the same key is applied once.',
      },
    },
    // Shared schemas become components named by their $id (`#/components/schemas/Problem`).
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
  });
  void app.register(async (api) => routes(api, shop, options));
  app.get(OPENAPI_PATH, { schema: { hide: true } }, () => app.swagger());
  return app;
}

/** The API's routes, registered after `@fastify/swagger` so that it sees every one. */
async function routes(app: FastifyInstance, shop: Shop, options: ServerOptions): Promise<void> {
  const S = ROUTE_SCHEMAS;

  /** Executes a command built from the body and the route's fields, correlated with the request. */
  const command = async (
    request: FastifyRequest,
    reply: FastifyReply,
    commandClass: Type,
    fields: Record<string, unknown>,
    { withBody = false, status = 200 } = {},
  ) => {
    const body = withBody ? (request.body as Record<string, unknown>) : {};
    const commandId = commandIdOf(request.raw, `${request.method} ${request.routeOptions.url}`);
    const result = await shop.executePlain(
      commandClass,
      { ...body, ...fields },
      { correlationId: request.id, ...(commandId ? { commandId } : {}) },
    );
    return reply.status(status).send({
      ok: true,
      attempts: result.attempts,
      ...(result.alreadyApplied ? { alreadyApplied: true } : {}),
      value: result.value ?? null,
    });
  };

  // operations
  app.get('/health', { schema: S['GET /health'] }, () => ({ status: 'ok' }));
  app.get('/ready', { schema: S['GET /ready'] }, async (request, reply) => {
    const readiness = await checkReadiness(shop, options.readyTimeoutMs);
    for (const { check, error } of readiness.errors)
      request.log.warn({ err: error, check }, 'readiness check failed');
    if (readiness.ready) return { status: 'ready', checks: readiness.checks };
    const failing = readiness.checks.filter((c) => !c.ready).map((c) => `${c.name} ${c.detail ?? ''}`.trim());
    return sendProblem(
      reply,
      problem('not-ready', pathOf(request), `Not ready: ${failing.join('; ')}.`, {
        requestId: request.id,
        checks: readiness.checks,
      }),
    );
  });

  // menu
  app.get('/menu', { schema: S['GET /menu'] }, () => shop.queries.menu());
  app.post<Body>('/menu/products', { schema: S['POST /menu/products'] }, (request, reply) =>
    command(request, reply, AddProduct, { menuId: MENU_ID }, { withBody: true, status: 201 }),
  );
  app.put<Params<'productId'> & Body>(
    '/menu/products/:productId/name',
    { schema: S['PUT /menu/products/:productId/name'] },
    (request, reply) =>
      command(
        request,
        reply,
        RenameProduct,
        { menuId: MENU_ID, productId: request.params.productId },
        { withBody: true },
      ),
  );
  app.put<Params<'productId'> & Body>(
    '/menu/products/:productId/price',
    { schema: S['PUT /menu/products/:productId/price'] },
    (request, reply) =>
      command(
        request,
        reply,
        ChangePrice,
        { menuId: MENU_ID, productId: request.params.productId },
        { withBody: true },
      ),
  );
  app.delete<Params<'productId'>>(
    '/menu/products/:productId',
    { schema: S['DELETE /menu/products/:productId'] },
    (request, reply) =>
      command(request, reply, WithdrawProduct, { menuId: MENU_ID, productId: request.params.productId }),
  );

  // orders
  app.post<Body>('/orders', { schema: S['POST /orders'] }, (request, reply) => {
    const orderId = request.body.orderId ?? randomUUID().slice(0, 8);
    return command(request, reply, PlaceOrder, { orderId }, { withBody: true, status: 201 });
  });
  app.get('/orders', { schema: S['GET /orders'] }, () => shop.queries.orders());
  app.get<Params<'orderId'>>('/orders/:orderId', { schema: S['GET /orders/:orderId'] }, async (request) => {
    const order = await shop.queries.order(request.params.orderId);
    if (!order) throw notFound('order', request.params.orderId);
    return order;
  });
  app.get<Params<'orderId'> & { Querystring: { at?: string } }>(
    '/orders/:orderId/state',
    { schema: S['GET /orders/:orderId/state'] },
    async (request) => {
      const at = request.query.at === undefined ? undefined : new Date(request.query.at);
      const order = await shop.repository.load(Order, request.params.orderId, at ? { at } : {});
      return { orderId: order.id, revision: Number(order.revision), state: aggregateState(order) };
    },
  );
  app.get<Params<'orderId'>>(
    '/orders/:orderId/history',
    { schema: S['GET /orders/:orderId/history'] },
    async (request) => {
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
    },
  );

  // kitchen
  app.get<{ Querystring: { all?: string } }>(
    '/kitchen/queue',
    { schema: S['GET /kitchen/queue'] },
    (request) => shop.queries.kitchenQueue({ all: request.query.all === 'true' }),
  );
  app.post<Params<'ticketId'> & Body>(
    '/kitchen/tickets/:ticketId/start',
    { schema: S['POST /kitchen/tickets/:ticketId/start'] },
    (request, reply) =>
      command(request, reply, StartTicket, { ticketId: request.params.ticketId }, { withBody: true }),
  );
  app.post<Params<'ticketId'>>(
    '/kitchen/tickets/:ticketId/finish',
    { schema: S['POST /kitchen/tickets/:ticketId/finish'] },
    (request, reply) => command(request, reply, FinishTicket, { ticketId: request.params.ticketId }),
  );

  // delivery
  app.get<{ Querystring: { all?: string } }>('/deliveries', { schema: S['GET /deliveries'] }, (request) =>
    shop.queries.deliveryBoard({ all: request.query.all === 'true' }),
  );
  app.post<Params<'deliveryId'>>(
    '/deliveries/:deliveryId/confirm',
    { schema: S['POST /deliveries/:deliveryId/confirm'] },
    (request, reply) => command(request, reply, ConfirmDelivery, { deliveryId: request.params.deliveryId }),
  );

  // sales
  app.get('/sales', { schema: S['GET /sales'] }, () => shop.queries.sales());
}

/** The error handler: the problem details for `error`; the full error itself goes to the log. */
function answerWithProblem(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const body = errorToProblem(error, {
    path: pathOf(request),
    id: request.id,
    params: request.params as Record<string, unknown> | undefined,
  });
  // Rewind's messages (advice to developers) and causes stay in the server log.
  if (body.status >= 500) request.log.error({ err: error }, body.title);
  else request.log.info({ err: error }, body.title);
  return sendProblem(reply, body);
}

function sendProblem(reply: FastifyReply, body: ProblemDetails): FastifyReply {
  return reply.status(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
}

/** The request's path, without its query string: a problem's `instance`. */
function pathOf(request: FastifyRequest): string {
  return request.url.split('?')[0] ?? request.url;
}

function notFound(what: string, id: string): AggregateNotFoundError {
  return new AggregateNotFoundError(what, id, `${what}-${id}`, {
    hint: `No ${what} "${id}" in the read model.`,
  });
}
