import { getMetadataStorage } from 'class-validator';

import type { Type } from '@rewind/core';
import {
  AddProduct,
  ChangePrice,
  ConfirmDelivery,
  FinishTicket,
  OrderLineRequest,
  PlaceOrder,
  RenameProduct,
  ROUTE_SCHEMAS,
  StartTicket,
  WithdrawProduct,
  type JsonSchema,
  type RouteKey,
} from '@rewind/energy-bar-shop';

/** The command each command route sends. */
const COMMANDS: Partial<Record<RouteKey, Type>> = {
  'POST /menu/products': AddProduct,
  'PUT /menu/products/:productId/name': RenameProduct,
  'PUT /menu/products/:productId/price': ChangePrice,
  'DELETE /menu/products/:productId': WithdrawProduct,
  'POST /orders': PlaceOrder,
  'POST /kitchen/tickets/:ticketId/start': StartTicket,
  'POST /kitchen/tickets/:ticketId/finish': FinishTicket,
  'POST /deliveries/:deliveryId/confirm': ConfirmDelivery,
};

/** A class's class-validator rules per property: rule name → constraints. */
function rulesOf(commandClass: Type): Map<string, Map<string, unknown[]>> {
  const rules = new Map<string, Map<string, unknown[]>>();
  for (const rule of getMetadataStorage().getTargetValidationMetadatas(commandClass, '', true, false)) {
    if (!rule.name) continue;
    const property = rules.get(rule.propertyName) ?? new Map<string, unknown[]>();
    property.set(rule.name, rule.constraints ?? []);
    rules.set(rule.propertyName, property);
  }
  return rules;
}

/** Where a field's schema is at most as permissive as its class-validator rules, or what differs. */
function mismatches(where: string, schema: JsonSchema, rules: Map<string, unknown[]>): string[] {
  const found: string[] = [];
  const num = (key: string) => schema[key] as number | undefined;
  const length = rules.get('isLength');
  if (length) {
    const [min, max] = length as [number, number | undefined];
    if (!((num('minLength') ?? 0) >= min)) found.push(`${where}: minLength below ${min}`);
    if (max !== undefined && !((num('maxLength') ?? Infinity) <= max))
      found.push(`${where}: maxLength above ${max}`);
  }
  const min = rules.get('min')?.[0] as number | undefined;
  if (min !== undefined && !((num('minimum') ?? -Infinity) >= min))
    found.push(`${where}: minimum below ${min}`);
  const max = rules.get('max')?.[0] as number | undefined;
  if (max !== undefined && !((num('maximum') ?? Infinity) <= max))
    found.push(`${where}: maximum above ${max}`);
  const maxItems = rules.get('arrayMaxSize')?.[0] as number | undefined;
  if (maxItems !== undefined && !((num('maxItems') ?? Infinity) <= maxItems))
    found.push(`${where}: maxItems above ${maxItems}`);
  const pattern = rules.get('matches')?.[0];
  if (pattern instanceof RegExp && schema.pattern !== pattern.source) found.push(`${where}: pattern differs`);
  if (rules.has('isInt') && schema.type !== 'integer') found.push(`${where}: not an integer`);
  return found;
}

describe('route schemas and the commands they send', () => {
  it.each(Object.entries(COMMANDS))(
    '%s: the schema is at least as strict as the command’s class-validator rules',
    (route, commandClass) => {
      const schema = ROUTE_SCHEMAS[route as RouteKey] as { body?: JsonSchema; params?: JsonSchema };
      const rules = rulesOf(commandClass);
      const found: string[] = [];
      let checked = 0;
      for (const part of [schema.body, schema.params]) {
        const properties = (part?.properties ?? {}) as Record<string, JsonSchema>;
        for (const [field, fieldSchema] of Object.entries(properties)) {
          const fieldRules = rules.get(field);
          if (!fieldRules) {
            found.push(`${field}: no such field on ${commandClass.name}`);
            continue;
          }
          checked++;
          found.push(...mismatches(field, fieldSchema, fieldRules));
          const items = fieldSchema.items as JsonSchema | undefined;
          if (field === 'lines' && items) {
            const lineRules = rulesOf(OrderLineRequest);
            for (const [lineField, lineSchema] of Object.entries(
              items.properties as Record<string, JsonSchema>,
            ))
              found.push(
                ...mismatches(`lines.${lineField}`, lineSchema, lineRules.get(lineField) ?? new Map()),
              );
          }
        }
      }
      expect(found).toEqual([]);
      expect(checked).toBeGreaterThan(0);
    },
  );

  it('finds a bound looser than the command’s', () => {
    const rules = rulesOf(PlaceOrder).get('lines')!;
    expect(mismatches('lines', { type: 'array', maxItems: 25_000 }, rules)).toEqual([
      'lines: maxItems above 20',
    ]);
  });
});
