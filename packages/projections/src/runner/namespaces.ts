/** Where Rewind keeps its own bookkeeping (served pointers, controls) in a read-model store. */
export const SYSTEM_NAMESPACE = 'rewind_system';

/** The namespace of a projection version's first build, e.g. `order-summary@v1`. */
export function defaultNamespace(kind: 'projection' | 'reactor', name: string, version: number): string {
  return kind === 'reactor' ? `reactor@${name}` : `${name}@v${version}`;
}

/** The lock that keeps one runner per projection active across processes. */
export function lockName(projection: string): string {
  return `projection:${projection}`;
}

/** The lock that keeps one rebuild per projection at a time. */
export function rebuildLockName(projection: string): string {
  return `rebuild:${projection}`;
}
