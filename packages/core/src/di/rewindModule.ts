import { ContainerModule, type ServiceIdentifier } from 'inversify';
import { CommandBus } from '../commands/commandBus';
import type { EventStore } from '../eventStore/eventStore';
import { EventRegistry } from '../events/eventRegistry';
import type { Type } from '../metadata/metadataKeys';
import { Repository } from '../repository/repository';
import { createRewind, type Rewind, type RewindOptions } from '../rewind/createRewind';

/** Injection tokens for what has no class of its own. Classes (CommandBus, Repository...) are their own tokens. */
export const TOKENS = {
  /** The EventStore port. */
  EventStore: Symbol.for('rewind:EventStore') as ServiceIdentifier<EventStore>,
  /** The whole wired {@link Rewind}. */
  Rewind: Symbol.for('rewind:Rewind') as ServiceIdentifier<Rewind>,
} as const;

/**
 * An inversify module that binds the event store, the event registry, the repository and the command
 * bus, and binds each command-handler class so it is resolved from the container with its own
 * injected services.
 *
 * @example
 * const container = new Container();
 * container.bind(PaymentGateway).toSelf();
 * await container.load(rewindModule({ eventStore, aggregates: [Order], commandHandlers: [PayOrderHandler] }));
 * const bus = container.get(CommandBus);
 */
export function rewindModule(options: Omit<RewindOptions, 'resolve'>): ContainerModule {
  return new ContainerModule(({ bind, isBound }) => {
    for (const handlerClass of options.commandHandlers ?? []) {
      if (!isBound(handlerClass))
        bind(handlerClass as ServiceIdentifier<unknown>)
          .toSelf()
          .inSingletonScope();
    }
    bind(TOKENS.EventStore).toConstantValue(options.eventStore);
    bind(TOKENS.Rewind)
      .toDynamicValue((context) =>
        createRewind({
          ...options,
          resolve: <T>(handlerClass: Type<T>) => context.get<T>(handlerClass as ServiceIdentifier<T>),
        }),
      )
      .inSingletonScope();
    bind(EventRegistry)
      .toDynamicValue((context) => context.get(TOKENS.Rewind).events)
      .inSingletonScope();
    bind(Repository)
      .toDynamicValue((context) => context.get(TOKENS.Rewind).repository)
      .inSingletonScope();
    bind(CommandBus)
      .toDynamicValue((context) => context.get(TOKENS.Rewind).commandBus)
      .inSingletonScope();
  });
}
