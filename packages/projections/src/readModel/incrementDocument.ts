import { ValidationError } from '@rewind/core';
import type { Document } from './readModelStore';

/** Counter changes for `Collection.increment`: top-level field → the number to add. */
export type Increments = Readonly<Record<string, number>>;

/**
 * Checks the deltas of an increment: at least one, each a finite number under a plain top-level field
 * name.
 * @throws ValidationError naming the offending field.
 */
export function checkIncrements(deltas: Increments): void {
  const fields = deltas !== null && typeof deltas === 'object' ? Object.keys(deltas) : [];
  const bad = fields.find((field) => typeof deltas[field] !== 'number' || !Number.isFinite(deltas[field]));
  if (fields.length === 0 || bad !== undefined || Array.isArray(deltas)) {
    throw new ValidationError('increment', [
      {
        path: bad ?? '(root)',
        value: bad === undefined ? deltas : deltas[bad],
        constraints: {
          increment:
            'increment takes an object of top-level field names to finite numbers, e.g. { sold: 1, revenue: 2.5 }',
        },
      },
    ]);
  }
}

/**
 * The document after an increment: each field of `deltas` added to the current value (a missing or
 * null field counts as 0), the other fields kept; a missing document starts empty.
 * @throws ValidationError when a field to increment holds something other than a number.
 */
export function incrementDocument(current: Document | undefined, deltas: Increments, key: string): Document {
  const next: Document = { ...current };
  for (const field of Object.keys(deltas)) {
    const value = next[field];
    if (value !== undefined && value !== null && typeof value !== 'number') {
      throw new ValidationError('increment', [
        {
          path: field,
          value,
          constraints: {
            increment: `document "${key}" holds ${JSON.stringify(value)} in "${field}", not a number: only numeric fields can be incremented`,
          },
        },
      ]);
    }
    next[field] = ((value as number | null | undefined) ?? 0) + deltas[field]!;
  }
  return next;
}
