import { getInheritedRecord, METADATA, pushRecord, type Type } from '../metadata/metadataKeys';

/** One `@EventSourcingHandler` as recorded. */
export interface EventSourcingHandlerRecord {
  readonly eventClass: Type;
  readonly method: string | symbol;
}

/**
 * Marks the method that applies an event to the aggregate's state. These methods are the only place
 * state changes, so replaying the stream rebuilds it exactly. Keep them free of checks and I/O.
 *
 * @example
 * @EventSourcingHandler(OrderPaid)
 * onPaid(event: OrderPaid) { this.status = 'paid'; }
 */
export function EventSourcingHandler(eventClass: Type): MethodDecorator {
  return (target, method) => {
    pushRecord<EventSourcingHandlerRecord>(METADATA.eventSourcingHandlers, target.constructor, {
      eventClass,
      method,
    });
  };
}

/** Every `@EventSourcingHandler` of a class, its ancestors' included. */
export function getEventSourcingHandlers(target: Type): readonly EventSourcingHandlerRecord[] {
  return getInheritedRecord<EventSourcingHandlerRecord[]>(METADATA.eventSourcingHandlers, target) ?? [];
}
