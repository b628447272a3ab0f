import diff, { type Difference } from 'microdiff';
import {
  aggregateState,
  initializeAggregate,
  markCommitted,
  replayEvent,
  skipEvent,
  type AggregateRoot,
} from '../aggregates/aggregateRoot';
import { requireAggregateMetadata } from '../aggregates/aggregate.decorator';
import { randomUUID } from 'node:crypto';
import { currentContext, type ExecutionContext } from '../context/executionContext';
import {
  AggregateNotFoundError,
  AppendOutcomeUnknownError,
  StreamNotFoundError,
  ValidationError,
} from '../errors/errors';
import { deriveEventId } from '../eventStore/idempotentAppend';
import {
  readStreamInPages,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type ReadStreamOptions,
} from '../eventStore/eventStore';
import type { EventEnvelope } from '../events/eventEnvelope';
import type { EventRegistry } from '../events/eventRegistry';
import type { SnapshotStore } from '../snapshots/snapshotStore';
import { inSpan, tracingActive, type TelemetrySpan, type TelemetryOptions } from '../telemetry/otel';
import { AttributeNames as A, SpanNames } from '../telemetry/telemetryNames';

/** A concrete aggregate class, constructible without arguments. */
export type AggregateClass<T extends AggregateRoot = AggregateRoot> = new () => T;

/** Where in an aggregate's past to load it. Give at most one. */
export interface LoadOptions {
  /** The state right after this revision (0-based). */
  readonly revision?: bigint | number;
  /** The state as recorded at this moment (store time). */
  readonly at?: Date;
  /**
   * The state as of this business time: every event whose occurred-at is at or before it, applied in
   * log order; events that occurred later are skipped, even when a back-dated one follows them.
   */
  readonly occurredAt?: Date;
}

/**
 * Options for {@link Repository.save}. Ids and metadata are not among them: they were fixed when each
 * event was raised (see `AggregateRoot.raise`); set them with `runInContext` or the command bus.
 */
export interface SaveOptions {
  /** Defaults to the revision the aggregate was loaded at (`no_stream` for a new one). */
  readonly expectedRevision?: ExpectedRevision;
}

/** One step of an aggregate's history. */
export interface HistoryEntry<T extends AggregateRoot = AggregateRoot> {
  readonly revision: bigint;
  readonly envelope: EventEnvelope;
  /** Deep copy of the state after this event. */
  readonly state: Record<string, unknown>;
  /** Field-level changes this event made to the state. */
  readonly changes: readonly Difference[];
  /** The live aggregate after this event (do not keep it: it moves on with the next entry). */
  readonly aggregate: T;
}

/** Options for {@link Repository.history}. */
export interface HistoryOptions {
  readonly fromRevision?: bigint | number;
  readonly toRevision?: bigint | number;
}

/** Options for {@link Repository}. */
export interface RepositoryOptions {
  /** Stores and reads snapshots for aggregates declared with `snapshotEvery`. */
  readonly snapshots?: SnapshotStore;
  /**
   * How many times a save whose outcome is unknown (`AppendOutcomeUnknownError`: the answer was lost)
   * is retried, with the same event ids and expected revision, before the error is passed on
   * (default 3; retrying is always safe: a retry of a written append writes nothing).
   */
  readonly ambiguousAppendRetries?: number;
  /** First pause before such a retry, doubled each time (default 200 ms). */
  readonly ambiguousAppendBackoffMs?: number;
  /** The `rewind.aggregate.load` span of every load; on by default. */
  readonly telemetry?: TelemetryOptions;
}

/** Per execution context: how many events it saved to each stream (the index of the next derived id). */
const savedPerStream = new WeakMap<ExecutionContext, Map<string, number>>();
/** Aggregates whose loaded stream already holds events of the command running when they were loaded. */
const appliedByRunningCommand = new WeakSet<AggregateRoot>();

/**
 * Loads aggregates from their streams and saves what they raised, guarded by optimistic concurrency.
 * Also the door to time travel: any revision or moment, the history with diffs, and bisect.
 */
export class Repository {
  constructor(
    private readonly store: EventStore,
    private readonly events: EventRegistry,
    private readonly options: RepositoryOptions = {},
  ) {}

  /** The stream an aggregate's events live in: `<category>-<id>`. */
  streamId(aggregateClass: AggregateClass, id: string): string {
    return `${requireAggregateMetadata(aggregateClass).type}-${id}`;
  }

  /** A new, empty aggregate with this id (nothing is written until it is saved). */
  create<T extends AggregateRoot>(aggregateClass: AggregateClass<T>, id: string): T {
    checkId(aggregateClass, id);
    const aggregate = new aggregateClass();
    initializeAggregate(aggregate, id, -1n);
    return aggregate;
  }

  /**
   * Loads an aggregate now, or as it was at a revision or moment.
   * @throws AggregateNotFoundError when it has no events, none by the requested time, or no such
   * revision (the message says which, and names the stream's last revision).
   * @throws EventDecodingError when a stored event cannot be decoded.
   */
  async load<T extends AggregateRoot>(
    aggregateClass: AggregateClass<T>,
    id: string,
    options: LoadOptions = {},
  ): Promise<T> {
    const result = await this.replay(aggregateClass, id, options);
    if ('aggregate' in result) return result.aggregate;
    const type = requireAggregateMetadata(aggregateClass).type;
    throw new AggregateNotFoundError(type, id, this.streamId(aggregateClass, id), result.miss);
  }

  /** Like {@link load}, but resolves to undefined when the aggregate does not exist (at that point). */
  async find<T extends AggregateRoot>(
    aggregateClass: AggregateClass<T>,
    id: string,
    options: LoadOptions = {},
  ): Promise<T | undefined> {
    const result = await this.replay(aggregateClass, id, options);
    return 'aggregate' in result ? result.aggregate : undefined;
  }

  /**
   * Replays an aggregate up to the requested point: a snapshot (when allowed) and the events after it.
   * By business time, every event whose occurred-at is at or before the target is applied, in log
   * order, and later ones are skipped: a back-dated event counts from when it occurred.
   */
  private replay<T extends AggregateRoot>(
    aggregateClass: AggregateClass<T>,
    id: string,
    options: LoadOptions,
  ): Promise<{ aggregate: T } | { miss: { reason?: string; hint?: string } }> {
    if (this.options.telemetry?.enabled === false || !tracingActive()) {
      return this.replayTraced(aggregateClass, id, options, undefined);
    }
    return inSpan(
      SpanNames.aggregateLoad,
      {
        attributes: () => ({
          [A.aggregateType]: requireAggregateMetadata(aggregateClass).type,
          [A.aggregateId]: id,
          [A.streamId]: this.streamId(aggregateClass, id),
        }),
      },
      (span) => this.replayTraced(aggregateClass, id, options, span),
    );
  }

  private async replayTraced<T extends AggregateRoot>(
    aggregateClass: AggregateClass<T>,
    id: string,
    options: LoadOptions,
    span: TelemetrySpan | undefined,
  ): Promise<{ aggregate: T } | { miss: { reason?: string; hint?: string } }> {
    checkLoadOptions(options);
    const aggregate = this.create(aggregateClass, id);
    const streamId = this.streamId(aggregateClass, id);
    const target = options.revision === undefined ? undefined : BigInt(options.revision);
    const snapshot = options.occurredAt
      ? undefined
      : await this.options.snapshots?.load(aggregate, aggregateClass, streamId, {
          ...(target === undefined ? {} : { maxRevision: target }),
          ...(options.at ? { at: options.at } : {}),
        });
    const read: ReadStreamOptions = {
      ...(snapshot ? { fromRevision: snapshot.revision + 1n } : {}),
      ...(target === undefined ? {} : { toRevision: target }),
      ...(options.at ? { until: options.at } : {}),
    };
    let applied = snapshot ? 1 : 0;
    let seen = 0;
    let lastRevision = snapshot?.revision;
    const commandId = currentContext()?.commandId;
    const firstIdOfCommand = commandId ? deriveEventId(commandId, streamId, 0) : undefined;
    try {
      // A page at a time: one promise per page, not per event (see `readStreamInPages`).
      for await (const page of readStreamInPages(this.store, streamId, read)) {
        for (const recorded of page) {
          seen++;
          if (recorded.id === firstIdOfCommand) appliedByRunningCommand.add(aggregate);
          lastRevision = recorded.revision;
          const envelope = this.events.decode(recorded);
          if (!envelope) {
            skipEvent(aggregate, recorded.revision);
            continue;
          }
          if (options.occurredAt && envelope.metadata.occurredAt > options.occurredAt) continue;
          replayEvent(aggregate, envelope.event, envelope.metadata, recorded.revision);
          applied++;
        }
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) {
        span?.setAttributes({ [A.eventsRead]: 0, [A.snapshotUsed]: false });
        return { miss: {} };
      }
      throw error;
    }
    span?.setAttributes({ [A.eventsRead]: seen, [A.snapshotUsed]: snapshot !== undefined });
    if (target !== undefined && lastRevision !== undefined && lastRevision < target) {
      return {
        miss: {
          reason: `at revision ${target}: stream "${streamId}" ends at revision ${lastRevision}`,
          hint: `Load a revision from 0 to ${lastRevision}, or leave the revision out for the current state.`,
        },
      };
    }
    if (applied === 0) return { miss: missBefore(streamId, options, seen) };
    if (this.options.snapshots && !hasTarget(options)) {
      await this.options.snapshots.maybeSave(aggregate, aggregateClass, streamId, snapshot?.revision);
    }
    return { aggregate };
  }

  /**
   * Appends the aggregate's pending events, expecting the stream to be where it was loaded, each with
   * the metadata it was raised with (which its event-sourcing handler already saw).
   * @throws ConcurrencyError when someone else appended first.
   * @throws ValidationError when an event breaks its rules; nothing is appended.
   */
  async save(aggregate: AggregateRoot, options: SaveOptions = {}): Promise<AppendResult | undefined> {
    const pending = aggregate.uncommittedEvents;
    if (pending.length === 0) return undefined;
    const aggregateClass = aggregate.constructor as AggregateClass;
    const streamId = this.streamId(aggregateClass, aggregate.id);
    const context = currentContext();
    let saved: Map<string, number> | undefined;
    if (context?.commandId) {
      saved = savedPerStream.get(context) ?? new Map<string, number>();
      savedPerStream.set(context, saved);
    }
    // Indexes are taken before the append (two saves of one command never share ids) and given back
    // when it fails, so the command's first event in a stream always has index 0.
    const first = saved?.get(streamId) ?? 0;
    saved?.set(streamId, first + pending.length);
    // Ids fixed once per save (derived from the command when there is one): retries reuse them.
    const toAppend = pending.map(({ event, metadata }, index) => ({
      ...this.events.serialize(event, metadata),
      id: context?.commandId ? deriveEventId(context.commandId, streamId, first + index) : randomUUID(),
    }));
    const expectedRevision =
      options.expectedRevision === undefined
        ? aggregate.revision < 0n
          ? 'no_stream'
          : aggregate.revision
        : options.expectedRevision;
    let result: AppendResult;
    try {
      result = await this.appendRetryingUnknownOutcomes(streamId, toAppend, expectedRevision);
    } catch (error) {
      if (saved?.get(streamId) === first + pending.length) saved.set(streamId, first);
      throw error;
    }
    markCommitted(aggregate, result.nextExpectedRevision);
    if (this.options.snapshots) {
      await this.options.snapshots.maybeSave(aggregate, aggregateClass, streamId, undefined, pending.length);
    }
    return result;
  }

  /**
   * Whether the aggregate, when it was loaded, already held events saved by the command running now
   * (the `commandId` of the execution context): the command was applied before, and its answer was
   * lost. The CommandBus then reports it as `alreadyApplied` instead of running it twice. Events older
   * than the snapshot the aggregate was loaded from are not looked at.
   */
  wasAlreadyApplied(aggregate: AggregateRoot): boolean {
    return appliedByRunningCommand.has(aggregate);
  }

  /**
   * Appends, retrying an append whose outcome is unknown with the same ids and expected revision
   * (safe on every store: a retry of a written append writes nothing and returns its result).
   */
  private async appendRetryingUnknownOutcomes(
    streamId: string,
    events: readonly EventToAppend[],
    expectedRevision: ExpectedRevision,
  ): Promise<AppendResult> {
    const retries = this.options.ambiguousAppendRetries ?? 3;
    const backoffMs = this.options.ambiguousAppendBackoffMs ?? 200;
    let unknown: AppendOutcomeUnknownError | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.store.append(streamId, events, { expectedRevision });
      } catch (error) {
        const ambiguous = error instanceof AppendOutcomeUnknownError;
        // Once an outcome is unknown, it stays unknown until an attempt gets an answer.
        if (ambiguous) unknown = error;
        else if (!unknown || !isTransient(error)) throw error;
        if (attempt >= retries) {
          throw new AppendOutcomeUnknownError(
            streamId,
            expectedRevision,
            events.map((event) => event.id!),
            `${retries + 1} attempts got no answer (last: ${(error as Error).message})`,
            { cause: error },
          );
        }
        await new Promise((resolve) => setTimeout(resolve, backoffMs * 2 ** attempt));
      }
    }
  }

  /**
   * Replays an aggregate event by event: each step has the event, the state after it and what changed.
   * @throws AggregateNotFoundError when the aggregate has no events.
   */
  async *history<T extends AggregateRoot>(
    aggregateClass: AggregateClass<T>,
    id: string,
    options: HistoryOptions = {},
  ): AsyncGenerator<HistoryEntry<T>> {
    const aggregate = this.create(aggregateClass, id);
    const streamId = this.streamId(aggregateClass, id);
    const from = options.fromRevision === undefined ? 0n : BigInt(options.fromRevision);
    const to = options.toRevision === undefined ? undefined : BigInt(options.toRevision);
    // The state before the first entry yielded: every entry's diff is against the state just before it.
    let previous: Record<string, unknown> | undefined;
    let any = false;
    try {
      for await (const recorded of this.store.readStream(
        streamId,
        to === undefined ? {} : { toRevision: to },
      )) {
        any = true;
        const envelope = this.events.decode(recorded);
        if (!envelope) continue;
        if (recorded.revision >= from) previous ??= aggregateState(aggregate);
        replayEvent(aggregate, envelope.event, envelope.metadata, recorded.revision);
        if (previous === undefined) continue;
        const state = aggregateState(aggregate);
        yield { revision: recorded.revision, envelope, state, changes: diff(previous, state), aggregate };
        previous = state;
      }
    } catch (error) {
      if (!(error instanceof StreamNotFoundError)) throw error;
    }
    if (!any) {
      throw new AggregateNotFoundError(requireAggregateMetadata(aggregateClass).type, id, streamId);
    }
  }

  /**
   * Finds the first revision at which a predicate on the aggregate holds, with the event that made it
   * true. Replays forwards once, so the predicate need not be monotonic.
   * @returns undefined when it never holds.
   */
  async bisect<T extends AggregateRoot>(
    aggregateClass: AggregateClass<T>,
    id: string,
    predicate: (aggregate: T, state: Record<string, unknown>) => boolean,
  ): Promise<HistoryEntry<T> | undefined> {
    for await (const entry of this.history(aggregateClass, id)) {
      if (predicate(entry.aggregate, entry.state)) return entry;
    }
    return undefined;
  }
}

/** Why a stream that exists gave no state: nothing by the requested time, or only unknown events. */
function missBefore(streamId: string, options: LoadOptions, seen: number): { reason: string; hint: string } {
  const later = 'Pick a later time, or leave it out for the current state.';
  if (options.at) {
    return {
      reason: `as recorded at ${options.at.toISOString()}: its first event was recorded later (stream "${streamId}")`,
      hint: later,
    };
  }
  if (options.occurredAt) {
    return {
      reason:
        `as of business time ${options.occurredAt.toISOString()}: none of its ${seen} events occurred at or ` +
        `before it (stream "${streamId}")`,
      hint: later,
    };
  }
  return {
    reason: `(stream "${streamId}" holds only events of types this application does not know)`,
    hint: 'Register the event classes of this aggregate.',
  };
}

function hasTarget(options: LoadOptions): boolean {
  return options.revision !== undefined || options.at !== undefined || options.occurredAt !== undefined;
}

function checkLoadOptions(options: LoadOptions): void {
  const given = (['revision', 'at', 'occurredAt'] as const).filter((k) => options[k] !== undefined);
  const violations = [];
  if (given.length > 1) {
    violations.push({
      path: given.join(','),
      constraints: { oneOf: `give one of revision, at or occurredAt, not ${given.join(' and ')}` },
    });
  }
  if (options.revision !== undefined && BigInt(options.revision) < 0n) {
    violations.push({
      path: 'revision',
      value: options.revision,
      constraints: { min: 'revision must be 0 or more' },
    });
  }
  for (const key of ['at', 'occurredAt'] as const) {
    const value = options[key];
    if (value !== undefined && (!(value instanceof Date) || Number.isNaN(value.getTime()))) {
      violations.push({ path: key, value, constraints: { isDate: `${key} must be a valid Date` } });
    }
  }
  if (violations.length) throw new ValidationError('load options', violations);
}

function checkId(aggregateClass: AggregateClass, id: string): void {
  if (typeof id !== 'string' || id.length === 0) {
    throw new ValidationError(`${aggregateClass.name} id`, [
      { path: 'id', value: id, constraints: { required: 'an aggregate id must be a non-empty string' } },
    ]);
  }
}

/** An error after which the store may answer again (it was unreachable): a retry may get an answer. */
function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === 'STORE_UNAVAILABLE';
}
