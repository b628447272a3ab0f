import { ConfigurationError } from '../errors/errors';
import { getOwnRecord, METADATA, setRecord, type Type } from '../metadata/metadataKeys';

/** Options for {@link Aggregate}. */
export interface AggregateOptions {
  /** Take a snapshot every N events (off when omitted). */
  readonly snapshotEvery?: number;
  /**
   * Version of the aggregate's state shape. Bump it when the state changes shape: snapshots of another
   * version are ignored and the aggregate is rebuilt from events. Defaults to 1.
   */
  readonly snapshotVersion?: number;
}

/** What `@Aggregate` records. */
export interface AggregateMetadata extends AggregateOptions {
  /** The stream category: streams are named `<type>-<id>`. */
  readonly type: string;
}

const CATEGORY = /^[A-Za-z][A-Za-z0-9_]*$/;

/**
 * Declares an aggregate and its stream category: `@Aggregate('order')` stores an order's events in
 * stream `order-<id>`.
 *
 * @example
 * @Aggregate('order', { snapshotEvery: 100 })
 * export class Order extends AggregateRoot { ... }
 * @throws ConfigurationError for a category with characters other than letters, digits and `_`.
 */
export function Aggregate(type: string, options: AggregateOptions = {}): ClassDecorator {
  return (target) => {
    if (typeof type !== 'string' || !CATEGORY.test(type)) {
      throw new ConfigurationError(
        `@Aggregate(${JSON.stringify(type)}) on ${target.name}: the category must start with a letter and hold only ` +
          `letters, digits and "_" (no "-": streams are named "<category>-<id>"), e.g. @Aggregate('order').`,
      );
    }
    if (
      options.snapshotEvery !== undefined &&
      (!Number.isInteger(options.snapshotEvery) || options.snapshotEvery < 1)
    ) {
      throw new ConfigurationError(
        `@Aggregate('${type}') on ${target.name}: snapshotEvery must be a whole number from 1, got ${options.snapshotEvery}.`,
      );
    }
    setRecord<AggregateMetadata>(METADATA.aggregate, target, { type, ...options });
  };
}

/** Reads what `@Aggregate` recorded on exactly this class. */
export function getAggregateMetadata(target: object): AggregateMetadata | undefined {
  return getOwnRecord<AggregateMetadata>(METADATA.aggregate, target);
}

/**
 * Reads what `@Aggregate` recorded.
 * @throws ConfigurationError when the class has no `@Aggregate`.
 */
export function requireAggregateMetadata(target: Type): AggregateMetadata {
  const meta = getAggregateMetadata(target);
  if (!meta) {
    throw new ConfigurationError(
      `${target.name} is used as an aggregate but has no @Aggregate decorator. ` +
        `Add @Aggregate('<category>') above "class ${target.name}".`,
    );
  }
  return meta;
}
