import { SLUG_PATTERN } from '../menu/commands';
import { ID_PATTERN } from '../shared/ids';
import { integer, object, ref, string, type JsonSchema } from './jsonSchema';
import { PROBLEM_CONTENT_TYPE } from './problems';

/**
 * The HTTP contract of the shop's API as JSON Schema: Fastify validates each request against it with
 * ajv before the handler runs (no type is coerced, no unknown field dropped: what does not fit is a
 * 400), serialises each response with it, and `@fastify/swagger` publishes it as OpenAPI. Every string
 * and array is bounded, so a body is refused at its first oversized field, before anything walks it.
 * The commands' class-validator rules stay behind it as the domain's own line; the bounds here match
 * them (`test/http/schemas.unit.spec.ts` checks that they do).
 */

export type { JsonSchema } from './jsonSchema';
export { SHARED_SCHEMAS } from './sharedSchemas';

const id = string(1, 40, { pattern: ID_PATTERN.source, description: 'letters, digits, "_" or "-"' });
const slug = string(1, 60, { pattern: SLUG_PATTERN.source, examples: ['energy-bar'] });
const name = string(1, 60);
const price = { ...integer(100, 1_000_000), description: 'in won' };

/** The body of every error, under every 4xx and 5xx of every route. */
const problems = {
  '4xx': {
    description: 'A problem with the request (problem details)',
    content: { [PROBLEM_CONTENT_TYPE]: { schema: ref('Problem') } },
  },
  '5xx': {
    description: 'A problem on the server (problem details)',
    content: { [PROBLEM_CONTENT_TYPE]: { schema: ref('Problem') } },
  },
};

/** A route's `schema`: a summary, the request parts it has, and its success response with `problems`. */
function route(
  summary: string,
  tag: string,
  parts: { params?: JsonSchema; querystring?: JsonSchema; body?: JsonSchema },
  success: { status: 200 | 201; description: string; schema: JsonSchema },
): JsonSchema {
  return {
    summary,
    tags: [tag],
    ...parts,
    response: { [success.status]: { description: success.description, ...success.schema }, ...problems },
  };
}

/**
 * A command's answer: how many attempts the command bus made, and what the handler returned; with
 * `alreadyApplied` when a request sent again with the same Idempotency-Key found its command applied
 * (the value is then null).
 */
const accepted = (value: JsonSchema = { type: 'null' }): JsonSchema => ({
  type: 'object',
  required: ['ok', 'attempts', 'value'],
  properties: {
    ok: { type: 'boolean', const: true },
    attempts: { type: 'integer' },
    alreadyApplied: { type: 'boolean' },
    value: value.type === 'null' ? value : { anyOf: [value, { type: 'null' }] },
  },
});
const ok = (description: string, value?: JsonSchema) => ({
  status: 200 as const,
  description,
  schema: accepted(value),
});
const list = (component: string, description: string) => ({
  status: 200 as const,
  description,
  schema: { type: 'array', items: ref(component) },
});

const productParams = object({ productId: slug }, ['productId']);
const orderParams = object({ orderId: id }, ['orderId']);
const ticketParams = object({ ticketId: id }, ['ticketId']);
const deliveryParams = object({ deliveryId: id }, ['deliveryId']);
const showAll = {
  type: 'object',
  properties: { all: { type: 'string', enum: ['true', 'false'], description: 'include finished ones' } },
};

/** Bounds of {@link PlaceOrder}'s lines (its `@ArrayMaxSize`, its lines' `@Max`). */
export const ORDER_LIMITS = { lines: 20, quantity: 50 } as const;

/** Every route's schema, by `METHOD /path`. */
export const ROUTE_SCHEMAS = {
  'GET /health': route(
    'Liveness: the process serves requests',
    'operations',
    {},
    {
      status: 200,
      description: 'Always, while the process serves',
      schema: object({ status: { type: 'string', const: 'ok' } }, ['status']),
    },
  ),
  'GET /ready': route(
    'Readiness: the stores answer and every projection is caught up (503 otherwise)',
    'operations',
    {},
    {
      status: 200,
      description: 'Ready: reads reflect every write made so far',
      schema: object(
        {
          status: { type: 'string', const: 'ready' },
          checks: { type: 'array', items: ref('ReadinessCheck') },
        },
        ['status', 'checks'],
      ),
    },
  ),
  'GET /menu': route('The menu, available products first', 'menu', {}, list('MenuEntry', 'The menu')),
  'POST /menu/products': route(
    'Add a product to the menu',
    'menu',
    { body: object({ productId: slug, name, price }, ['productId', 'name', 'price']) },
    { ...ok('Added'), status: 201 },
  ),
  'PUT /menu/products/:productId/name': route(
    'Rename a product (every read model follows)',
    'menu',
    { params: productParams, body: object({ name }, ['name']) },
    ok('Renamed'),
  ),
  'PUT /menu/products/:productId/price': route(
    "Change a product's price",
    'menu',
    { params: productParams, body: object({ price }, ['price']) },
    ok('Repriced'),
  ),
  'DELETE /menu/products/:productId': route(
    'Withdraw a product from the menu',
    'menu',
    { params: productParams },
    ok('Withdrawn'),
  ),
  'POST /orders': route(
    'Place an order (card-0002 is declined)',
    'orders',
    {
      body: object(
        {
          orderId: { ...id, description: 'a new id is given when absent' },
          customer: string(1, 60),
          address: string(3, 200),
          paymentMethod: string(9, 9, { pattern: '^card-\\d{4}$', examples: ['card-4242'] }),
          lines: {
            type: 'array',
            minItems: 1,
            maxItems: ORDER_LIMITS.lines,
            items: object({ productId: string(1, 60), quantity: integer(1, ORDER_LIMITS.quantity) }, [
              'productId',
              'quantity',
            ]),
          },
        },
        ['customer', 'address', 'paymentMethod', 'lines'],
      ),
    },
    {
      ...ok(
        'Placed (and paid or declined: the answer comes once every reaction ran)',
        object({ orderId: { type: 'string' }, total: { type: 'integer' } }, ['orderId', 'total']),
      ),
      status: 201,
    },
  ),
  'GET /orders': route('Every order, oldest first', 'orders', {}, list('OrderSummary', 'Order summaries')),
  'GET /orders/:orderId': route(
    "One order's summary",
    'orders',
    { params: orderParams },
    { status: 200, description: 'The order summary', schema: ref('OrderSummary') },
  ),
  'GET /orders/:orderId/state': route(
    'Time travel: the order aggregate as it is, or as it was at a moment',
    'orders',
    {
      params: orderParams,
      querystring: {
        type: 'object',
        properties: { at: { type: 'string', format: 'date-time', maxLength: 40 } },
      },
    },
    {
      status: 200,
      description: "The order's state and revision",
      schema: {
        type: 'object',
        required: ['orderId', 'revision', 'state'],
        properties: {
          orderId: { type: 'string' },
          revision: { type: 'integer' },
          state: { type: 'object', additionalProperties: true },
        },
      },
    },
  ),
  'GET /orders/:orderId/history': route(
    "The order's history: each event with the changes it made",
    'orders',
    { params: orderParams },
    {
      status: 200,
      description: 'One entry per event, oldest first',
      schema: {
        type: 'array',
        items: {
          type: 'object',
          required: ['revision', 'type', 'recordedAt', 'changes'],
          properties: {
            revision: { type: 'integer' },
            type: { type: 'string', examples: ['order.placed'] },
            recordedAt: { type: 'string', format: 'date-time' },
            changes: {
              type: 'array',
              items: {
                type: 'object',
                required: ['type', 'path'],
                properties: {
                  type: { type: 'string', enum: ['CREATE', 'CHANGE', 'REMOVE'] },
                  path: { type: 'array', items: { type: ['string', 'integer'] } },
                  oldValue: {},
                  value: {},
                },
              },
            },
          },
        },
      },
    },
  ),
  'GET /kitchen/queue': route(
    'Tickets the kitchen still has to make (all=true adds made and voided ones)',
    'kitchen',
    { querystring: showAll },
    list('KitchenTicket', 'Kitchen tickets'),
  ),
  'POST /kitchen/tickets/:ticketId/start': route(
    'A cook takes a queued ticket',
    'kitchen',
    { params: ticketParams, body: object({ cook: string(1, 40) }, ['cook']) },
    ok('Started'),
  ),
  'POST /kitchen/tickets/:ticketId/finish': route(
    'The cook finished the ticket',
    'kitchen',
    { params: ticketParams },
    ok('Finished'),
  ),
  'GET /deliveries': route(
    'Deliveries not yet finished (all=true adds delivered and cancelled ones)',
    'delivery',
    { querystring: showAll },
    list('Delivery', 'The delivery board'),
  ),
  'POST /deliveries/:deliveryId/confirm': route(
    'The courier confirms the hand-over',
    'delivery',
    { params: deliveryParams },
    ok('Delivered'),
  ),
  'GET /sales': route(
    'Sales per product per day, newest day first',
    'sales',
    {},
    list('DailySales', 'Sales'),
  ),
} as const satisfies Record<string, JsonSchema>;

/** A route of the API, as `METHOD /path`. */
export type RouteKey = keyof typeof ROUTE_SCHEMAS;
