import type { FastifyInstance } from 'fastify';

import { buildServer, OPENAPI_PATH, ROUTE_SCHEMAS } from '@rewind/energy-bar-shop';
import { openShop } from '../shopFixture';

type Json = Record<string, unknown>;
interface Operation {
  readonly parameters?: ReadonlyArray<{ in: string; name: string; required?: boolean; schema: Json }>;
  readonly requestBody?: { content: Record<string, { schema: Json }> };
  readonly responses: Record<string, { description: string; content?: Record<string, { schema: Json }> }>;
}
interface OpenApiDocument {
  readonly openapi: string;
  readonly info: { title: string; version: string };
  readonly paths: Record<string, Record<string, Operation>>;
  readonly components: { schemas: Record<string, Json> };
}

/** `PUT /menu/products/:productId/name` → [`put`, `/menu/products/{productId}/name`]. */
function openApiKey(route: string): [string, string] {
  const [method, url] = route.split(' ') as [string, string];
  return [method.toLowerCase(), url.replace(/:(\w+)/g, '{$1}')];
}

/** Every `$ref` in a JSON value. */
function refs(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refs);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => (k === '$ref' && typeof v === 'string' ? [v] : refs(v)));
}

describe(`the OpenAPI document (GET ${OPENAPI_PATH})`, () => {
  let app: FastifyInstance;
  let doc: OpenApiDocument;
  const registered: string[] = [];

  beforeAll(async () => {
    app = buildServer(await openShop());
    // Added before the routes plugin loads, so it sees every route the API registers.
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat())
        if (method !== 'HEAD') registered.push(`${method} ${route.url}`);
    });
    await app.ready();
    const response = await app.inject({ method: 'GET', url: OPENAPI_PATH });
    expect(response.statusCode).toBe(200);
    doc = response.json();
  });
  afterAll(() => app.close());

  it('is OpenAPI 3 in shape: version, info, paths, and components every $ref points at', () => {
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(Object.keys(doc.paths).length).toBeGreaterThan(0);
    const components = Object.keys(doc.components.schemas);
    expect(components).toEqual(expect.arrayContaining(['Problem', 'MenuEntry', 'OrderSummary']));
    for (const ref of refs(doc)) expect(components).toContain(ref.replace('#/components/schemas/', ''));
  });

  it('lists every route the server has, each with a schema, and nothing else', () => {
    expect(registered.sort()).toEqual(Object.keys(ROUTE_SCHEMAS).sort());
    const listed = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method} ${path}`),
    );
    expect(listed.sort()).toEqual(
      Object.keys(ROUTE_SCHEMAS)
        .map((route) => openApiKey(route).join(' '))
        .sort(),
    );
  });

  it.each(Object.keys(ROUTE_SCHEMAS))('documents %s: parameters, body and responses', (route) => {
    const [method, path] = openApiKey(route);
    const operation = doc.paths[path]![method]!;
    for (const name of [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])) {
      expect(operation.parameters).toContainEqual(
        expect.objectContaining({
          in: 'path',
          name,
          required: true,
          schema: expect.objectContaining({ maxLength: expect.any(Number) }),
        }),
      );
    }
    const success = Object.keys(operation.responses).filter((status) => /^2\d\d$/.test(status));
    expect(success).toHaveLength(1);
    expect(operation.responses[success[0]!]!.content!['application/json']!.schema).toEqual(
      expect.any(Object),
    );
    for (const errors of ['4XX', '5XX']) {
      expect(operation.responses[errors]!.content!['application/problem+json']!.schema).toEqual({
        $ref: '#/components/schemas/Problem',
      });
    }
    const body = (ROUTE_SCHEMAS as Record<string, { body?: unknown }>)[route]!.body;
    if (body) {
      const schema = operation.requestBody!.content['application/json']!.schema;
      expect(schema).toMatchObject({ type: 'object', additionalProperties: false });
    } else {
      expect(operation.requestBody).toBeUndefined();
    }
  });

  it('bounds what a client sends: every string a maxLength, every array a maxItems', () => {
    const unbounded: string[] = [];
    const walk = (schema: unknown, where: string): void => {
      if (typeof schema !== 'object' || schema === null) return;
      const s = schema as Json;
      if (s.type === 'string' && s.enum === undefined && typeof s.maxLength !== 'number')
        unbounded.push(where);
      if (s.type === 'array' && typeof s.maxItems !== 'number') unbounded.push(where);
      for (const [key, value] of Object.entries(s)) walk(value, `${where}.${key}`);
    };
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        walk(operation.parameters, `${method} ${path} parameters`);
        walk(operation.requestBody, `${method} ${path} body`);
      }
    }
    expect(unbounded).toEqual([]);
  });
});
