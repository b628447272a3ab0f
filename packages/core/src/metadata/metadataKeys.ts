/**
 * Every metadata key Rewind records, in one place. Symbols from the global registry so that two
 * copies of the package in one process still agree.
 */
export const METADATA = {
  domainEvent: Symbol.for('rewind:domain-event'),
  aggregate: Symbol.for('rewind:aggregate'),
  eventSourcingHandlers: Symbol.for('rewind:event-sourcing-handlers'),
  commandHandlers: Symbol.for('rewind:command-handlers'),
  aggregateId: Symbol.for('rewind:aggregate-id'),
} as const;

/** A class, as decorators see it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Type<T = unknown> = abstract new (...args: any[]) => T;

/** Reads a record stored by a decorator on exactly this class (not inherited). */
export function getOwnRecord<T>(key: symbol, target: object): T | undefined {
  return Object.prototype.hasOwnProperty.call(target, key) ? (target as Record<symbol, T>)[key] : undefined;
}

/** Reads a record stored by a decorator on this class or the nearest ancestor that has one. */
export function getInheritedRecord<T>(key: symbol, target: object): T | undefined {
  return (target as Record<symbol, T>)[key];
}

/** Stores a decorator's record on a class, non-enumerable so it never leaks into serialization. */
export function setRecord<T>(key: symbol, target: object, value: T): void {
  Object.defineProperty(target, key, { value, configurable: true, enumerable: false, writable: true });
}

/** Appends to a list record owned by this class, starting from a copy of the inherited list. */
export function pushRecord<T>(key: symbol, target: object, value: T): void {
  const own = getOwnRecord<T[]>(key, target);
  if (own) own.push(value);
  else setRecord(key, target, [...(getInheritedRecord<T[]>(key, target) ?? []), value]);
}
