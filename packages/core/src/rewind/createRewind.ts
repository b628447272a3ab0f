import { getMetadataStorage } from 'class-validator';
import { AggregateRoot } from '../aggregates/aggregateRoot';
import { requireAggregateMetadata } from '../aggregates/aggregate.decorator';
import { getEventSourcingHandlers } from '../aggregates/eventSourcingHandler.decorator';
import { CommandBus, type CommandBusOptions, type CommandRoute } from '../commands/commandBus';
import { getAggregateIdProperty, getCommandHandlers } from '../commands/commandHandler.decorator';
import { ConfigurationError } from '../errors/errors';
import type { EventStore, RecordedEvent } from '../eventStore/eventStore';
import { requireDomainEventMetadata } from '../events/domainEvent.decorator';
import { EventRegistry } from '../events/eventRegistry';
import type { Upcaster } from '../events/upcaster';
import type { Type } from '../metadata/metadataKeys';
import { Repository, type AggregateClass, type RepositoryOptions } from '../repository/repository';
import { SnapshotStore, type SnapshotStorage, type SnapshotStoreOptions } from '../snapshots/snapshotStore';
import { instrumentEventStore } from '../telemetry/instrumentedEventStore';
import { silentLogger, type RewindLogger } from '../telemetry/logger';
import type { TelemetryOptions } from '../telemetry/otel';

/** Everything Rewind needs to know at start-up. */
export interface RewindOptions {
  readonly eventStore: EventStore;
  /** Aggregate classes (`@Aggregate`); their events and command handlers are registered with them. */
  readonly aggregates?: readonly AggregateClass[];
  /** Classes with `@CommandHandler` methods that are not aggregates (resolved through `resolve`). */
  readonly commandHandlers?: readonly Type[];
  /** Further event classes, e.g. ones only projections handle. */
  readonly events?: readonly Type[];
  readonly upcasters?: readonly Upcaster[];
  /** Enables snapshots for aggregates declared with `snapshotEvery`. */
  readonly snapshots?: SnapshotStorage;
  readonly snapshotOptions?: SnapshotStoreOptions;
  /** How to get an instance of a handler class; defaults to `new HandlerClass()`. Pass your container's. */
  readonly resolve?: <T>(handlerClass: Type<T>) => T;
  readonly commandBus?: CommandBusOptions;
  /**
   * How saves whose outcome is unknown are retried (see `RepositoryOptions.ambiguousAppendRetries`).
   */
  readonly appendRetries?: Pick<RepositoryOptions, 'ambiguousAppendRetries' | 'ambiguousAppendBackoffMs'>;
  /** See `EventRegistryOptions.unknownTypes`. */
  readonly unknownEventTypes?: 'error' | 'skip';
  /** See `EventRegistryOptions.onSkippedEvent`. */
  readonly onSkippedEvent?: (recorded: RecordedEvent) => void;
  /**
   * Where Rewind logs (retried append conflicts, ...): a pino logger or anything with the same
   * methods (`RewindLogger`). Default: silent.
   */
  readonly logger?: RewindLogger;
  /**
   * OpenTelemetry spans and metrics (see the Operations guide). On by default: produced when an
   * OpenTelemetry SDK is registered, next to free otherwise; `{ enabled: false }` turns them off.
   */
  readonly telemetry?: TelemetryOptions;
}

/** The wired pieces. */
export interface Rewind {
  readonly eventStore: EventStore;
  readonly events: EventRegistry;
  readonly repository: Repository;
  readonly commandBus: CommandBus;
  /** Aggregate classes by category (`'order'` → Order). */
  readonly aggregates: ReadonlyMap<string, AggregateClass>;
  /** The logger given to `createRewind` (silent by default). */
  readonly logger: RewindLogger;
}

/**
 * Reads every declaration once, fails early and clearly on mistakes, and wires the repository and the
 * command bus.
 *
 * @example
 * const rewind = createRewind({ eventStore: new InMemoryEventStore(), aggregates: [Order] });
 * await rewind.commandBus.execute(new PlaceOrder('order-1', ...));
 * @throws ConfigurationError for a missing @Aggregate, two handlers for one event or command, a command
 * without `@AggregateId` or validation rules, an undecorated event, or a broken upcaster chain.
 */
export function createRewind(options: RewindOptions): Rewind {
  const events = new EventRegistry(options.events ?? [], {
    ...(options.upcasters ? { upcasters: options.upcasters } : {}),
    ...(options.unknownEventTypes ? { unknownTypes: options.unknownEventTypes } : {}),
    ...(options.onSkippedEvent ? { onSkippedEvent: options.onSkippedEvent } : {}),
  });
  const aggregates = new Map<string, AggregateClass>();
  for (const aggregateClass of options.aggregates ?? []) {
    if (!(aggregateClass.prototype instanceof AggregateRoot)) {
      throw new ConfigurationError(
        `${aggregateClass.name} is listed as an aggregate but does not extend AggregateRoot.`,
      );
    }
    const meta = requireAggregateMetadata(aggregateClass);
    const clash = aggregates.get(meta.type);
    if (clash && clash !== aggregateClass) {
      throw new ConfigurationError(
        `Aggregates ${clash.name} and ${aggregateClass.name} both use category '${meta.type}'. Give each its own @Aggregate name.`,
      );
    }
    aggregates.set(meta.type, aggregateClass);
    const handlers = getEventSourcingHandlers(aggregateClass);
    if (handlers.length === 0) {
      throw new ConfigurationError(
        `${aggregateClass.name} has no @EventSourcingHandler methods, so its state can never change. ` +
          `Add one per event it raises.`,
      );
    }
    const seen = new Map<Type, string | symbol>();
    for (const { eventClass, method } of handlers) {
      requireDomainEventMetadata(eventClass, `${aggregateClass.name}.${String(method)}`);
      const other = seen.get(eventClass);
      if (other !== undefined && other !== method) {
        throw new ConfigurationError(
          `${aggregateClass.name} has two @EventSourcingHandler(${eventClass.name}) methods: ${String(other)} and ` +
            `${String(method)}. Keep one: replay must apply each event exactly once.`,
        );
      }
      seen.set(eventClass, method);
      events.register(eventClass);
    }
  }
  events.verify();

  const routes = new Map<Type, CommandRoute>();
  const owners = new Map<Type, string>();
  const addRoute = (commandClass: Type, route: CommandRoute, owner: string) => {
    const previous = owners.get(commandClass);
    if (previous) {
      throw new ConfigurationError(
        `Command ${commandClass.name} is handled twice: by ${previous} and by ${owner}. A command has exactly one handler.`,
      );
    }
    if (
      getMetadataStorage().getTargetValidationMetadatas(commandClass as new () => object, '', true, false)
        .length === 0
    ) {
      throw new ConfigurationError(
        `Command ${commandClass.name} has no class-validator rules, so every instance would be rejected. ` +
          `Declare each property's rules (e.g. @IsString(), @IsUUID()).`,
      );
    }
    owners.set(commandClass, owner);
    routes.set(commandClass, route);
  };
  for (const aggregateClass of aggregates.values()) {
    for (const { commandClass, method, mode } of getCommandHandlers(aggregateClass)) {
      const idProperty = getAggregateIdProperty(commandClass);
      if (idProperty === undefined) {
        throw new ConfigurationError(
          `Command ${commandClass.name} is handled by ${aggregateClass.name}.${String(method)} but has no @AggregateId() ` +
            `property. Mark the property holding the ${requireAggregateMetadata(aggregateClass).type} id with @AggregateId().`,
        );
      }
      addRoute(
        commandClass,
        { kind: 'aggregate', aggregateClass, method, mode, idProperty },
        `${aggregateClass.name}.${String(method)}`,
      );
    }
  }
  const resolve =
    options.resolve ?? (<T>(handlerClass: Type<T>) => new (handlerClass as unknown as new () => T)());
  for (const handlerClass of options.commandHandlers ?? []) {
    const handlers = getCommandHandlers(handlerClass);
    if (handlers.length === 0) {
      throw new ConfigurationError(
        `${handlerClass.name} is listed as a command handler but has no @CommandHandler methods.`,
      );
    }
    for (const { commandClass, method } of handlers) {
      addRoute(
        commandClass,
        { kind: 'class', handlerClass, method, resolve: () => resolve(handlerClass) as object },
        `${handlerClass.name}.${String(method)}`,
      );
    }
  }

  const telemetry = options.telemetry ?? {};
  const logger = options.logger ?? silentLogger;
  const traced = telemetry.enabled !== false;
  const repository = new Repository(
    traced ? instrumentEventStore(options.eventStore) : options.eventStore,
    events,
    {
      ...options.appendRetries,
      telemetry,
      ...(options.snapshots
        ? { snapshots: new SnapshotStore(options.snapshots, options.snapshotOptions) }
        : {}),
    },
  );
  const commandBus = new CommandBus(repository, routes, { telemetry, logger, ...options.commandBus });
  return { eventStore: options.eventStore, events, repository, commandBus, aggregates, logger };
}
