import { closestNames } from '@rewind/core';

/** "Did you mean "a", "b"?" or a hint that nothing is registered. */
export function suggestion(name: string, known: readonly string[], what: string): string {
  if (known.length === 0) return `No ${what}s are registered in the config.`;
  return `Did you mean ${closestNames(name, known)
    .map((n) => `"${n}"`)
    .join(', ')}? Known ${what}s: ${known.join(', ')}.`;
}
