import { randomUUID } from 'node:crypto';
import { currentContext } from '../context/executionContext';
import { ConfigurationError, HandlerNotFoundError } from '../errors/errors';
import { requireDomainEventMetadata } from '../events/domainEvent.decorator';
import type { EventMetadata } from '../events/eventEnvelope';
import { checkCustomMetadata } from '../events/eventRegistry';
import type { Type } from '../metadata/metadataKeys';
import { getEventSourcingHandlers } from './eventSourcingHandler.decorator';

/** An event raised by an aggregate and not yet saved. */
export interface PendingEvent {
  readonly event: object;
  /**
   * The metadata it will be stored with, fixed when it was raised: its `@EventSourcingHandler` saw
   * exactly this, and sees it again on every replay.
   */
  readonly metadata: EventMetadata;
}

/** Options for {@link AggregateRoot.raise}. */
export interface RaiseOptions {
  /** Business time; defaults to now. */
  readonly occurredAt?: Date;
  /** Extra metadata stored with this event. */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

interface Internals {
  id: string | undefined;
  revision: bigint;
  pending: PendingEvent[];
  /** The correlation id of events raised outside any command or context since the last save. */
  correlationId: string | undefined;
}

const INTERNALS = Symbol('rewind:aggregate-internals');
type EventHandler = (this: AggregateRoot, event: object, metadata: EventMetadata) => void;
const handlerCache = new WeakMap<Type, Map<Type, EventHandler>>();

/**
 * Base class of every aggregate. Subclasses hold state in ordinary fields, change it only in
 * `@EventSourcingHandler` methods, and decide in behaviour methods that call {@link raise}. Rewind's
 * own bookkeeping (id, revision, pending events) lives off the enumerable fields, so the fields are
 * exactly the aggregate's state: what `history` shows and snapshots store.
 *
 * @example
 * @Aggregate('order')
 * export class Order extends AggregateRoot {
 *   status: 'placed' | 'paid' = 'placed';
 *   pay(amount: number) {
 *     if (this.status === 'paid') throw new OrderAlreadyPaid(`Order ${this.id} is already paid`);
 *     this.raise(new OrderPaid(this.id, amount));
 *   }
 *   @EventSourcingHandler(OrderPaid) onPaid() { this.status = 'paid'; }
 * }
 */
export abstract class AggregateRoot {
  constructor() {
    Object.defineProperty(this, INTERNALS, {
      value: { id: undefined, revision: -1n, pending: [], correlationId: undefined } satisfies Internals,
      enumerable: false,
    });
  }

  /**
   * The aggregate's id (the part of the stream name after the category).
   * @throws ConfigurationError when read before the repository or bus assigned one.
   */
  get id(): string {
    const id = internals(this).id;
    if (id === undefined) {
      throw new ConfigurationError(
        `${this.constructor.name} has no id yet. Create it with repository.create(${this.constructor.name}, id) ` +
          `or through a command handler, not with "new".`,
      );
    }
    return id;
  }

  /** Revision of the last saved event applied (-1 for an aggregate with no saved events). */
  get revision(): bigint {
    return internals(this).revision;
  }

  /** Events raised since the last save, oldest first. */
  get uncommittedEvents(): readonly PendingEvent[] {
    return internals(this).pending;
  }

  /**
   * Records that something happened: applies the event to state through its `@EventSourcingHandler`
   * and queues it for the next save. The handler gets the metadata the event will be stored with, so
   * live state and replayed state are the same: the event's schema version, the correlation and
   * causation ids of the current command (or `runInContext`; outside both, one new correlation id for
   * the events raised until the next save), the business time, and custom metadata (the context's,
   * then `options.metadata`).
   * @throws HandlerNotFoundError when the aggregate has no handler for the event's class: found by the
   * first test that raises it, never later at replay.
   * @throws ValidationError when custom metadata uses a key Rewind reserves.
   */
  protected raise(event: object, options: RaiseOptions = {}): void {
    const state = internals(this);
    const context = currentContext();
    const custom = { ...context?.custom, ...options.metadata };
    checkCustomMetadata(custom);
    const correlationId = context?.correlationId ?? (state.correlationId ??= randomUUID());
    const metadata: EventMetadata = {
      schemaVersion: requireDomainEventMetadata(event.constructor as Type).version,
      correlationId,
      causationId: context?.causationId ?? correlationId,
      occurredAt: options.occurredAt ?? new Date(),
      custom,
    };
    applyEvent(this, event, metadata);
    state.pending.push({ event, metadata });
  }
}

function internals(aggregate: AggregateRoot): Internals {
  return (aggregate as unknown as Record<symbol, Internals>)[INTERNALS]!;
}

/** The handler table of an aggregate class, built once. */
export function eventHandlersOf(aggregateClass: Type): Map<Type, EventHandler> {
  let handlers = handlerCache.get(aggregateClass);
  if (!handlers) {
    handlers = new Map();
    const prototype = aggregateClass.prototype as Record<string | symbol, EventHandler>;
    for (const record of getEventSourcingHandlers(aggregateClass)) {
      handlers.set(record.eventClass, prototype[record.method]!);
    }
    handlerCache.set(aggregateClass, handlers);
  }
  return handlers;
}

/** Applies one event through its handler (replay and raise share this). @internal */
export function applyEvent(aggregate: AggregateRoot, event: object, metadata: EventMetadata): void {
  const handler = eventHandlersOf(aggregate.constructor as Type).get(event.constructor as Type);
  if (!handler) {
    throw new HandlerNotFoundError(
      `${aggregate.constructor.name} has no @EventSourcingHandler(${event.constructor.name}). ` +
        `Add a method decorated with @EventSourcingHandler(${event.constructor.name}) that applies it to state.`,
    );
  }
  handler.call(aggregate, event, metadata);
}

/** Sets id and revision (repository use). @internal */
export function initializeAggregate(aggregate: AggregateRoot, id: string, revision: bigint): void {
  const state = internals(aggregate);
  state.id = id;
  state.revision = revision;
}

/** Applies a replayed event and advances the revision (repository use). @internal */
export function replayEvent(
  aggregate: AggregateRoot,
  event: object,
  metadata: EventMetadata,
  revision: bigint,
): void {
  applyEvent(aggregate, event, metadata);
  internals(aggregate).revision = revision;
}

/**
 * Moves the revision past a stored event the aggregate leaves out (a type nobody registered, skipped
 * with `unknownEventTypes: 'skip'`), so the next save appends after it (repository use). @internal
 */
export function skipEvent(aggregate: AggregateRoot, revision: bigint): void {
  internals(aggregate).revision = revision;
}

/** Clears pending events after a save and moves the revision on (repository use). @internal */
export function markCommitted(aggregate: AggregateRoot, revision: bigint): void {
  const state = internals(aggregate);
  state.pending = [];
  state.correlationId = undefined;
  state.revision = revision;
}

/** A deep copy of the aggregate's state: its own enumerable fields. */
export function aggregateState<T extends AggregateRoot>(aggregate: T): Record<string, unknown> {
  return structuredClone({ ...aggregate }) as Record<string, unknown>;
}
