import diff, { type Difference } from 'microdiff';

/** One field-level change between two values: what `history` and read-model diffs report. */
export type StructuralChange = Difference;

/** Field-level differences from `before` to `after` (Dates compared by time). */
export function structuralDiff(
  before: Record<string, unknown> | unknown[],
  after: Record<string, unknown> | unknown[],
): StructuralChange[] {
  return diff(before, after);
}
