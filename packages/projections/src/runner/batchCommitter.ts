import {
  EventDecodingError,
  isAfter,
  ProjectionError,
  serializePosition,
  tracingActive,
  type EventRegistry,
  type Position,
  type RecordedEvent,
} from '@rewind/core';
import type { DeadLetter, ReadModelStore, ReadModelTransaction } from '../readModel/readModelStore';
import { applyEvents, describeError, HandlerFailure, runReactor } from './applyEvents';
import type { UndecodableEvent } from './catchUp';
import { openTransactionWindow, type CatchUpWindow, type CommitWindow } from './commitWindow';
import type { EngineEmitter } from './engineEvents';
import type { Lease } from './lease';
import type { ProcessorDefinition } from './processorRegistry';
import { batchSpan, type ProjectionTelemetryOptions } from './projectionTelemetry';

/** A processor stopped on an event, as its `onError: 'stop'` policy says. */
export class ProcessorStoppedError extends ProjectionError {}

/** The served namespace changed under a runner (a rebuild swapped): it must restart on the new one. */
export class NamespaceSwitchedError extends ProjectionError {}

/** The event a dead letter stands for. */
type ParkedEvent = Pick<DeadLetter, 'eventId' | 'eventType' | 'streamId' | 'revision' | 'position'>;

/** Options for {@link BatchCommitter}. */
export interface BatchCommitterOptions {
  readonly definition: ProcessorDefinition;
  readonly events: EventRegistry;
  readonly store: ReadModelStore;
  readonly lease: Lease;
  /** The namespace written to. */
  readonly namespace: string;
  /** The served namespace of an older version this build will replace (a version bump), if any. */
  readonly replacing: string | undefined;
  readonly emitter: EngineEmitter;
  readonly telemetry: ProjectionTelemetryOptions;
  /** After each commit: for the runner's checkpoint, counters and waiters. */
  committed(count: number, checkpoint: Position): void;
  /** An event was parked, or the processor stopped on it: the runner's last error. */
  failed(message: string): void;
}

/**
 * How a live runner commits: every commit is fenced (the lease is asserted inside the transaction, and
 * the served namespace re-checked), a projector's writes and the checkpoint commit together, a
 * reactor's side effects run before and outside the transaction with only the checkpoint in it. A
 * handler that throws splits the batch: the events before it commit, it is retried with backoff, then
 * parked as a dead letter or the processor stops, per its `onError`; the rest goes on.
 */
export class BatchCommitter {
  constructor(private readonly options: BatchCommitterOptions) {}

  /** Commits `events` and moves the checkpoint to `checkpoint` (at or after the last event). */
  readonly commit = async (events: readonly RecordedEvent[], checkpoint: Position): Promise<void> => {
    let rest = events;
    for (;;) {
      try {
        await this.attempt(rest, checkpoint);
        return;
      } catch (error) {
        if (!(error instanceof HandlerFailure)) throw error;
        if (error.index > 0) await this.attempt(rest.slice(0, error.index), rest[error.index - 1]!.position);
        const poison = rest[error.index]!;
        await this.retryOrPark(poison, error.original);
        rest = rest.slice(error.index + 1);
        if (rest.length === 0) {
          if (isAfter(checkpoint, poison.position)) await this.attempt([], checkpoint);
          return;
        }
      }
    }
  };

  /** An event the store cannot decode: parked (or the processor stops) like a handler that keeps failing. */
  readonly undecodable = async (event: UndecodableEvent): Promise<void> => {
    await this.park(
      {
        eventId: event.eventId ?? '',
        eventType: event.eventType,
        streamId: event.streamId,
        revision: event.revision,
        position: event.position,
      },
      event,
      1,
    );
  };

  /**
   * A projector's catch-up window (see `CatchUpOptions.window`): fenced and checked like {@link commit}
   * when it opens (and the store re-checks the lease at commit), batches applied into it, one commit.
   * Reactors have none: their side effects run outside any transaction, event by event.
   */
  window(ms: number): CatchUpWindow | undefined {
    const { definition, store, lease, namespace, telemetry } = this.options;
    if (definition.meta.kind === 'reactor' || ms <= 0) return undefined;
    const traced = () => telemetry.enabled !== false && tracingActive();
    return {
      ms,
      open: async (): Promise<CommitWindow> => {
        lease.check();
        const started = Date.now();
        let count = 0;
        const window = await openTransactionWindow(
          store,
          namespace,
          (tx) => this.begin(tx),
          (tx, events) => {
            count += events.length;
            const apply = () => applyEvents(definition, this.options.events, tx, events, false);
            return traced()
              ? batchSpan(definition.meta, namespace, events, false, telemetry, apply)
              : apply();
          },
        );
        return {
          ...window,
          commit: async (checkpoint) => {
            await window.commit(checkpoint);
            this.committedBatch(count, checkpoint, started);
          },
        };
      },
    };
  }

  private attempt(events: readonly RecordedEvent[], checkpoint: Position): Promise<void> {
    const { definition, telemetry, namespace } = this.options;
    if (telemetry.enabled === false || events.length === 0 || !tracingActive()) {
      return this.attemptUntraced(events, checkpoint);
    }
    return batchSpan(definition.meta, namespace, events, false, telemetry, () =>
      this.attemptUntraced(events, checkpoint),
    );
  }

  private async attemptUntraced(events: readonly RecordedEvent[], checkpoint: Position): Promise<void> {
    const { definition, store, lease, namespace } = this.options;
    const started = Date.now();
    lease.check();
    if (definition.meta.kind === 'reactor') {
      await runReactor(
        definition,
        this.options.events,
        events,
        this.options.telemetry.enabled !== false && tracingActive(),
      );
      await store.transaction(namespace, async (tx) => {
        await tx.assertLock(lease.lock, lease.owner);
        await tx.setCheckpoint(checkpoint);
      });
    } else {
      await store.transaction(namespace, async (tx) => {
        await this.begin(tx);
        await applyEvents(definition, this.options.events, tx, events, false);
        await tx.setCheckpoint(checkpoint);
      });
    }
    this.committedBatch(events.length, checkpoint, started);
  }

  /** A projector's transaction begins: fenced, and still on the served namespace. */
  private async begin(tx: ReadModelTransaction): Promise<void> {
    const { definition, lease, namespace, replacing } = this.options;
    await tx.assertLock(lease.lock, lease.owner);
    const served = await tx.getServed(definition.meta.name);
    if (served !== namespace && served !== replacing) {
      throw new NamespaceSwitchedError(
        definition.meta.name,
        `The served namespace of "${definition.meta.name}" is now "${served}" (a rebuild swapped it); the runner continues there.`,
      );
    }
  }

  private committedBatch(count: number, checkpoint: Position, started: number): void {
    this.options.committed(count, checkpoint);
    if (this.options.emitter.has('batch-committed')) {
      this.options.emitter.emit('batch-committed', {
        projection: this.options.definition.meta.name,
        namespace: this.options.namespace,
        count,
        checkpoint,
        durationMs: Date.now() - started,
        replay: false,
      });
    }
  }

  private async retryOrPark(poison: RecordedEvent, firstError: unknown): Promise<void> {
    const { meta } = this.options.definition;
    const retries = meta.retries ?? 3;
    const backoff = meta.retryBackoffMs ?? 100;
    let lastError = firstError;
    let attempts = 1;
    for (; attempts <= retries; attempts++) {
      await new Promise((resolve) => setTimeout(resolve, backoff * 2 ** (attempts - 1)));
      try {
        await this.attempt([poison], poison.position);
        return;
      } catch (error) {
        if (!(error instanceof HandlerFailure)) throw error;
        lastError = error.original;
      }
    }
    await this.park(
      {
        eventId: poison.id,
        eventType: poison.type,
        streamId: poison.streamId,
        revision: poison.revision,
        position: poison.position,
      },
      lastError,
      attempts,
    );
  }

  private async park(event: ParkedEvent, error: unknown, attempts: number): Promise<void> {
    const { definition, store, lease, namespace } = this.options;
    const { meta } = definition;
    const where = `${event.eventType} at ${event.streamId}@${event.revision} (position ${serializePosition(event.position)})`;
    const message =
      error instanceof EventDecodingError && error.position
        ? error.message
        : `${where}: ${describeError(error)}`;
    this.options.failed(message);
    if ((meta.onError ?? 'park') === 'stop') {
      throw new ProcessorStoppedError(meta.name, `Projection "${meta.name}" stopped: ${message}`, {
        cause: error,
      });
    }
    const letter: Omit<DeadLetter, 'id' | 'namespace' | 'parkedAt'> = {
      projection: meta.name,
      ...event,
      error: describeError(error),
      attempts,
    };
    await store.transaction(namespace, async (tx) => {
      await tx.assertLock(lease.lock, lease.owner);
      await tx.parkDeadLetter(letter);
      await tx.setCheckpoint(event.position);
    });
    this.options.committed(0, event.position);
    this.options.emitter.emit('dead-letter-parked', { projection: meta.name, letter });
  }
}
