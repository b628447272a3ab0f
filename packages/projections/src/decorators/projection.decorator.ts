import { ConfigurationError, type EventEnvelope, type EventMetadata, type Type } from '@rewind/core';
import type { Collection, Document, ReadModelTransaction } from '../readModel/readModelStore';

const KEYS = {
  processor: Symbol.for('rewind:projection'),
  handlers: Symbol.for('rewind:projection-handlers'),
} as const;

/** What to do with an event whose handler keeps failing after its retries. */
export type ErrorPolicy = 'park' | 'stop';

/** Options for {@link Projection}. */
export interface ProjectionOptions {
  /** Bump to rebuild into a new namespace (the old version keeps serving until the new one catches up). */
  readonly version?: number;
  /** `'park'` (default): park the event as a dead letter and go on. `'stop'`: stop with status failed. */
  readonly onError?: ErrorPolicy;
  /** Retries of a failing event before the policy applies (default 3). */
  readonly retries?: number;
  /** First retry delay in ms, doubled each time (default 100). */
  readonly retryBackoffMs?: number;
  /** Most events applied in one transaction (default 500). */
  readonly batchSize?: number;
  /**
   * Apply this projection inline: in the transaction of the append that writes its events, so the read
   * model is consistent with the command as soon as the append returns (default false: the runner
   * applies it asynchronously, exactly once). Needs the PostgreSQL event store and read-model store in
   * one database. A handler that throws fails the append; appends of its event types serialize on
   * the projection's lock. See the guide "Projections and read models".
   */
  readonly inline?: boolean;
}

/** Options for {@link Reactor}. */
export interface ReactorOptions {
  /** Where a reactor that has never run starts: `'now'` (default: no side effects for history) or `'beginning'`. */
  readonly startFrom?: 'now' | 'beginning';
  readonly onError?: ErrorPolicy;
  readonly retries?: number;
  readonly retryBackoffMs?: number;
}

/** What the decorators record on a class. */
export type ProcessorMetadata =
  | ({ readonly kind: 'projection'; readonly name: string; readonly version: number } & ProjectionOptions)
  | ({ readonly kind: 'reactor'; readonly name: string; readonly version: number } & ReactorOptions);

/** One `@On` as recorded. */
export interface OnRecord {
  readonly eventClass: Type;
  readonly method: string | symbol;
}

/** What a projector's handler receives besides the event. */
export interface ProjectionContext<E extends object = object> {
  readonly projection: string;
  readonly envelope: EventEnvelope<E>;
  readonly metadata: EventMetadata;
  /** The read-model transaction: writes commit together with the checkpoint. */
  readonly tx: ReadModelTransaction;
  /** Shortcut for `tx.collection(name)`. */
  collection<D extends object = Document>(name: string): Collection<D>;
  /** True while rebuilding or building a read model as of a past moment; false for the live runner. */
  readonly isReplay: boolean;
}

/** What a reactor's handler receives besides the event. */
export interface ReactorContext<E extends object = object> {
  readonly reactor: string;
  readonly envelope: EventEnvelope<E>;
  readonly metadata: EventMetadata;
  /** Stable per reactor and event: pass it to whatever you call so a redelivery does nothing twice. */
  readonly idempotencyKey: string;
  /** Always false: reactors never run during replays. */
  readonly isReplay: false;
}

const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,99}$/;

function checkName(kind: string, name: string, target: Type): void {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new ConfigurationError(
      `@${kind}(${JSON.stringify(name)}) on ${target.name}: use letters, digits, "_" and "-", starting with a letter, e.g. 'order-summary'.`,
    );
  }
}

/**
 * Declares a projector: a class whose `@On` methods build a read model from events, each event applied
 * exactly once (writes and checkpoint commit in one transaction).
 *
 * @example
 * @Projection('order-summary', { version: 1 })
 * export class OrderSummaryProjection {
 *   @On(OrderPlaced)
 *   async placed(event: OrderPlaced, ctx: ProjectionContext) {
 *     await ctx.collection('orders').put(event.orderId, { status: 'placed', total: event.total });
 *   }
 * }
 */
export function Projection(name: string, options: ProjectionOptions = {}): ClassDecorator {
  return (target) => {
    checkName('Projection', name, target as unknown as Type);
    const version = options.version ?? 1;
    if (!Number.isInteger(version) || version < 1) {
      throw new ConfigurationError(
        `@Projection('${name}') on ${target.name}: version must be a whole number from 1.`,
      );
    }
    Object.defineProperty(target, KEYS.processor, {
      value: { ...options, kind: 'projection', name, version },
      configurable: true,
    });
  };
}

/**
 * Declares a reactor: handlers with side effects (send a command, call out) that run live, at least
 * once, with an idempotency key per event, and never during a rebuild or replay.
 */
export function Reactor(name: string, options: ReactorOptions = {}): ClassDecorator {
  return (target) => {
    checkName('Reactor', name, target as unknown as Type);
    Object.defineProperty(target, KEYS.processor, {
      value: { ...options, kind: 'reactor', name, version: 1 },
      configurable: true,
    });
  };
}

/** Marks the method that handles one event class in a projector or reactor. */
export function On(eventClass: Type): MethodDecorator {
  return (target, method) => {
    const owner = target.constructor as unknown as Record<symbol, OnRecord[] | undefined>;
    const own = Object.prototype.hasOwnProperty.call(owner, KEYS.handlers)
      ? owner[KEYS.handlers]!
      : undefined;
    const list = own ?? [...(owner[KEYS.handlers] ?? [])];
    list.push({ eventClass, method });
    if (!own) Object.defineProperty(owner, KEYS.handlers, { value: list, configurable: true });
  };
}

/** Reads what `@Projection` or `@Reactor` recorded. */
export function getProcessorMetadata(target: object): ProcessorMetadata | undefined {
  return Object.prototype.hasOwnProperty.call(target, KEYS.processor)
    ? (target as Record<symbol, ProcessorMetadata>)[KEYS.processor]
    : undefined;
}

/** Every `@On` of a class. */
export function getOnHandlers(target: object): readonly OnRecord[] {
  return (target as Record<symbol, OnRecord[] | undefined>)[KEYS.handlers] ?? [];
}
