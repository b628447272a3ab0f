import { ProjectionError, type Position, type RecordedEvent } from '@rewind/core';
import type { PoolClient } from 'pg';

/**
 * What an inline projection's applier gets in a transaction that holds the projection's lock: the
 * transaction's client, and reads of the log that see every committed event (no visibility horizon is
 * needed: every transaction that writes events of the projection's types takes the same lock first,
 * so they got their ids, and committed, one after another) and the events this transaction wrote.
 */
export interface InlineSession {
  readonly client: PoolClient;
  /** The id of the append transaction (its events' `position.commit`); undefined in a catch-up. */
  readonly ownTransaction: bigint | undefined;
  /** Events of `types` after `after` (from the start when undefined), in log order, at most `limit`. */
  read(after: Position | undefined, types: readonly string[], limit: number): Promise<RecordedEvent[]>;
}

/**
 * One inline projection as the event store sees it (the read-model store builds it; see
 * `PostgresReadModelStore.attachInline`).
 */
export interface InlineApplier {
  readonly name: string;
  readonly eventTypes: readonly string[];
  /**
   * Applies, in the session's transaction, every event of its types its read model lacks (an append's
   * own events included) and moves its checkpoint; writes nothing that is not part of that transaction.
   * @throws InlineRejectedError when a handler failed on an event of the append's own transaction.
   * @throws InlineBacklogError when a handler failed on an event appended earlier by a process that
   * does not run the projection: the store rolls back, calls {@link catchUp}, and writes the batch again.
   */
  apply(session: InlineSession): Promise<void>;
  /** Applies what the read model lacks in transactions of its own, parking events whose handler fails. */
  catchUp(): Promise<void>;
}

/**
 * An inline projection's handler failed on an event of this append: nothing of the append was written
 * (the events, the read model and its checkpoint roll back together), and the other appends of the
 * same group commit are written without it.
 */
export class InlineRejectedError extends ProjectionError {
  constructor(
    projection: string,
    readonly event: RecordedEvent,
    cause: unknown,
  ) {
    super(
      projection,
      `Nothing was appended to "${event.streamId}": the inline projection "${projection}" failed on its event ` +
        `${event.type} at revision ${event.revision} (${describe(cause)}). An inline projection commits with the ` +
        'append, so its failure fails the append. Fix the handler, or make the projection asynchronous ' +
        '(remove `inline: true`) to have failing events parked as dead letters instead.',
      { cause },
    );
  }
}

/** An inline projection failed on an earlier event that it had not applied yet; see {@link InlineApplier.apply}. */
export class InlineBacklogError extends Error {
  constructor(
    readonly projection: string,
    readonly event: RecordedEvent,
    override readonly cause: unknown,
  ) {
    super(`inline projection "${projection}" failed on ${event.type} at ${event.streamId}@${event.revision}`);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
