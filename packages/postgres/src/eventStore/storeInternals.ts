import { unwrapEventStore, type EventStore, type RewindLogger } from '@rewind/core';
import type { PoolClient, QueryConfig } from 'pg';
import type { EventStoreTables } from './eventStoreSchema';
import type { InlineApplier, InlineSession } from './inlineProjections';

/** What this package's snapshot storage needs of an event store, kept off the store's public API. */
export interface EventStoreInternals {
  readonly tables: EventStoreTables;
  readonly preparedStatements: boolean;
  /** The store's logger. */
  readonly logger: RewindLogger;
  /** One statement on a pooled client, errors mapped to the Rewind family. */
  query<R extends object>(action: string, config: QueryConfig): Promise<R[]>;
  /** Inline projections (used by `PostgresReadModelStore.attachInline`). */
  readonly inline: {
    attach(applier: InlineApplier): Promise<void>;
    detach(names: readonly string[]): Promise<void>;
    runLocked<T>(name: string, work: (session: InlineSession) => Promise<T>): Promise<T>;
    withClient<T>(action: string, work: (client: PoolClient) => Promise<T>): Promise<T>;
    /** Reads of the log on `client`, whose transaction holds an inline projection's lock. */
    session(client: PoolClient): InlineSession;
  };
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
export function internalsOf(store: object, user = 'PostgresSnapshotStorage'): EventStoreInternals {
  const value = maybeInternalsOf(store);
  if (!value) throw new TypeError(`${user} needs a PostgresEventStore (from PostgresEventStore.connect).`);
  return value;
}

/** A store's internals, or undefined when it is not a PostgresEventStore. */
export function maybeInternalsOf(store: object): EventStoreInternals | undefined {
  // An instrumented store (OpenTelemetry) wraps the PostgresEventStore: look through it.
  return internals.get(store) ?? internals.get(unwrapEventStore(store as EventStore));
}
