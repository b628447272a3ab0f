import type { EventEnvelope, Type } from '@rewind/core';
import type { DocumentCollection } from './documents';

/** What a projector's handler receives besides the event. */
export interface ProjectionContext {
  readonly envelope: EventEnvelope;
  /** A collection in this projection's own namespace. */
  collection<T extends object>(name: string): DocumentCollection<T>;
  /** True while a rebuild replays the log. */
  readonly isReplay: boolean;
}

/** What a reactor's handler receives besides the event. */
export interface ReactorContext {
  readonly envelope: EventEnvelope;
}

/** What `@Projection` / `@Reactor` record. */
export interface ProcessorMetadata {
  readonly kind: 'projection' | 'reactor';
  readonly name: string;
  readonly version: number;
}

/** One `@On` as recorded. */
export interface OnRecord {
  readonly eventClass: Type;
  readonly method: string | symbol;
}

const PROCESSOR = Symbol.for('energy-bar-shop:processor');
const HANDLERS = Symbol.for('energy-bar-shop:on');

/** Declares a read-model projector; its `@On` methods write documents in its namespace. */
export function Projection(name: string, options: { version?: number } = {}): ClassDecorator {
  return (target) => {
    Object.defineProperty(target, PROCESSOR, {
      value: { kind: 'projection', name, version: options.version ?? 1 } satisfies ProcessorMetadata,
    });
  };
}

/** Declares a reactor: handlers with side effects that run live, once, and never on a replay. */
export function Reactor(name: string): ClassDecorator {
  return (target) => {
    Object.defineProperty(target, PROCESSOR, {
      value: { kind: 'reactor', name, version: 1 } satisfies ProcessorMetadata,
    });
  };
}

/** Marks the method that handles one event class. */
export function On(eventClass: Type): MethodDecorator {
  return (target, method) => {
    const ctor = target.constructor as unknown as Record<symbol, OnRecord[] | undefined>;
    const own = Object.prototype.hasOwnProperty.call(ctor, HANDLERS) ? ctor[HANDLERS] : undefined;
    if (own) own.push({ eventClass, method });
    else Object.defineProperty(ctor, HANDLERS, { value: [{ eventClass, method }] });
  };
}

/** What `@Projection` or `@Reactor` recorded on a class. */
export function processorMetadata(target: object): ProcessorMetadata | undefined {
  return (target as Record<symbol, ProcessorMetadata | undefined>)[PROCESSOR];
}

/** Every `@On` of a class. */
export function onHandlers(target: object): readonly OnRecord[] {
  return (target as Record<symbol, OnRecord[] | undefined>)[HANDLERS] ?? [];
}
