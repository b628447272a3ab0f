import type { QueryConfig } from 'pg';
import type { EventStoreTables } from './eventStoreSchema';

/** What this package's snapshot storage needs of an event store, kept off the store's public API. */
export interface EventStoreInternals {
  readonly tables: EventStoreTables;
  readonly preparedStatements: boolean;
  /** One statement on a pooled client, errors mapped to the Rewind family. */
  query<R extends object>(action: string, config: QueryConfig): Promise<R[]>;
}

const internals = new WeakMap<object, EventStoreInternals>();

/** Registers a store's internals (called by its constructor). */
export function registerInternals(store: object, value: EventStoreInternals): void {
  internals.set(store, value);
}

/**
 * A store's internals.
 * @throws TypeError when the object is not a PostgresEventStore.
 */
export function internalsOf(store: object): EventStoreInternals {
  const value = internals.get(store);
  if (!value)
    throw new TypeError(
      'PostgresSnapshotStorage needs a PostgresEventStore (from PostgresEventStore.connect).',
    );
  return value;
}
