import type { ExpectedRevision } from '../eventStore/eventStore';
import { serializePosition, type Position } from '../eventStore/position';
import { RewindError } from './rewindError';

function describeRevision(revision: ExpectedRevision | 'no_stream'): string {
  return typeof revision === 'bigint' ? `revision ${revision}` : `"${revision}"`;
}

/**
 * An append's expected revision did not match the stream. Every store throws exactly this, carrying
 * the stream, what was expected and what the stream actually was at. The CommandBus retries it for
 * `update` and `upsert` handlers (and handler classes), never for `create` handlers: there it means the
 * aggregate already exists, and its `hint` says so.
 */
export class ConcurrencyError extends RewindError {
  readonly code = 'CONCURRENCY' as const;

  constructor(
    readonly streamId: string,
    readonly expectedRevision: ExpectedRevision,
    readonly actualRevision: bigint | 'no_stream',
    options?: { cause?: unknown; hint?: string },
  ) {
    super(
      `Stream "${streamId}" was expected at ${describeRevision(expectedRevision)} but is at ` +
        `${describeRevision(actualRevision)}. ` +
        (options?.hint ??
          'Another writer changed it first: reload the aggregate and retry the command (the CommandBus ' +
            'retries update and upsert commands up to maxRetries times), or append with expectedRevision ' +
            '"any" if ordering does not matter.'),
      options,
    );
  }
}

/** One field that failed validation, with each failed constraint and its message. */
export interface FieldViolation {
  /** Dotted path of the field, e.g. `items.0.quantity`. */
  readonly path: string;
  /** Constraint name → human message, e.g. `{ min: 'quantity must not be less than 1' }`. */
  readonly constraints: Readonly<Record<string, string>>;
  /** The rejected value (omitted when the field is missing). */
  readonly value?: unknown;
}

/** Input (a command, an event, a stream name...) was rejected before anything was written. */
export class ValidationError extends RewindError {
  readonly code = 'VALIDATION' as const;

  constructor(
    /** What was validated, e.g. `command PlaceOrder` or `stream name`. */
    readonly target: string,
    readonly violations: readonly FieldViolation[],
    options?: { cause?: unknown; hint?: string },
  ) {
    super(
      `Invalid ${target}: ` +
        violations
          .map((v) => `${v.path || '(root)'}: ${Object.values(v.constraints).join('; ')}`)
          .join(' | ') +
        (options?.hint ? `. ${options.hint}` : '. Fix the listed fields and send it again.'),
      options,
    );
  }
}

/** An aggregate was loaded that has no events, or none at the requested revision or time. */
export class AggregateNotFoundError extends RewindError {
  readonly code = 'AGGREGATE_NOT_FOUND' as const;

  /**
   * @param options.reason what was missing, completing "No order with id "7" …" (default: the stream
   * has no events); `hint` says what to do instead.
   */
  constructor(
    readonly aggregateType: string,
    readonly aggregateId: string,
    readonly streamId: string,
    options?: { cause?: unknown; hint?: string; reason?: string },
  ) {
    super(
      `No ${aggregateType} with id "${aggregateId}" ${options?.reason ?? `(stream "${streamId}" has no events)`}. ` +
        (options?.hint ??
          'Check the id, or create it first with a command handler declared { mode: "create" }.'),
      options,
    );
  }
}

/** A stream that was read does not exist. */
export class StreamNotFoundError extends RewindError {
  readonly code = 'STREAM_NOT_FOUND' as const;

  constructor(
    readonly streamId: string,
    options?: { cause?: unknown },
  ) {
    super(`Stream "${streamId}" does not exist. Check the stream name (<category>-<id>).`, options);
  }
}

/**
 * A stream was deleted for good (EventStoreDB's hard delete, a "tombstone"): it can never be read or
 * written again, under any expected revision. (A soft-deleted stream reads as not found and can be
 * written again: see `StreamNotFoundError`.)
 */
export class StreamDeletedError extends RewindError {
  readonly code = 'STREAM_DELETED' as const;

  constructor(
    readonly streamId: string,
    options?: { cause?: unknown; operation?: string },
  ) {
    super(
      `Stream "${streamId}" was deleted permanently (tombstoned)${options?.operation ? `, so ${options.operation} is refused` : ''}: ` +
        'it can never be read or written again. Use another stream id (a new aggregate id).',
      options,
    );
  }
}

/**
 * An append may or may not have been written: the store took it, and then the answer was lost (the
 * connection dropped, the server's commit timed out). Retrying the same append (the same event ids and
 * the same expected revision) is safe on every Rewind store: if the first attempt got through, the
 * retry writes nothing and succeeds. `Repository.save` retries it itself; the CommandBus passes it on
 * once those retries are spent: run the same command again with the same `commandId`, and what was
 * already written is recognised (the result says `alreadyApplied`).
 */
export class AppendOutcomeUnknownError extends RewindError {
  readonly code = 'APPEND_OUTCOME_UNKNOWN' as const;

  constructor(
    readonly streamId: string,
    readonly expectedRevision: ExpectedRevision,
    /** The ids of the events of the append, which a retry must reuse. */
    readonly eventIds: readonly string[],
    reason: string,
    options?: { cause?: unknown; hint?: string },
  ) {
    super(
      `The append of ${eventIds.length} event(s) to "${streamId}" (expected ${describeRevision(expectedRevision)}) ` +
        `may or may not have been written: ${reason}. ` +
        (options?.hint ??
          'Retry it with the same event ids and the same expected revision (it then writes nothing if the first ' +
            'attempt got through); through the CommandBus, run the same command again with the same commandId.'),
      options,
    );
  }
}

/** A command, event or query has no handler where one is required. */
export class HandlerNotFoundError extends RewindError {
  readonly code = 'HANDLER_NOT_FOUND' as const;
}

/** Wiring or declarations are wrong: found at start-up, before anything runs. */
export class ConfigurationError extends RewindError {
  readonly code = 'CONFIGURATION' as const;
}

/** A projection failed, or a projection operation was refused. */
export class ProjectionError extends RewindError {
  readonly code = 'PROJECTION' as const;

  constructor(
    readonly projection: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A stored event could not be turned back into its class (unknown type, missing upcaster, bad payload)
 * or, when `position` is set, could not even be read: its stored data or metadata is not JSON. A store
 * that meets such a row delivers the events before it, then throws this; a read that starts after
 * `position` goes on past it, so one bad event never hides the rest of the log.
 */
export class EventDecodingError extends RewindError {
  readonly code = 'EVENT_DECODING' as const;
  /** Where the event sits in the log, when the store itself could not decode it. */
  readonly position: Position | undefined;
  /** The event's id, when known. */
  readonly eventId: string | undefined;

  constructor(
    readonly streamId: string,
    readonly revision: bigint,
    readonly eventType: string,
    reason: string,
    options?: { cause?: unknown; position?: Position; eventId?: string },
  ) {
    super(
      options?.position
        ? `The event at position ${serializePosition(options.position)} (${eventType} at ${streamId}@${revision}) cannot be decoded: ${reason}`
        : `Cannot decode event "${eventType}" at ${streamId}@${revision}: ${reason}`,
      options,
    );
    this.position = options?.position;
    this.eventId = options?.eventId;
  }
}

/** The store could not be reached or opened. */
export class StoreUnavailableError extends RewindError {
  readonly code = 'STORE_UNAVAILABLE' as const;
}

/** The store failed in a way not covered by a more precise error; `cause` holds the original. */
export class StoreError extends RewindError {
  readonly code = 'STORE' as const;
}

/**
 * Base for business-rule violations raised by aggregates (an invariant would break). Extend it:
 * `class OrderAlreadyPaid extends DomainError {}`. The CommandBus never retries these.
 */
export class DomainError extends RewindError {
  readonly code = 'DOMAIN' as const;
}
