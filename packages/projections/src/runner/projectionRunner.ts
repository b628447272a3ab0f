import { randomUUID } from 'node:crypto';
import {
  comparePositions,
  isAfter,
  ProjectionError,
  serializePosition,
  type EventEnvelope,
  type EventMetadata,
  type EventRegistry,
  type EventStore,
  type Position,
  type RecordedEvent,
  type SubscriptionMessage,
} from '@rewind/core';
import type { ProjectionContext, ReactorContext } from '../decorators/projection.decorator';
import { LockLostError } from '../readModel/readModelErrors';
import type { ReadModelStore, ReadModelTransaction } from '../readModel/readModelStore';
import type { ProcessorDefinition } from './processorRegistry';
import { SYSTEM_NAMESPACE, defaultNamespace, lockName } from './namespaces';

/** Where a runner is. */
export type ProjectionState =
  'starting' | 'catching-up' | 'running' | 'paused' | 'standby' | 'rebuilding' | 'failed' | 'stopped';

/** A runner's view of itself. */
export interface RunnerStatus {
  readonly name: string;
  readonly kind: 'projection' | 'reactor';
  readonly version: number;
  readonly state: ProjectionState;
  readonly namespace: string | undefined;
  readonly checkpoint: Position | undefined;
  readonly processed: number;
  /** Events applied per second, over the last few seconds. */
  readonly eventsPerSecond: number;
  readonly lastError: string | undefined;
  readonly owner: string;
}

/** Options for {@link ProjectionRunner}. */
export interface ProjectionRunnerOptions {
  readonly definition: ProcessorDefinition;
  readonly eventStore: EventStore;
  readonly events: EventRegistry;
  readonly store: ReadModelStore;
  /** Identifies this process in locks (default: a random id). */
  readonly owner?: string;
  /** Lease of the per-projection lock (default 10 s); a standby takes over this long after a crash. */
  readonly lockTtlMs?: number;
  /** How long a live batch waits for more events before committing (default 5 ms). */
  readonly flushDelayMs?: number;
  /**
   * Least time between two commits that only move the checkpoint past events this processor does not
   * handle (default 1000 ms), so sparse processors do not write on every append to the log. Batches
   * with events commit at once, with the newest checkpoint.
   */
  readonly checkpointIntervalMs?: number;
  /** Called when the state changes. */
  readonly onStateChange?: (status: RunnerStatus) => void;
}

/** A handler threw: carries the index of the failing event in its batch and the original error. */
class HandlerFailure extends Error {
  constructor(
    readonly index: number,
    readonly original: unknown,
  ) {
    super('handler failed');
  }
}

class NamespaceSwitched extends Error {}

const IDLE = Symbol('idle');

/**
 * Runs one projector or reactor: holds its lock (a lease in the read-model store, renewed while it
 * runs), subscribes to the log from its checkpoint with a filter of the handled event types, and
 * applies events in batches — the handlers' writes and the new checkpoint in ONE transaction, which
 * also re-checks the lock, so nothing is lost or applied twice across crashes and takeovers.
 */
export class ProjectionRunner {
  readonly owner: string;
  private state: ProjectionState = 'stopped';
  private namespace: string | undefined;
  private checkpoint: Position | undefined;
  private processed = 0;
  private lastError: string | undefined;
  private readonly rate: Array<[number, number]> = [];
  private stopping = false;
  private paused = false;
  private loop: Promise<void> | undefined;
  private closeSubscription: (() => Promise<void>) | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  /** Keeps the process alive while the runner is started (every other timer is unref'd). */
  private keepAlive: NodeJS.Timeout | undefined;
  private caughtUpWaiters: Array<() => void> = [];
  /** The served namespace of an older version this runner is building a replacement for. */
  private replacing: string | undefined;
  private isCaughtUp = false;
  private readonly lockTtlMs: number;
  private readonly flushDelayMs: number;
  private readonly checkpointIntervalMs: number;
  private lastCommitAt = 0;
  /** Commits a checkpoint held back by `checkpointIntervalMs` now. */
  private flushSoon: (() => void) | undefined;
  private readonly definition: ProcessorDefinition;

  constructor(private readonly options: ProjectionRunnerOptions) {
    this.definition = options.definition;
    this.owner = options.owner ?? `${process.pid}-${randomUUID().slice(0, 8)}`;
    this.lockTtlMs = options.lockTtlMs ?? 10_000;
    this.flushDelayMs = options.flushDelayMs ?? 5;
    this.checkpointIntervalMs = options.checkpointIntervalMs ?? 1000;
  }

  /** The projection's or reactor's name. */
  get name(): string {
    return this.definition.meta.name;
  }

  /** Starts running in the background (waiting as standby while another process holds the lock). */
  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.setState('starting');
    this.keepAlive = setInterval(() => undefined, 1 << 30);
    this.loop = this.run().finally(() => {
      this.loop = undefined;
      clearInterval(this.keepAlive);
    });
  }

  /** Stops after the current batch and releases the lock. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.closeSubscription?.();
    this.wake?.();
    await this.loop;
    if (this.state !== 'failed') this.setState('stopped');
  }

  /** Stops applying events (after the current batch) until {@link resume}; keeps the lock. */
  async pause(): Promise<void> {
    this.paused = true;
    await this.closeSubscription?.();
  }

  /** Continues from the checkpoint after {@link pause}. */
  resume(): void {
    this.paused = false;
    this.wake?.();
  }

  /** Resolves once the runner has caught up with the head of the log (again, after new appends). */
  async caughtUp(timeoutMs = 30_000): Promise<void> {
    if (this.isCaughtUp) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new ProjectionError(
              this.name,
              `Projection "${this.name}" did not catch up within ${timeoutMs} ms (state: ${this.state}${this.lastError ? `, last error: ${this.lastError}` : ''}).`,
            ),
          ),
        timeoutMs,
      );
      this.caughtUpWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Resolves once every event now in the log (up to the head) is applied. */
  async waitForHead(timeoutMs = 30_000): Promise<void> {
    const head = await this.options.eventStore.headPosition();
    const deadline = Date.now() + timeoutMs;
    while (head && (!this.checkpoint || comparePositions(this.checkpoint, head) < 0)) {
      this.flushSoon?.();
      if (this.state === 'failed')
        throw new ProjectionError(this.name, `Projection "${this.name}" failed: ${this.lastError}`);
      if (Date.now() > deadline) {
        throw new ProjectionError(
          this.name,
          `Projection "${this.name}" did not reach ${serializePosition(head)} within ${timeoutMs} ms (at ${this.checkpoint ? serializePosition(this.checkpoint) : 'start'}, state ${this.state}).`,
        );
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** This runner's state, checkpoint, throughput and last error, as this process sees them. */
  status(): RunnerStatus {
    const now = Date.now();
    const recent = this.rate.filter(([t]) => now - t < 5000);
    const events = recent.reduce((n, [, c]) => n + c, 0);
    const span = recent.length ? Math.max(1, now - recent[0]![0]) / 1000 : 1;
    return {
      name: this.name,
      kind: this.definition.meta.kind,
      version: this.definition.meta.version,
      state: this.state,
      namespace: this.namespace,
      checkpoint: this.checkpoint,
      processed: this.processed,
      eventsPerSecond: recent.length ? events / span : 0,
      lastError: this.lastError,
      owner: this.owner,
    };
  }

  private wake: (() => void) | undefined;

  private setState(state: ProjectionState): void {
    if (this.state === state) return;
    this.state = state;
    this.options.onStateChange?.(this.status());
  }

  private async run(): Promise<void> {
    const { store } = this.options;
    const lock = lockName(this.name);
    while (!this.stopping) {
      if (this.paused) {
        this.setState('paused');
        if (this.stopping) break;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      if (!(await store.tryAcquireLock(lock, this.owner, this.lockTtlMs))) {
        this.setState('standby');
        await this.sleep(Math.max(50, this.lockTtlMs / 4));
        continue;
      }
      this.renewTimer = setInterval(
        () => {
          store.tryAcquireLock(lock, this.owner, this.lockTtlMs).catch(() => undefined);
        },
        Math.max(20, this.lockTtlMs / 3),
      );
      this.renewTimer.unref();
      try {
        await this.consume(lock);
      } catch (error) {
        if (error instanceof LockLostError || error instanceof NamespaceSwitched) continue;
        if (this.state === 'failed') break;
        this.lastError = describe(error);
        await this.sleep(500);
      } finally {
        clearInterval(this.renewTimer);
      }
    }
    await store.releaseLock(lock, this.owner).catch(() => undefined);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
    });
  }

  /** The namespace this runner writes to: the served one, or the default for its version. */
  /**
   * The namespace this runner writes to: the served one, or the default for its version. When the
   * served namespace belongs to another version of the projection (the code's version was bumped),
   * the runner builds the new version into its own namespace from the start of the log while readers
   * keep the old one, and swaps when it has caught up (see {@link completeVersionSwap}).
   */
  private async resolveNamespace(): Promise<string> {
    const { meta } = this.definition;
    const fallback = defaultNamespace(meta.kind, meta.name, meta.version);
    const resolved = await this.options.store.transaction(SYSTEM_NAMESPACE, async (tx) => {
      const served = await tx.getServed(meta.name);
      if (!served) {
        await tx.setServed(meta.name, fallback);
        return { namespace: fallback, replacing: undefined };
      }
      const version = /@v(\d+)/.exec(served)?.[1];
      if (meta.kind === 'projection' && version !== undefined && Number(version) !== meta.version) {
        return { namespace: fallback, replacing: served };
      }
      return { namespace: served, replacing: undefined };
    });
    this.replacing = resolved.replacing;
    return resolved.namespace;
  }

  /** Serves the freshly built version and drops the old one, once the new version has caught up. */
  private async completeVersionSwap(namespace: string, lock: string): Promise<void> {
    const old = this.replacing;
    if (!old) return;
    const { store } = this.options;
    await store.transaction(namespace, async (tx) => {
      await tx.assertLock(lock, this.owner);
      if ((await tx.getServed(this.name)) === old) await tx.setServed(this.name, namespace);
    });
    this.replacing = undefined;
    await store.dropNamespace(old).catch(() => undefined);
  }

  private async consume(lock: string): Promise<void> {
    const { store, eventStore, definition } = { ...this.options, definition: this.definition };
    const namespace = await this.resolveNamespace();
    this.namespace = namespace;
    let checkpoint = await store.transaction(namespace, (tx) => tx.getCheckpoint());
    if (!checkpoint && definition.meta.kind === 'reactor' && definition.meta.startFrom !== 'beginning') {
      // A new reactor starts at the head: history is not re-acted upon.
      const head = await eventStore.headPosition();
      if (head) {
        await store.transaction(namespace, async (tx) => {
          await tx.assertLock(lock, this.owner);
          await tx.setCheckpoint(head);
        });
        checkpoint = head;
      }
    }
    this.checkpoint = checkpoint;
    this.isCaughtUp = false;
    this.setState('catching-up');
    checkpoint = await this.catchUpInPages(namespace, lock, checkpoint);
    if (this.stopping || this.paused) return;
    const subscription = eventStore.subscribeToAll({
      ...(checkpoint ? { after: checkpoint } : {}),
      filter: { eventTypes: definition.eventTypes },
    });
    this.closeSubscription = () => subscription.close();
    const iterator = subscription[Symbol.asyncIterator]();
    const batchSize = definition.meta.kind === 'reactor' ? 1 : (definition.meta.batchSize ?? 500);
    let batch: RecordedEvent[] = [];
    let pendingCheckpoint: Position | undefined;
    // One timer for a checkpoint-only commit that is not due yet (not one per message); someone
    // waiting for the head (waitForHead) ends the wait at once.
    let idle: { at: number; promise: Promise<typeof IDLE>; wake: () => void } | undefined;
    const idleUntil = (at: number) => {
      if (idle?.at !== at) {
        idle?.wake();
        let wake: () => void = () => undefined;
        const promise = new Promise<typeof IDLE>((resolve) => {
          const timer = setTimeout(() => resolve(IDLE), Math.max(0, at - Date.now()));
          wake = () => {
            clearTimeout(timer);
            resolve(IDLE);
          };
        });
        idle = { at, promise, wake };
        this.flushSoon = wake;
      }
      return idle.promise;
    };
    const flush = async () => {
      if (batch.length === 0 && !pendingCheckpoint) return;
      const events = batch;
      const after = pendingCheckpoint;
      batch = [];
      pendingCheckpoint = undefined;
      await this.applyBatch(namespace, lock, events, after);
    };
    try {
      let next: Promise<IteratorResult<SubscriptionMessage>> | undefined = iterator.next();
      while (!this.stopping && !this.paused) {
        let result: IteratorResult<SubscriptionMessage>;
        if (this.isCaughtUp && (batch.length > 0 || pendingCheckpoint)) {
          const winner = await Promise.race([
            next!,
            batch.length > 0 ||
            this.lastCommitAt + this.checkpointIntervalMs <= Date.now() + this.flushDelayMs
              ? delay(this.flushDelayMs)
              : idleUntil(this.lastCommitAt + this.checkpointIntervalMs),
          ]);
          if (winner === IDLE) {
            await flush();
            this.notifyCaughtUp();
            result = await next!;
          } else result = winner;
        } else result = await next!;
        if (result.done) break;
        const message = result.value;
        if (message.type === 'event') {
          batch.push(message.event);
          if (batch.length >= batchSize) await flush();
        } else if (message.type === 'checkpoint') {
          pendingCheckpoint = message.position;
          const due = Date.now() - this.lastCommitAt >= this.checkpointIntervalMs;
          if (!this.isCaughtUp && batch.length === 0 && due) await flush();
        } else {
          await flush();
          await this.completeVersionSwap(namespace, lock);
          this.isCaughtUp = true;
          this.setState('running');
          this.notifyCaughtUp();
        }
        next = iterator.next();
      }
      await flush();
    } finally {
      idle?.wake();
      this.flushSoon = undefined;
      this.closeSubscription = undefined;
      await subscription.close();
    }
  }

  /**
   * A long way behind, read the log a page at a time (one promise per page, and a read-ahead thread on
   * SQLite) up to the head, applying full batches with the same commit as live events; the
   * subscription then takes over for the last stretch and live events. Only stores with
   * `readAllPages` do this; for others the subscription catches up on its own.
   * @returns the checkpoint reached.
   */
  private async catchUpInPages(
    namespace: string,
    lock: string,
    from: Position | undefined,
  ): Promise<Position | undefined> {
    const { eventStore } = this.options;
    if (!eventStore.readAllPages) return from;
    const batchSize = this.definition.meta.kind === 'reactor' ? 1 : (this.definition.meta.batchSize ?? 500);
    let checkpoint = from;
    // Each pass reads to the head as it was when the pass began; stop when a pass found little.
    for (let pass = 0; pass < 10 && !this.stopping && !this.paused; pass++) {
      const head = await eventStore.headPosition();
      if (!head || !isAfter(head, checkpoint)) break;
      let batch: RecordedEvent[] = [];
      let found = 0;
      let complete = true;
      const pages = eventStore.readAllPages({
        ...(checkpoint ? { after: checkpoint } : {}),
        filter: { eventTypes: this.definition.eventTypes },
      });
      reading: for await (const page of pages) {
        for (let i = 0; i < page.length; i++) {
          const event = page[i]!;
          if (comparePositions(event.position, head) > 0) break reading;
          batch.push(event);
          found++;
          if (batch.length >= batchSize) {
            await this.applyBatch(namespace, lock, batch);
            checkpoint = this.checkpoint;
            batch = [];
            if (this.stopping || this.paused) {
              complete = false;
              break reading;
            }
          }
        }
      }
      // The whole pass was seen: the checkpoint moves to the head even past events not handled here.
      if (batch.length > 0 || complete)
        await this.applyBatch(namespace, lock, batch, complete ? head : undefined);
      checkpoint = this.checkpoint;
      if (!complete || found < batchSize) break;
    }
    return checkpoint;
  }

  private notifyCaughtUp(): void {
    if (!this.isCaughtUp) return;
    const waiters = this.caughtUpWaiters;
    this.caughtUpWaiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * Applies events in one transaction with the checkpoint. When a handler throws, the transaction
   * rolls back, the events before the failing one are applied on their own, and the failing one is
   * retried with backoff, then parked or stops the runner, as the processor's policy says.
   */
  private async applyBatch(
    namespace: string,
    lock: string,
    events: readonly RecordedEvent[],
    checkpointAfter?: Position,
  ): Promise<void> {
    const meta = this.definition.meta;
    try {
      await this.commit(namespace, lock, events, checkpointAfter);
      return;
    } catch (error) {
      if (!(error instanceof HandlerFailure)) throw error;
      const failed = error.index;
      if (failed > 0) await this.commit(namespace, lock, events.slice(0, failed));
      const poison = events[failed]!;
      const retries = meta.retries ?? 3;
      const backoff = meta.retryBackoffMs ?? 100;
      let lastError: unknown = error.original;
      let attempts = 1;
      for (; attempts <= retries; attempts++) {
        await new Promise((r) => setTimeout(r, backoff * 2 ** (attempts - 1)));
        try {
          await this.commit(namespace, lock, [poison]);
          lastError = undefined;
          break;
        } catch (retryError) {
          if (!(retryError instanceof HandlerFailure)) throw retryError;
          lastError = retryError.original;
        }
      }
      if (lastError !== undefined) {
        this.lastError = `${poison.type} at ${poison.streamId}@${poison.revision} (position ${serializePosition(poison.position)}): ${describe(lastError)}`;
        if ((meta.onError ?? 'park') === 'stop') {
          this.setState('failed');
          this.stopping = true;
          throw new ProjectionError(meta.name, `Projection "${meta.name}" stopped: ${this.lastError}`, {
            cause: lastError,
          });
        }
        await this.options.store.transaction(namespace, async (tx) => {
          await tx.assertLock(lock, this.owner);
          await tx.parkDeadLetter({
            projection: meta.name,
            eventId: poison.id,
            eventType: poison.type,
            streamId: poison.streamId,
            revision: poison.revision,
            position: poison.position,
            error: describe(lastError),
            attempts,
          });
          await tx.setCheckpoint(poison.position);
        });
        this.checkpoint = poison.position;
      }
      const rest = events.slice(failed + 1);
      if (rest.length > 0 || checkpointAfter) await this.applyBatch(namespace, lock, rest, checkpointAfter);
    }
  }

  private async commit(
    namespace: string,
    lock: string,
    events: readonly RecordedEvent[],
    checkpointAfter?: Position,
  ): Promise<void> {
    const { store } = this.options;
    let last = events.length ? events[events.length - 1]!.position : undefined;
    if (checkpointAfter && isAfter(checkpointAfter, last)) last = checkpointAfter;
    if (!last) return;
    const target = last;
    await store.transaction(namespace, async (tx) => {
      await tx.assertLock(lock, this.owner);
      const served = await tx.getServed(this.name);
      if (served !== namespace && served !== this.replacing && this.definition.meta.kind === 'projection') {
        // A rebuild swapped the served namespace: restart on the new one from its checkpoint.
        throw new NamespaceSwitched();
      }
      await applyEvents(this.definition, this.options.events, tx, events, false);
      await tx.setCheckpoint(target);
    });
    this.checkpoint = target;
    this.lastCommitAt = Date.now();
    if (events.length) {
      this.processed += events.length;
      this.rate.push([Date.now(), events.length]);
      if (this.rate.length > 200) this.rate.splice(0, 100);
    }
  }
}

/**
 * Applies decoded events through a processor's handlers inside a transaction (shared by the live
 * runner and rebuilds).
 * @throws HandlerFailure with the index of the failing event.
 */
export async function applyEvents(
  definition: ProcessorDefinition,
  registry: EventRegistry,
  tx: ReadModelTransaction,
  events: readonly RecordedEvent[],
  isReplay: boolean,
): Promise<void> {
  const { meta, handlers } = definition;
  const collection = ((name: string) => tx.collection(name)) as ProjectionContext['collection'];
  for (let i = 0; i < events.length; i++) {
    const recorded = events[i]!;
    const handler = handlers.get(recorded.type);
    if (!handler) continue;
    try {
      const envelope = registry.decode(recorded);
      if (!envelope) continue;
      const context: ProjectionContext | ReactorContext =
        meta.kind === 'projection'
          ? new LiveProjectionContext(meta.name, envelope, tx, collection, isReplay)
          : new LiveReactorContext(meta.name, envelope, `${meta.name}:${recorded.id}`);
      const result = handler(envelope.event, context);
      if (result instanceof Promise) await result;
    } catch (error) {
      throw new HandlerFailure(i, error);
    }
  }
}

export { HandlerFailure };

/** Handler context; `metadata` is built from the envelope only when a handler reads it. */
class LiveProjectionContext implements ProjectionContext {
  constructor(
    readonly projection: string,
    readonly envelope: EventEnvelope,
    readonly tx: ReadModelTransaction,
    readonly collection: ProjectionContext['collection'],
    readonly isReplay: boolean,
  ) {}

  get metadata(): EventMetadata {
    return this.envelope.metadata;
  }
}

class LiveReactorContext implements ReactorContext {
  readonly isReplay = false as const;

  constructor(
    readonly reactor: string,
    readonly envelope: EventEnvelope,
    readonly idempotencyKey: string,
  ) {}

  get metadata(): EventMetadata {
    return this.envelope.metadata;
  }
}

function delay(ms: number): Promise<typeof IDLE> {
  return new Promise((resolve) => setTimeout(() => resolve(IDLE), ms));
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
