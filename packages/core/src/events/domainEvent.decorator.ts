import { ConfigurationError } from '../errors/errors';
import { getOwnRecord, METADATA, setRecord, type Type } from '../metadata/metadataKeys';

/** What `@DomainEvent` records on an event class. */
export interface DomainEventMetadata {
  /** The stable stored name, e.g. `'order.placed'`. */
  readonly type: string;
  /** The schema version of the payload this class describes (1 when not given). */
  readonly version: number;
}

/** Options for {@link DomainEvent}. */
export interface DomainEventOptions {
  /** Schema version of this payload; bump it when the shape changes and add an upcaster. */
  readonly version?: number;
}

const TYPE_NAME = /^[A-Za-z][A-Za-z0-9_.:-]*$/;

/**
 * Declares a class as a domain event under a stable stored name and schema version. The name is what
 * the store keeps: never derived from the class name, so renames and minifiers break nothing.
 *
 * @example
 * @DomainEvent('order.placed', { version: 2 })
 * export class OrderPlaced {
 *   constructor(readonly orderId: string, readonly total: number) {}
 * }
 * @throws ConfigurationError for an empty or malformed name or a version below 1.
 */
export function DomainEvent(type: string, options: DomainEventOptions = {}): ClassDecorator {
  return (target) => {
    if (typeof type !== 'string' || !TYPE_NAME.test(type)) {
      throw new ConfigurationError(
        `@DomainEvent on class ${target.name} has an invalid type name ${JSON.stringify(type)}. ` +
          `Use letters, digits, ".", "_", ":" or "-", starting with a letter, e.g. 'order.placed'.`,
      );
    }
    const version = options.version ?? 1;
    if (!Number.isInteger(version) || version < 1) {
      throw new ConfigurationError(
        `@DomainEvent('${type}') on class ${target.name} has version ${version}. Use a whole number from 1.`,
      );
    }
    setRecord<DomainEventMetadata>(METADATA.domainEvent, target, { type, version });
  };
}

/** Reads what `@DomainEvent` recorded, or undefined for a class that is not an event. */
export function getDomainEventMetadata(target: object): DomainEventMetadata | undefined {
  return getOwnRecord<DomainEventMetadata>(METADATA.domainEvent, target);
}

/**
 * Reads what `@DomainEvent` recorded.
 * @throws ConfigurationError when the class is not decorated.
 */
export function requireDomainEventMetadata(target: Type, usedBy?: string): DomainEventMetadata {
  const meta = getDomainEventMetadata(target);
  if (!meta) {
    throw new ConfigurationError(
      `${target.name} is used as an event${usedBy ? ` by ${usedBy}` : ''} but is not declared as one. ` +
        `Decorate it with @DomainEvent('<stable.name>', { version: 1 }).`,
    );
  }
  return meta;
}
