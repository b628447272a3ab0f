import { randomUUID } from 'node:crypto';
import {
  comparePositions,
  ConfigurationError,
  ProjectionError,
  serializePosition,
  type EventRegistry,
  type EventStore,
  type Position,
  type Subscription,
} from '@rewind/core';
import { LockLostError, TransactionConflictError } from '../readModel/readModelErrors';
import type { ReadModelStore } from '../readModel/readModelStore';
import { describeError } from './applyEvents';
import { BatchCommitter, NamespaceSwitchedError, ProcessorStoppedError } from './batchCommitter';
import type { ProjectionTelemetryOptions } from './projectionTelemetry';
import type { Batcher } from './batcher';
import { catchUpToHead } from './catchUp';
import { followLog } from './followLog';
import { EngineEmitter } from './engineEvents';
import { DEFAULT_CATCH_UP_COMMIT_MS } from './commitWindow';
import { Lease, type LeaseLossReason } from './lease';
import { lockName } from './namespaces';
import type { ProcessorDefinition } from './processorRegistry';
import type { ProjectionState } from './projectionState';
import { resolveNamespace, serveNewVersion } from './servedNamespace';
import { Waiters } from './waiters';

export type { ProjectionState } from './projectionState';

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
  /**
   * While catching up (far behind the head, or a rebuild), batches are applied into one transaction for
   * up to this long before it commits (default 250 ms): a document that many events change is written
   * once per commit instead of once per batch. 0 commits every batch. Live events are not held: they
   * commit per batch as they arrive (`batchSize`, `flushDelayMs`).
   */
  readonly catchUpCommitMs?: number;
  /** Called when the state changes. */
  readonly onStateChange?: (status: RunnerStatus) => void;
  /** Where the runner reports what it does (the engine passes its own; see `ProjectionEngine.on`). */
  readonly emitter?: EngineEmitter;
  /**
   * Spans: one `rewind.projection.batch` per committed batch (linked to the spans that appended its
   * events), and for reactors one `rewind.reactor.handle` per event. On by default.
   */
  readonly telemetry?: ProjectionTelemetryOptions;
}

/** Pause between retries after an error the runner can recover from (the store was unreachable...). */
const RETRY_MS = 500;

/**
 * Runs one projector or reactor. It holds the projection's lease (renewed while it runs, and while it
 * is paused); catches up a page at a time to the head with the same loop a rebuild uses
 * (`catchUpToHead`); then follows a subscription filtered to the handled event types, batching
 * what arrives (`Batcher`). Every commit goes through one path (`BatchCommitter`): fenced
 * by the lease inside the transaction, writes and checkpoint together, so nothing is lost or applied
 * twice across crashes and takeovers.
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
  private isCaughtUp = false;
  private loop: Promise<void> | undefined;
  /** Keeps the process alive while the runner is started (every other timer is unref'd). */
  private keepAlive: NodeJS.Timeout | undefined;
  private readonly lease: Lease;
  private leaseLoss: LeaseLossReason | undefined;
  private subscription: Subscription | undefined;
  private batcher: Batcher | undefined;
  private readonly sleepers = new Set<() => void>();
  private readonly waiters = new Waiters();
  /** How many callers wait for the head: checkpoint-only commits are then not held back. */
  private headWaits = 0;
  private readonly flushDelayMs: number;
  private readonly checkpointIntervalMs: number;
  private readonly catchUpCommitMs: number;
  private readonly definition: ProcessorDefinition;
  private readonly emitter: EngineEmitter;

  constructor(private readonly options: ProjectionRunnerOptions) {
    this.definition = options.definition;
    this.owner = options.owner ?? `${process.pid}-${randomUUID().slice(0, 8)}`;
    this.flushDelayMs = options.flushDelayMs ?? 5;
    this.checkpointIntervalMs = options.checkpointIntervalMs ?? 1000;
    this.catchUpCommitMs = options.catchUpCommitMs ?? DEFAULT_CATCH_UP_COMMIT_MS;
    this.emitter = options.emitter ?? new EngineEmitter();
    this.lease = new Lease(
      options.store,
      lockName(this.name),
      this.owner,
      options.lockTtlMs ?? 10_000,
      (reason) => this.onLeaseLost(reason),
    );
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

  /** Stops after the batch in hand and releases the lock. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.interrupt();
    await this.loop;
    if (this.state !== 'failed') this.setState('stopped');
  }

  /**
   * Stops applying events (after the batch in hand, which it waits for) until {@link resume}. The
   * runner keeps its lease,
   * renewing it, so no standby takes over a paused projection; if this process dies while paused, a
   * standby takes over after one lease (and sees the pause flag too, when it was paused through the
   * engine).
   */
  async pause(timeoutMs = 30_000): Promise<void> {
    this.paused = true;
    await this.interrupt();
    // Resolves once the batch in hand is done and the runner rests (or is not the active one).
    await this.waiters.wait(
      () => !this.loop || ['paused', 'standby', 'stopped', 'failed'].includes(this.state),
      timeoutMs,
      () =>
        new ProjectionError(
          this.name,
          `Projection "${this.name}" did not pause within ${timeoutMs} ms (state: ${this.state}).`,
        ),
    );
  }

  /** Continues from the checkpoint after {@link pause}. */
  resume(): void {
    this.paused = false;
    this.wake();
  }

  /** Resolves once the runner has caught up with the head of the log (again, after new appends). */
  async caughtUp(timeoutMs = 30_000): Promise<void> {
    await this.waiters.wait(
      () => this.isCaughtUp || this.failed(),
      timeoutMs,
      () =>
        new ProjectionError(
          this.name,
          `Projection "${this.name}" did not catch up within ${timeoutMs} ms (state: ${this.state}${this.lastError ? `, last error: ${this.lastError}` : ''}).`,
        ),
    );
    this.throwIfFailed();
  }

  /**
   * Resolves once every event now in the log (up to the head) is applied and the runner follows the
   * log live (state `running`): commits it held back to batch (checkpoint-only ones of a sparse
   * processor) are made at once while someone waits.
   */
  async waitForHead(timeoutMs = 30_000): Promise<void> {
    const head = await this.options.eventStore.headPosition();
    if (!head) return;
    this.throwIfFailed();
    this.headWaits++;
    this.batcher?.flushSoon();
    const waiting = { done: false };
    void this.settleSparse(head, timeoutMs, waiting).catch(() => undefined);
    try {
      await this.waiters.wait(
        () =>
          this.failed() ||
          (this.isCaughtUp && this.checkpoint !== undefined && comparePositions(this.checkpoint, head) >= 0),
        timeoutMs,
        () =>
          new ProjectionError(
            this.name,
            `Projection "${this.name}" did not reach ${serializePosition(head)} within ${timeoutMs} ms (at ${this.checkpoint ? serializePosition(this.checkpoint) : 'start'}, state ${this.state}${this.lastError ? `, last error: ${this.lastError}` : ''}).`,
          ),
      );
    } finally {
      waiting.done = true;
      this.headWaits--;
      this.waiters.recheck();
    }
    this.throwIfFailed();
  }

  /**
   * Lets a sparse processor reach `head` without waiting for the store's next checkpoint (which, on
   * EventStoreDB, comes only after dozens more events to any stream, and never at the head while
   * catching up). Once the runner follows the log live, one read finds the last event it handles up to
   * `head`; once that one is committed, nothing it handles lies between its checkpoint and `head`, so
   * the checkpoint moves to `head`. One read per wait, no polling.
   */
  private async settleSparse(head: Position, timeoutMs: number, waiting: { done: boolean }): Promise<void> {
    const gaveUp = () => new Error('waitForHead ended');
    const live = () => this.isCaughtUp && this.batcher !== undefined;
    await this.waiters.wait(() => waiting.done || this.failed() || live(), timeoutMs, gaveUp);
    const from = this.checkpoint;
    if (waiting.done || !live() || (from && comparePositions(from, head) >= 0)) return;
    let lastHandled: Position | undefined;
    for await (const event of this.options.eventStore.readAll({
      ...(from ? { after: from } : {}),
      filter: { eventTypes: this.definition.eventTypes },
    })) {
      if (comparePositions(event.position, head) > 0) break;
      lastHandled = event.position;
    }
    const passed = () =>
      lastHandled === undefined ||
      (this.checkpoint !== undefined && comparePositions(this.checkpoint, lastHandled) >= 0);
    await this.waiters.wait(() => waiting.done || this.failed() || passed(), timeoutMs, gaveUp);
    const checkpoint = this.checkpoint;
    if (waiting.done || !passed() || (checkpoint && comparePositions(checkpoint, head) >= 0)) return;
    await this.batcher?.advance(head);
    this.batcher?.flushSoon();
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

  private failed(): boolean {
    return this.state === 'failed';
  }

  private throwIfFailed(): void {
    if (this.failed())
      throw new ProjectionError(this.name, `Projection "${this.name}" failed: ${this.lastError}`);
  }

  private setState(state: ProjectionState): void {
    if (this.state === state) return;
    const previous = this.state;
    this.state = state;
    this.options.onStateChange?.(this.status());
    this.emitter.emit('state-changed', {
      projection: this.name,
      kind: this.definition.meta.kind,
      state,
      previous,
      lastError: this.lastError,
    });
    this.waiters.recheck();
  }

  private async run(): Promise<void> {
    const lease = this.lease;
    while (!this.stopping) {
      if (!lease.held) {
        let acquired: boolean;
        try {
          acquired = await lease.acquire();
        } catch (error) {
          await this.retryLater(error);
          continue;
        }
        if (!acquired) {
          this.setState('standby');
          await this.sleep(Math.max(50, lease.ttlMs / 4));
          continue;
        }
        this.leaseLoss = undefined;
        this.emitter.emit('lease-acquired', { projection: this.name, lock: lease.lock, owner: this.owner });
      }
      if (this.paused) {
        this.setState('paused');
        await this.sleep(Infinity);
        continue;
      }
      try {
        await this.consume();
      } catch (error) {
        if (error instanceof LockLostError) {
          lease.stop();
          if (this.leaseLoss === undefined) this.reportLeaseLost('fenced');
          continue;
        }
        // A rebuild swapped the served namespace (or moved what this commit read): go on from there.
        if (error instanceof NamespaceSwitchedError || error instanceof TransactionConflictError) continue;
        if (error instanceof ProcessorStoppedError) {
          this.setState('failed');
          break;
        }
        // Wiring or environment that cannot work (e.g. an unsupported EventStoreDB version): retrying
        // would only repeat it, so the runner fails and says why.
        if (error instanceof ConfigurationError) {
          this.lastError = describeError(error);
          this.emitter.emit('runner-error', { projection: this.name, error, retryInMs: undefined });
          this.setState('failed');
          break;
        }
        await this.retryLater(error);
      }
    }
    await lease.release();
  }

  /** An error the runner recovers from: recorded, reported, retried after a pause. */
  private async retryLater(error: unknown): Promise<void> {
    this.lastError = describeError(error);
    this.emitter.emit('runner-error', { projection: this.name, error, retryInMs: RETRY_MS });
    await this.sleep(RETRY_MS);
  }

  private onLeaseLost(reason: LeaseLossReason): void {
    this.reportLeaseLost(reason);
    void this.interrupt();
  }

  private reportLeaseLost(reason: LeaseLossReason | 'fenced'): void {
    this.leaseLoss = reason === 'fenced' ? 'taken' : reason;
    this.emitter.emit('lease-lost', {
      projection: this.name,
      lock: this.lease.lock,
      owner: this.owner,
      reason,
    });
  }

  /** True when the work in hand should end after its batch. */
  private interrupted(): boolean {
    return this.stopping || this.paused || !this.lease.held;
  }

  /** Ends the subscription being followed and any sleep, so the loop looks at its flags. */
  private async interrupt(): Promise<void> {
    this.wake();
    await this.subscription?.close();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
      timer?.unref();
      this.sleepers.add(done);
    });
  }

  private wake(): void {
    for (const done of [...this.sleepers]) done();
  }

  private async consume(): Promise<void> {
    const { store, eventStore, events } = this.options;
    const { meta, eventTypes } = this.definition;
    const target = await resolveNamespace(store, meta);
    const { namespace, replacing } = target;
    this.namespace = namespace;
    const committer = new BatchCommitter({
      definition: this.definition,
      events,
      store,
      lease: this.lease,
      namespace,
      replacing,
      emitter: this.emitter,
      telemetry: this.options.telemetry ?? {},
      committed: (count, checkpoint) => this.committed(count, checkpoint),
      failed: (message) => {
        this.lastError = message;
      },
    });
    let checkpoint = await store.getCheckpoint(namespace);
    if (!checkpoint && meta.kind === 'reactor' && meta.startFrom !== 'beginning') {
      // A new reactor starts at the head: history is not re-acted upon.
      const head = await eventStore.headPosition();
      if (head) await committer.commit([], head);
      checkpoint = head;
    }
    this.checkpoint = checkpoint;
    this.isCaughtUp = false;
    this.setState('catching-up');
    const filter = { eventTypes };
    const batchSize = meta.kind === 'reactor' ? 1 : (meta.batchSize ?? 500);
    // A long way behind: pages to the head (one promise per page, a read-ahead thread on SQLite),
    // pass after pass while the log keeps growing; the subscription then takes the last stretch.
    if (eventStore.readAllPages) {
      const window = committer.window(this.catchUpCommitMs);
      for (;;) {
        const pass = await catchUpToHead({
          eventStore,
          filter,
          batchSize,
          from: checkpoint,
          commit: committer.commit,
          undecodable: committer.undecodable,
          interrupted: () => this.interrupted(),
          ...(window ? { window } : {}),
        });
        checkpoint = pass.checkpoint;
        if (pass.stopped || pass.read < batchSize) break;
      }
      if (this.interrupted()) return;
    }
    // Then the last stretch and live events, from a subscription.
    await followLog({
      eventStore,
      filter,
      from: checkpoint,
      committer,
      policy: {
        batchSize,
        flushDelayMs: this.flushDelayMs,
        checkpointIntervalMs: this.checkpointIntervalMs,
        urgent: () => this.headWaits > 0,
      },
      interrupted: () => this.interrupted(),
      onCaughtUp: async () => {
        if (await serveNewVersion(store, this.lease, this.name, target)) {
          this.emitter.emit('rebuild-swapped', {
            projection: this.name,
            namespace,
            replaced: replacing,
            checkpoint: this.checkpoint,
          });
        }
        this.isCaughtUp = true;
        this.setState('running');
      },
      track: (subscription, batcher) => {
        this.subscription = subscription;
        this.batcher = batcher;
      },
    });
  }

  private committed(count: number, checkpoint: Position): void {
    this.checkpoint = checkpoint;
    if (count > 0) {
      this.processed += count;
      this.rate.push([Date.now(), count]);
      if (this.rate.length > 200) this.rate.splice(0, 100);
    }
    this.waiters.recheck();
  }
}
