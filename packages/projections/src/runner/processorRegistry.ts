import { ConfigurationError, requireDomainEventMetadata, type EventRegistry, type Type } from '@rewind/core';
import {
  getOnHandlers,
  getProcessorMetadata,
  type ProcessorMetadata,
} from '../decorators/projection.decorator';

/** A handler bound to its processor instance. */
export type BoundHandler = (event: object, context: unknown) => unknown;

/** A projector or reactor, read and checked once at start-up. */
export interface ProcessorDefinition {
  readonly meta: ProcessorMetadata;
  readonly processorClass: Type;
  readonly instance: object;
  /** Event type name → handler. */
  readonly handlers: ReadonlyMap<string, BoundHandler>;
  readonly eventTypes: readonly string[];
}

/**
 * Reads `@Projection`/`@Reactor` classes, registers their events, and fails early and clearly: a
 * class without a decorator, a processor without `@On` handlers, an undecorated event, two handlers
 * for one event, two processors with one name.
 * @throws ConfigurationError
 */
export function defineProcessors(
  classes: readonly Type[],
  events: EventRegistry,
  resolve: (processorClass: Type) => object = (c) => new (c as unknown as new () => object)(),
): ProcessorDefinition[] {
  const byName = new Map<string, Type>();
  return classes.map((processorClass) => {
    const meta = getProcessorMetadata(processorClass);
    if (!meta) {
      throw new ConfigurationError(
        `${processorClass.name} is listed as a projection but has no @Projection or @Reactor decorator. Add @Projection('<name>').`,
      );
    }
    const clash = byName.get(meta.name);
    if (clash) {
      throw new ConfigurationError(
        `${clash.name} and ${processorClass.name} are both named "${meta.name}". Give each its own name.`,
      );
    }
    byName.set(meta.name, processorClass);
    const records = getOnHandlers(processorClass);
    if (records.length === 0) {
      throw new ConfigurationError(
        `${meta.kind === 'projection' ? 'Projection' : 'Reactor'} "${meta.name}" (${processorClass.name}) has no @On handlers. Add @On(SomeEvent) methods.`,
      );
    }
    const instance = resolve(processorClass);
    const handlers = new Map<string, BoundHandler>();
    for (const { eventClass, method } of records) {
      const { type } = requireDomainEventMetadata(eventClass, `${processorClass.name}.${String(method)}`);
      events.register(eventClass);
      if (handlers.has(type)) {
        throw new ConfigurationError(
          `${processorClass.name} has two @On(${eventClass.name}) handlers. Keep one: each event is applied once.`,
        );
      }
      const fn = (instance as Record<string | symbol, BoundHandler>)[method];
      if (typeof fn !== 'function')
        throw new ConfigurationError(`${processorClass.name}.${String(method)} is not a method.`);
      handlers.set(type, fn.bind(instance));
    }
    return { meta, processorClass, instance, handlers, eventTypes: [...handlers.keys()] };
  });
}
