// The few JSON Schema builders the route schemas are written with.

/** A JSON Schema, as far as these routes use it. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** A bounded string. */
export const string = (minLength: number, maxLength: number, extra: JsonSchema = {}): JsonSchema => ({
  type: 'string',
  minLength,
  maxLength,
  ...extra,
});
/** A bounded integer. */
export const integer = (minimum: number, maximum: number): JsonSchema => ({
  type: 'integer',
  minimum,
  maximum,
});
/** An object of exactly these properties. */
export const object = (properties: Record<string, JsonSchema>, required: readonly string[]): JsonSchema => ({
  type: 'object',
  additionalProperties: false,
  required,
  properties,
});
/** A schema registered once (`app.addSchema`) and referenced by its `$id`: a component in OpenAPI. */
export const ref = (id: string): JsonSchema => ({ $ref: `${id}#` });
