import { ref, type JsonSchema } from './jsonSchema';

/** Every shared schema, registered with `app.addSchema` before the routes. */
export const SHARED_SCHEMAS: readonly JsonSchema[] = [
  {
    $id: 'Problem',
    description: 'RFC 9457 problem details: the body of every 4xx and 5xx response.',
    type: 'object',
    required: ['type', 'title', 'status', 'detail', 'instance'],
    properties: {
      type: { type: 'string', format: 'uri-reference', examples: ['/problems/validation-failed'] },
      title: { type: 'string' },
      status: { type: 'integer' },
      detail: { type: 'string' },
      instance: { type: 'string', description: 'the request path' },
      requestId: { type: 'string', description: 'also in the x-request-id header' },
      errors: {
        type: 'array',
        description: 'validation-failed: each refused field',
        items: {
          type: 'object',
          required: ['in', 'path', 'message'],
          properties: {
            in: { type: 'string', enum: ['body', 'querystring', 'params', 'headers'] },
            path: { type: 'string' },
            message: { type: 'string' },
          },
        },
      },
      rule: { type: 'string', description: 'conflict, unprocessable-request: the business rule' },
      checks: { type: 'array', items: ref('ReadinessCheck') },
    },
  },
  {
    $id: 'ReadinessCheck',
    type: 'object',
    required: ['name', 'ready'],
    properties: {
      name: { type: 'string', examples: ['event-store', 'read-model-store', 'projection:menu'] },
      ready: { type: 'boolean' },
      detail: { type: 'string' },
    },
  },
  {
    $id: 'Item',
    type: 'object',
    required: ['productId', 'name', 'quantity'],
    properties: {
      productId: { type: 'string' },
      name: { type: 'string', description: "the product's current name" },
      quantity: { type: 'integer' },
      unitPrice: { type: 'integer' },
    },
  },
  {
    $id: 'MenuEntry',
    type: 'object',
    required: ['productId', 'name', 'price', 'available'],
    properties: {
      productId: { type: 'string' },
      name: { type: 'string' },
      price: { type: 'integer' },
      available: { type: 'boolean' },
    },
  },
  {
    $id: 'OrderSummary',
    type: 'object',
    required: ['orderId', 'customer', 'items', 'total', 'status', 'placedAt'],
    properties: {
      orderId: { type: 'string' },
      customer: { type: 'string' },
      items: { type: 'array', items: ref('Item') },
      total: { type: 'integer' },
      status: {
        type: 'string',
        enum: [
          'awaiting payment',
          'paid',
          'in the kitchen',
          'ready',
          'on the road',
          'delivered',
          'cancelled',
        ],
      },
      courier: { type: 'string' },
      note: { type: 'string' },
      placedAt: { type: 'string', format: 'date-time' },
    },
  },
  {
    $id: 'KitchenTicket',
    type: 'object',
    required: ['ticketId', 'orderId', 'items', 'status'],
    properties: {
      ticketId: { type: 'string' },
      orderId: { type: 'string' },
      items: { type: 'array', items: ref('Item') },
      status: { type: 'string', enum: ['awaiting payment', 'queued', 'making', 'made', 'voided'] },
      cook: { type: 'string' },
      note: { type: 'string' },
    },
  },
  {
    $id: 'Delivery',
    type: 'object',
    required: ['deliveryId', 'orderId', 'customer', 'address', 'items', 'status'],
    properties: {
      deliveryId: { type: 'string' },
      orderId: { type: 'string' },
      customer: { type: 'string' },
      address: { type: 'string' },
      items: { type: 'array', items: ref('Item') },
      status: { type: 'string', enum: ['waiting for kitchen', 'on the road', 'delivered', 'cancelled'] },
      courier: { type: 'string' },
      note: { type: 'string' },
    },
  },
  {
    $id: 'DailySales',
    type: 'object',
    required: ['day', 'productId', 'name', 'quantity', 'revenue'],
    properties: {
      day: { type: 'string', format: 'date' },
      productId: { type: 'string' },
      name: { type: 'string' },
      quantity: { type: 'integer' },
      revenue: { type: 'integer' },
    },
  },
];
