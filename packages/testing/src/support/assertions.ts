import { AssertionError, deepStrictEqual } from 'node:assert';

// Assertions for the framework-free helpers (aggregateSpec, expectRebuildEquivalent). They throw node's
// AssertionError, which jest, vitest and node:test all report with its diff.

/**
 * Events as data: own enumerable properties, recursively, with `undefined` properties left out. Stored
 * events keep no prototypes (a nested `LineItem` comes back a plain object), so a spec compares data.
 * Dates, bigints and other primitives are kept as they are.
 */
export function asData(value: unknown): unknown {
  // Values may come from another realm (structuredClone in a test runner's sandbox): tell kinds apart by
  // their tag, not instanceof, and rebuild them in this realm so that prototypes compare equal.
  if (value === null || typeof value !== 'object') return value;
  switch (Object.prototype.toString.call(value)) {
    case '[object Array]':
      return Array.from(value as unknown[], asData);
    case '[object Date]':
      return new Date((value as Date).getTime());
    case '[object Map]':
      return new Map(Array.from(value as Map<unknown, unknown>, ([k, v]) => [asData(k), asData(v)]));
    case '[object Set]':
      return new Set(Array.from(value as Set<unknown>, asData));
    default: {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = asData(item);
      return out;
    }
  }
}

/** Fails with a diff unless `actual` and `expected` are equal as data (see {@link asData}). */
export function assertEqualData(actual: unknown, expected: unknown, message: string): void {
  deepStrictEqual(asData(actual), asData(expected), message);
}

/** Fails with `message`, showing `actual` and `expected` when given. */
export function fail(message: string, actual?: unknown, expected?: unknown): never {
  throw new AssertionError({ message, actual, expected, operator: 'fail' });
}
