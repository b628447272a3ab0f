import { randomUUID } from 'node:crypto';
import { getMetadataStorage } from 'class-validator';
import { ConfigurationError, EventDecodingError, ValidationError } from '../errors/errors';
import type { EventToAppend, RecordedEvent, StoredEventMetadata } from '../eventStore/eventStore';
import type { Position } from '../eventStore/position';
import type { Type } from '../metadata/metadataKeys';
import { validateObject } from '../validation/validateObject';
import { requireDomainEventMetadata, type DomainEventMetadata } from './domainEvent.decorator';
import type { EventEnvelope, EventMetadata } from './eventEnvelope';
import { decodeJson, encodeJson } from './jsonCodec';
import type { Upcaster } from './upcaster';
import { TRACEPARENT_KEY, TRACESTATE_KEY } from '../telemetry/telemetryNames';

/** Options for {@link EventRegistry}. */
export interface EventRegistryOptions {
  readonly upcasters?: readonly Upcaster[];
  /**
   * What to do with stored events whose type no class is registered for: `'error'` (default) throws
   * `EventDecodingError`; `'skip'` leaves them out (e.g. a read-only tool that knows only some events).
   */
  readonly unknownTypes?: 'error' | 'skip';
  /** Called for each stored event left out under `unknownTypes: 'skip'`, e.g. to warn that a state is partial. */
  readonly onSkippedEvent?: (recorded: RecordedEvent) => void;
  /** Run class-validator on every decoded event too (slower; appends are always validated). */
  readonly validateOnRead?: boolean;
}

/** Who caused an event: flows from command to events, and from event to the events it causes. */
export interface CausationContext {
  readonly correlationId: string;
  readonly causationId: string;
  readonly occurredAt?: Date;
  readonly custom?: Readonly<Record<string, unknown>>;
}

interface Registration {
  readonly eventClass: Type;
  readonly meta: DomainEventMetadata;
  /** Properties class-validator says must be present: a cheap shape check on read. */
  readonly required: readonly string[];
}

const RESERVED = new Set([
  'schemaVersion',
  'correlationId',
  'causationId',
  'occurredAt',
  '$types',
  TRACEPARENT_KEY,
  TRACESTATE_KEY,
]);

/**
 * Knows every event class by its stored name: serializes events for the store and decodes stored
 * events back into their classes, upcasting old versions on the way.
 */
export class EventRegistry {
  private readonly byType = new Map<string, Registration>();
  private readonly byClass = new Map<Type, Registration>();
  private readonly upcasters = new Map<string, Map<number, Upcaster>>();

  constructor(
    events: Iterable<Type> = [],
    private readonly options: EventRegistryOptions = {},
  ) {
    for (const upcaster of options.upcasters ?? []) this.addUpcaster(upcaster);
    for (const eventClass of events) this.register(eventClass);
  }

  /**
   * Registers event classes (idempotent for the same class).
   * @throws ConfigurationError when two classes claim one type name, or a class is not decorated.
   */
  register(...eventClasses: Type[]): this {
    for (const eventClass of eventClasses) {
      if (this.byClass.has(eventClass)) continue;
      const meta = requireDomainEventMetadata(eventClass);
      const existing = this.byType.get(meta.type);
      if (existing) {
        throw new ConfigurationError(
          `Event type "${meta.type}" is declared by two classes: ${existing.eventClass.name} and ${eventClass.name}. ` +
            `Give each event class its own @DomainEvent name.`,
        );
      }
      const registration = { eventClass, meta, required: requiredProperties(eventClass) };
      this.byType.set(meta.type, registration);
      this.byClass.set(eventClass, registration);
    }
    return this;
  }

  /** Adds one upcaster. @throws ConfigurationError for a duplicate step. */
  addUpcaster(upcaster: Upcaster): this {
    const steps = this.upcasters.get(upcaster.eventType) ?? new Map<number, Upcaster>();
    if (steps.has(upcaster.fromVersion)) {
      throw new ConfigurationError(
        `Two upcasters for "${upcaster.eventType}" from version ${upcaster.fromVersion}. Keep one.`,
      );
    }
    steps.set(upcaster.fromVersion, upcaster);
    this.upcasters.set(upcaster.eventType, steps);
    return this;
  }

  /**
   * Checks the upcaster chains: every upcaster's event is registered and goes below its current
   * version, and from the lowest version with an upcaster to the current one no step is missing.
   * @throws ConfigurationError naming the event and the missing step.
   */
  verify(): void {
    for (const [type, steps] of this.upcasters) {
      const registration = this.byType.get(type);
      if (!registration) {
        throw new ConfigurationError(
          `An upcaster is registered for event "${type}", but no event class with that name is registered. ` +
            `Register the event class (or remove the upcaster).`,
        );
      }
      const current = registration.meta.version;
      const lowest = Math.min(...steps.keys());
      for (const from of steps.keys()) {
        if (from >= current) {
          throw new ConfigurationError(
            `The upcaster for "${type}" from version ${from} goes past the current version ${current} of ` +
              `${registration.eventClass.name}. Bump @DomainEvent('${type}', { version }) or remove the upcaster.`,
          );
        }
      }
      for (let v = lowest; v < current; v++) {
        if (!steps.has(v)) {
          throw new ConfigurationError(
            `Upcaster chain for "${type}" is missing the step from version ${v} to ${v + 1} ` +
              `(current version is ${current}). Add defineUpcaster(${registration.eventClass.name}, ${v}, ...).`,
          );
        }
      }
    }
  }

  /** Whether a type name is registered. */
  has(type: string): boolean {
    return this.byType.has(type);
  }

  /** The class registered under a type name. */
  classOf(type: string): Type | undefined {
    return this.byType.get(type)?.eventClass;
  }

  /** Every registered type name. */
  types(): string[] {
    return [...this.byType.keys()];
  }

  /**
   * The stored name and version of an event class or instance.
   * @throws ConfigurationError when it is not registered.
   */
  describe(eventOrClass: object | Type): DomainEventMetadata {
    const eventClass = (typeof eventOrClass === 'function' ? eventOrClass : eventOrClass.constructor) as Type;
    const registration = this.byClass.get(eventClass);
    if (!registration) {
      const meta = requireDomainEventMetadata(eventClass);
      throw new ConfigurationError(
        `Event ${eventClass.name} ("${meta.type}") is not registered. Handle it in an aggregate ` +
          `(@EventSourcingHandler) or projection, or list it in createRewind({ events }).`,
      );
    }
    return registration.meta;
  }

  /**
   * Validates an event and turns it into what the store keeps.
   * @throws ValidationError when the event breaks its class-validator rules, holds unstorable values,
   * or custom metadata uses a reserved key.
   */
  serialize(event: object, causation: CausationContext): EventToAppend {
    const meta = this.describe(event);
    validateObject(event, `event "${meta.type}"`, { forbidUnknownValues: false });
    const { json, types } = encodeJson(event, `event "${meta.type}"`);
    const custom = causation.custom ?? {};
    checkCustomMetadata(custom);
    const metadata: StoredEventMetadata = {
      ...custom,
      schemaVersion: meta.version,
      correlationId: causation.correlationId,
      causationId: causation.causationId,
      occurredAt: (causation.occurredAt ?? new Date()).toISOString(),
      ...(types ? { $types: types } : {}),
    };
    return { id: randomUUID(), type: meta.type, data: json, metadata };
  }

  /**
   * Decodes a stored event into its class, upcasting older versions.
   * @returns undefined for an unknown type when the registry was created with `unknownTypes: 'skip'`.
   * @throws EventDecodingError naming stream, revision and type: unknown type, newer version than the
   * code, missing upcaster, or a payload that no longer fits its class.
   */
  decode<E extends object = object>(recorded: RecordedEvent): EventEnvelope<E> | undefined {
    const registration = this.byType.get(recorded.type);
    if (!registration) {
      if (this.options.unknownTypes === 'skip') {
        this.options.onSkippedEvent?.(recorded);
        return undefined;
      }
      throw new EventDecodingError(
        recorded.streamId,
        recorded.revision,
        recorded.type,
        `no event class is registered under this name. Register the class declared with ` +
          `@DomainEvent('${recorded.type}'), or create the registry with { unknownTypes: 'skip' } to leave such events out.`,
      );
    }
    const stored = recorded.metadata;
    let version = typeof stored.schemaVersion === 'number' ? stored.schemaVersion : 1;
    const current = registration.meta.version;
    const fail = (reason: string, cause?: unknown): never => {
      throw new EventDecodingError(recorded.streamId, recorded.revision, recorded.type, reason, { cause });
    };
    if (version > current) {
      fail(
        `it was written as version ${version} but ${registration.eventClass.name} is version ${current}. ` +
          `It was written by newer code: deploy that version here too.`,
      );
    }
    if (recorded.data === null || typeof recorded.data !== 'object' || Array.isArray(recorded.data)) {
      fail(`its payload is ${JSON.stringify(recorded.data)?.slice(0, 80)}, not an object.`);
    }
    let data = recorded.data as Record<string, unknown>;
    // Stores may hand out frozen, shared data (the in-memory store does): reviving Dates and bigints
    // and upcasting work on a copy of it then, never on the stored event.
    if ((stored.$types !== undefined || version < current) && Object.isFrozen(data))
      data = structuredClone(data);
    data = decodeJson(data, stored.$types);
    while (version < current) {
      const step = this.upcasters.get(recorded.type)?.get(version);
      if (!step) {
        fail(
          `it is version ${version}, ${registration.eventClass.name} is version ${current}, and no upcaster goes ` +
            `from ${version} to ${version + 1}. Add defineUpcaster(${registration.eventClass.name}, ${version}, ...).`,
        );
      }
      try {
        data = step!.up(data, stored);
      } catch (error) {
        fail(`the upcaster from version ${version} threw: ${(error as Error).message}`, error);
      }
      version++;
    }
    for (const property of registration.required) {
      if (data[property] === undefined) {
        fail(
          `its payload has no "${property}", which ${registration.eventClass.name} requires. The class changed ` +
            `without a new version: bump @DomainEvent version and add an upcaster that fills "${property}".`,
        );
      }
    }
    // Frozen stored data (shared by every reader) is copied into the event: handlers get events they
    // can change, as from any other store. Top-level fields are copied by the assign itself; only
    // nested objects and arrays need their own copy, and most events have none.
    const event = Object.assign(
      Object.create(registration.eventClass.prototype) as E,
      Object.isFrozen(data) ? thawed(data) : data,
    );
    if (this.options.validateOnRead) {
      try {
        validateObject(event, `event "${recorded.type}"`, { forbidUnknownValues: false });
      } catch (error) {
        fail(
          `its payload no longer fits ${registration.eventClass.name}: ${(error as Error).message}`,
          error,
        );
      }
    }
    return new DecodedEnvelope<E>(recorded, event, version);
  }
}

/** An envelope whose metadata view is built on first use: most projectors never read it. */
class DecodedEnvelope<E extends object> implements EventEnvelope<E> {
  readonly id: string;
  readonly type: string;
  readonly streamId: string;
  readonly revision: bigint;
  readonly position: Position;
  readonly recordedAt: Date;
  private view: EventMetadata | undefined;

  constructor(
    private readonly recorded: RecordedEvent,
    readonly event: E,
    private readonly schemaVersion: number,
  ) {
    this.id = recorded.id;
    this.type = recorded.type;
    this.streamId = recorded.streamId;
    this.revision = recorded.revision;
    this.position = recorded.position;
    this.recordedAt = recorded.recordedAt;
  }

  get metadata(): EventMetadata {
    return (this.view ??= metadataView(this.recorded.metadata, this.schemaVersion));
  }
}

/** A shallow copy of frozen JSON data whose nested objects and arrays are fresh, mutable copies. */
function thawed(data: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const key in data) {
    const value = data[key];
    if (value !== null && typeof value === 'object') {
      out ??= { ...data };
      out[key] = copyJson(value);
    }
  }
  return out ?? data;
}

function copyJson(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(copyJson);
  if (!(Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)) {
    return structuredClone(value); // not plain JSON (a store's Date, say): the generic copy
  }
  const out: Record<string, unknown> = {};
  for (const key in value as Record<string, unknown>)
    out[key] = copyJson((value as Record<string, unknown>)[key]);
  return out;
}

/** Views of frozen stored metadata, which stores share between the events of one append. */
const sharedViews = new WeakMap<StoredEventMetadata, EventMetadata>();

/**
 * The handlers' view of stored metadata. Frozen stored metadata is shared, immutable, by the events
 * appended together (the SQLite and in-memory stores do that): its view is built once and frozen too,
 * instead of once per event.
 */
function metadataView(stored: StoredEventMetadata, schemaVersion: number): EventMetadata {
  if (!Object.isFrozen(stored) || stored.schemaVersion !== schemaVersion) {
    return toEventMetadata(stored, schemaVersion);
  }
  let view = sharedViews.get(stored);
  if (view === undefined) {
    const fresh = toEventMetadata(stored, schemaVersion);
    Object.freeze(fresh.custom);
    view = Object.freeze(fresh);
    sharedViews.set(stored, view);
  }
  return view;
}

/**
 * Checks metadata of your own (from `raise`, `execute`, `runInContext`) before it is stored.
 * @throws ValidationError for a key Rewind keeps its own metadata under.
 */
export function checkCustomMetadata(custom: Readonly<Record<string, unknown>>): void {
  const reserved = Object.keys(custom).filter((key) => RESERVED.has(key));
  if (reserved.length === 0) return;
  throw new ValidationError(
    'event metadata',
    reserved.map((key) => ({
      path: `metadata.${key}`,
      value: custom[key],
      constraints: {
        reserved: `"${key}" is reserved by Rewind (${[...RESERVED].join(', ')}); store your value under another key`,
      },
    })),
  );
}

/** Turns stored metadata into the application's view of it. */
export function toEventMetadata(
  stored: StoredEventMetadata,
  schemaVersion = stored.schemaVersion,
): EventMetadata {
  const custom: Record<string, unknown> = {};
  for (const key of Object.keys(stored)) if (!RESERVED.has(key)) custom[key] = stored[key];
  return {
    schemaVersion,
    correlationId: stored.correlationId,
    causationId: stored.causationId,
    occurredAt: new Date(stored.occurredAt),
    custom,
    ...(typeof stored[TRACEPARENT_KEY] === 'string' ? { traceparent: stored[TRACEPARENT_KEY] } : {}),
  };
}

/** Properties with class-validator rules and no @IsOptional: they must be present in a stored payload. */
function requiredProperties(eventClass: Type): string[] {
  const metas = getMetadataStorage().getTargetValidationMetadatas(
    eventClass as new () => object,
    '',
    true,
    false,
  );
  const all = new Set<string>();
  const optional = new Set<string>();
  for (const m of metas) {
    all.add(m.propertyName);
    if (m.type === 'conditionalValidation') optional.add(m.propertyName);
  }
  return [...all].filter((p) => !optional.has(p));
}
