import { ARRAY_MAX_SIZE, getMetadataStorage } from 'class-validator';
import type { Type } from '@rewind/core';

/** Fastify route options that bound a command's arrays in its JSON body. */
export interface BodyLimits {
  readonly schema?: {
    readonly body: {
      readonly type: 'object';
      readonly properties: Record<string, { readonly type: 'array'; readonly maxItems: number }>;
    };
  };
}

/**
 * Route options for a command's body: each array property is bounded by the class's own
 * `@ArrayMaxSize`. Fastify checks the schema on the parsed JSON before the handler runs, so an order of
 * 25,000 lines is refused at once instead of being transformed and validated line by line (seconds of
 * CPU in which the server answers nobody). Every other rule stays with the command's class-validator
 * rules; the server turns Fastify's type coercion off, so a body the schema does not fit is refused,
 * never rewritten.
 *
 * @example
 * app.post('/orders', bodyLimits(PlaceOrder), handler);
 */
export function bodyLimits(commandClass: Type): BodyLimits {
  const properties: Record<string, { type: 'array'; maxItems: number }> = {};
  for (const rule of getMetadataStorage().getTargetValidationMetadatas(commandClass, '', true, false)) {
    const max = rule.constraints?.[0];
    if (rule.name === ARRAY_MAX_SIZE && typeof max === 'number')
      properties[rule.propertyName] = { type: 'array', maxItems: max };
  }
  return Object.keys(properties).length ? { schema: { body: { type: 'object', properties } } } : {};
}
