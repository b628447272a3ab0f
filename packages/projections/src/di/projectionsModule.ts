import { EventRegistry, type Type } from '@rewind/core';
import { TOKENS } from '@rewind/core/inversify';
import { ContainerModule, type ServiceIdentifier } from 'inversify';
import type { ReadModelStore } from '../readModel/readModelStore';
import { ProjectionEngine, type ProjectionEngineOptions } from '../runner/projectionEngine';

/** Injection tokens of `@rewind/projections` for what has no class of its own. */
export const PROJECTION_TOKENS = {
  /** The {@link ReadModelStore} the projections write to and queries read from. */
  ReadModelStore: Symbol.for('rewind:ReadModelStore') as ServiceIdentifier<ReadModelStore>,
} as const;

/** Options for {@link projectionsModule}: the engine's, minus what the container provides. */
export type ProjectionsModuleOptions = Omit<ProjectionEngineOptions, 'eventStore' | 'events' | 'resolve'>;

/**
 * An inversify module that binds the read-model store and a {@link ProjectionEngine}, and binds each
 * projector and reactor class (singleton) so it is resolved from the container with its own injected
 * services. Load it next to core's `rewindModule`, which provides the event store and the registry.
 *
 * @example
 * await container.load(
 *   rewindModule({ eventStore, aggregates: [Order] }),
 *   projectionsModule({ store: new InMemoryReadModelStore(), processors: [OrderSummary, SendReceipt] }),
 * );
 * container.get(ProjectionEngine).start();
 */
export function projectionsModule(options: ProjectionsModuleOptions): ContainerModule {
  return new ContainerModule(({ bind, isBound }) => {
    for (const processorClass of options.processors) {
      if (!isBound(processorClass))
        bind(processorClass as ServiceIdentifier<unknown>)
          .toSelf()
          .inSingletonScope();
    }
    bind(PROJECTION_TOKENS.ReadModelStore).toConstantValue(options.store);
    bind(ProjectionEngine)
      .toDynamicValue(
        (context) =>
          new ProjectionEngine({
            ...options,
            eventStore: context.get(TOKENS.EventStore),
            events: context.get(EventRegistry),
            resolve: (processorClass: Type) =>
              context.get<object>(processorClass as ServiceIdentifier<object>),
          }),
      )
      .inSingletonScope();
  });
}
