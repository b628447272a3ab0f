import type { AggregateClass, EventStore, Type, Upcaster } from '@rewind/core';
import type { ReadModelStore } from '@rewind/projections';

/** A named predicate on an aggregate's state, usable with `rewind bisect --predicate <name>`. */
export type StatePredicate = (state: Record<string, unknown>) => boolean;

/**
 * What the CLI needs of a dependency-injection container: an inversify 7 `Container` fits. The CLI does
 * not depend on inversify itself (an application's own copy is the one that holds its bindings).
 */
export interface ProcessorContainer {
  /** Resolves a projector or reactor class, with its injected services. */
  get(serviceIdentifier: Type, options: { autobind: boolean }): unknown;
}

/** What `rewind.config.ts` exports: how the CLI reaches your stores and which classes it knows. */
export interface RewindConfig {
  /** Opens the event store. Read connection details from environment variables here. */
  readonly eventStore: () => EventStore | Promise<EventStore>;
  /** Opens the read-model store; needed by the projection commands. */
  readonly readModelStore?: () => ReadModelStore | Promise<ReadModelStore>;
  /** `@Aggregate` classes, for `travel`, `history` and `bisect`. */
  readonly aggregates?: readonly AggregateClass[];
  /** `@Projection` and `@Reactor` classes, for the projection commands. */
  readonly projections?: readonly Type[];
  /** Further event classes (e.g. ones only projections handle). */
  readonly events?: readonly Type[];
  readonly upcasters?: readonly Upcaster[];
  /** Named predicates on aggregate state, for `rewind bisect --predicate <name>`. */
  readonly predicates?: Readonly<Record<string, StatePredicate>>;
  /** A container to resolve projectors (and their injected services) from, e.g. an inversify `Container`. */
  readonly container?: () => ProcessorContainer | Promise<ProcessorContainer>;
  /**
   * How long `rewind` waits for each factory above (default 30,000 ms). A factory whose promise has not
   * settled by then fails the command with a config error (exit 3) naming it.
   */
  readonly openTimeoutMs?: number;
}

/**
 * Types a `rewind.config.ts`; returns its argument unchanged.
 *
 * @example
 * export default defineConfig({
 *   eventStore: () => SqliteEventStore.open(process.env.REWIND_EVENTS ?? 'events.db'),
 *   aggregates: [Order],
 * });
 */
export function defineConfig(config: RewindConfig): RewindConfig {
  return config;
}
