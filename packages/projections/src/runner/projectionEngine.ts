import {
  closestNames,
  ConfigurationError,
  ProjectionError,
  silentLogger,
  type RewindLogger,
  type EventRegistry,
  type EventStore,
  type Position,
  type RecordedEvent,
  type Type,
} from '@rewind/core';
import { DeadLetterNotFoundError } from '../readModel/readModelErrors';
import {
  InlineHandlerFailure,
  type CollectionReader,
  type DeadLetter,
  type Document,
  type InlineProjection,
  type ReadModelStore,
} from '../readModel/readModelStore';
import { applyEvents, describeError, HandlerFailure, runReactor } from './applyEvents';
import { EngineEmitter, type ProjectionEngineEventName, type ProjectionEngineListener } from './engineEvents';
import { SYSTEM_NAMESPACE, lockName } from './namespaces';
import { defineProcessors, type ProcessorDefinition } from './processorRegistry';
import { logEngine } from './engineLogging';
import { ProjectionRunner, type ProjectionState, type RunnerStatus } from './projectionRunner';
import { meterEngine, type ProjectionTelemetryOptions } from './projectionTelemetry';

/** Options for {@link ProjectionEngine}. */
export interface ProjectionEngineOptions {
  readonly eventStore: EventStore;
  readonly events: EventRegistry;
  readonly store: ReadModelStore;
  /** `@Projection` and `@Reactor` classes. */
  readonly processors: readonly Type[];
  /** How to get an instance of a processor class (your container's `get`); default `new`. */
  readonly resolve?: (processorClass: Type) => object;
  /** Identifies this process in locks. */
  readonly owner?: string;
  readonly lockTtlMs?: number;
  /** Least time between checkpoint-only commits of sparse processors (default 1000 ms; see `ProjectionRunnerOptions`). */
  readonly checkpointIntervalMs?: number;
  /**
   * While catching up (far behind the head, or a rebuild), batches are applied into one transaction for
   * this long before it commits (default 250 ms): a document that many events change is written once
   * per commit instead of once per batch. 0 commits every batch. On a store that runs one transaction
   * at a time (SQLite, in memory) a window stretches, up to 4 times as long, while no other transaction
   * waits for the store and its documents are written again and again (`CommitWindow.stretch`). Live
   * events are not held: they commit per batch as they arrive (`batchSize`, `flushDelayMs`).
   */
  readonly catchUpCommitMs?: number;
  /** How often runners look for pause/resume requests made by other processes (default 1000 ms). */
  readonly controlPollMs?: number;
  /**
   * Where the engine logs parked events, failures, leases taken and lost, rebuilds, dead-letter
   * retries: a pino logger or anything with its methods (`RewindLogger`). Default: silent.
   */
  readonly logger?: RewindLogger;
  /** Spans and metrics (see the Operations guide); on by default, inert without an OpenTelemetry SDK. */
  readonly telemetry?: ProjectionTelemetryOptions;
}

/** A projection's status as any process can see it. */
export interface ProjectionStatus {
  readonly name: string;
  readonly kind: 'projection' | 'reactor';
  readonly version: number;
  /** This process's runner state, or what the store says when the runner lives elsewhere. */
  readonly state: ProjectionState | 'unknown';
  readonly namespace: string | undefined;
  readonly checkpoint: Position | undefined;
  readonly head: Position | undefined;
  /** Handled events between the checkpoint and the head (when the store can count them). */
  readonly eventsBehind: number | undefined;
  /**
   * Lag in time: how long ago the oldest handled event after the checkpoint was recorded (now minus
   * its recorded time), 0 when there is none; undefined without a served or built namespace.
   */
  readonly behindMs: number | undefined;
  readonly eventsPerSecond: number;
  readonly lastError: string | undefined;
  readonly paused: boolean;
  readonly lockHolder: string | undefined;
  readonly deadLetters: number;
  /** Applied inline, in the appends' transactions (no runner; `state` is `running` once attached here). */
  readonly inline: boolean;
}

const CONTROL = 'projection_control';

/**
 * Runs every projection and reactor of an application and gives operators their levers: status with
 * lag, pause/resume (seen by runners in every process), dead letters (list, retry, skip), queries of
 * the served read model, and events to observe it all ({@link on}).
 *
 * @example
 * const projections = new ProjectionEngine({ eventStore, events: rewind.events, store, processors: [OrderSummary] });
 * projections.on('dead-letter-parked', ({ projection, letter }) => log.warn({ projection, letter }, 'parked'));
 * projections.start();
 * const orders = projections.query('order-summary').collection('orders');
 */
export class ProjectionEngine {
  readonly definitions: readonly ProcessorDefinition[];
  private readonly runners = new Map<string, ProjectionRunner>();
  private readonly emitter = new EngineEmitter();
  private controlTimer: NodeJS.Timeout | undefined;
  private inlineAttached: Promise<void> | undefined;
  private inlineState: 'stopped' | 'running' | 'failed' = 'stopped';
  private inlineError: string | undefined;
  private readonly logger: RewindLogger;

  constructor(private readonly options: ProjectionEngineOptions) {
    this.logger = options.logger ?? silentLogger;
    this.definitions = defineProcessors(options.processors, options.events, options.resolve);
    const inline = this.definitions.filter((d) => isInline(d));
    if (inline.length > 0 && !options.store.attachInline) {
      throw new ConfigurationError(
        `The projection(s) ${inline.map((d) => `"${d.meta.name}"`).join(', ')} are inline (\`inline: true\`), ` +
          `which needs a read-model store that shares the append's transaction: the PostgreSQL event store ` +
          `and the PostgreSQL read-model store in one database. ${options.store.constructor.name} cannot; ` +
          'remove `inline: true` to run them asynchronously (exactly once, with a small lag).',
      );
    }
    for (const definition of this.definitions) {
      if (isInline(definition)) continue;
      this.runners.set(
        definition.meta.name,
        new ProjectionRunner({
          definition,
          eventStore: options.eventStore,
          events: options.events,
          store: options.store,
          emitter: this.emitter,
          ...(options.telemetry ? { telemetry: options.telemetry } : {}),
          ...(options.owner ? { owner: options.owner } : {}),
          ...(options.lockTtlMs ? { lockTtlMs: options.lockTtlMs } : {}),
          ...(options.checkpointIntervalMs !== undefined
            ? { checkpointIntervalMs: options.checkpointIntervalMs }
            : {}),
          ...(options.catchUpCommitMs !== undefined ? { catchUpCommitMs: options.catchUpCommitMs } : {}),
        }),
      );
    }
    if (options.logger) logEngine(this.emitter, options.logger);
    if (options.telemetry?.enabled !== false) {
      meterEngine(this.emitter, { lag: () => this.status() });
    }
  }

  /**
   * Listens to what the engine does in this process — runner states, leases, commits, dead letters,
   * recoverable errors, rebuilds (see {@link ProjectionEngineEvents}). Returns the function that stops
   * listening.
   */
  on<K extends ProjectionEngineEventName>(event: K, listener: ProjectionEngineListener<K>): () => void {
    return this.emitter.on(event, listener);
  }

  /** Stops a listener added with {@link on} (the same as calling the function `on` returned). */
  off<K extends ProjectionEngineEventName>(event: K, listener: ProjectionEngineListener<K>): void {
    this.emitter.off(event, listener);
  }

  /** Calls `listener` whenever a projection here changes state. Returns the function that stops it. */
  onStateChange(listener: ProjectionEngineListener<'state-changed'>): () => void {
    return this.emitter.on('state-changed', listener);
  }

  /** Calls `listener` whenever an event is parked as a dead letter. Returns the function that stops it. */
  onDeadLetter(listener: ProjectionEngineListener<'dead-letter-parked'>): () => void {
    return this.emitter.on('dead-letter-parked', listener);
  }

  /**
   * Calls `listener` on every runner error (`retryInMs` set: it retries; undefined: it failed).
   * Returns the function that stops it.
   */
  onError(listener: ProjectionEngineListener<'runner-error'>): () => void {
    return this.emitter.on('runner-error', listener);
  }

  /** Names of every projection and reactor. */
  names(): string[] {
    return this.definitions.map((d) => d.meta.name);
  }

  /**
   * Resolves once the inline projections are attached (caught up with the log, and applied in this
   * process's appends from then on); `start()` begins it. Nothing to wait for without inline projections.
   * @throws ConfigurationError when the stores cannot apply them inline (e.g. not one database).
   */
  ready(): Promise<void> {
    return this.attachInline();
  }

  private attachInline(): Promise<void> {
    if (this.inlineAttached) return this.inlineAttached;
    const { store, eventStore, events } = this.options;
    const inline: InlineProjection[] = this.definitions.filter(isInline).map((definition) => ({
      name: definition.meta.name,
      version: definition.meta.version,
      eventTypes: definition.eventTypes,
      apply: async (tx, batch) => {
        try {
          await applyEvents(definition, events, tx, batch, false);
        } catch (error) {
          if (error instanceof HandlerFailure)
            throw new InlineHandlerFailure(batch[error.index]!, error.original);
          throw error;
        }
      },
    }));
    const asynchronous = this.definitions.filter((d) => !isInline(d)).map((d) => d.meta.name);
    this.inlineAttached =
      inline.length === 0 && !store.attachInline
        ? Promise.resolve()
        : (store.attachInline?.({ eventStore, inline, asynchronous }) ?? Promise.resolve()).then(
            () => {
              this.inlineState = 'running';
            },
            (error: unknown) => {
              this.inlineState = 'failed';
              this.inlineError = describeError(error);
              for (const p of inline) {
                this.emitter.emit('runner-error', { projection: p.name, error, retryInMs: undefined });
              }
              this.inlineAttached = undefined;
              throw error;
            },
          );
    return this.inlineAttached;
  }

  /**
   * The definition of one projection or reactor.
   * @throws ConfigurationError naming the closest known names.
   */
  definition(name: string): ProcessorDefinition {
    const found = this.definitions.find((d) => d.meta.name === name);
    if (!found) throw unknownProjection(name, this.names());
    return found;
  }

  /** The runner of one projection in this process. */
  runner(name: string): ProjectionRunner {
    this.notInline(this.definition(name), 'has no runner');
    return this.runners.get(name)!;
  }

  private notInline(definition: ProcessorDefinition, what: string): void {
    if (isInline(definition)) {
      throw new ConfigurationError(
        `The projection "${definition.meta.name}" is inline and ${what}: it is applied in the appends' ` +
          'transactions. Remove `inline: true` to run it with a runner.',
      );
    }
  }

  /** Starts every runner (standby where another process holds the lock) and the control poll. Idempotent. */
  start(): void {
    for (const runner of this.runners.values()) runner.start();
    this.attachInline().catch(() => undefined); // reported by 'runner-error' and status(); ready() rejects
    if (this.controlTimer) return;
    this.controlTimer = setInterval(() => void this.applyControls(), this.options.controlPollMs ?? 1000);
    this.controlTimer.unref();
  }

  /** Stops every runner and releases their locks. */
  async stop(): Promise<void> {
    clearInterval(this.controlTimer);
    this.controlTimer = undefined;
    await Promise.all([...this.runners.values()].map((r) => r.stop()));
  }

  /** Pauses or resumes local runners as the shared control records say (another process may have asked). */
  private async applyControls(): Promise<void> {
    for (const [name, runner] of this.runners) {
      const paused = await this.isPaused(name).catch(() => undefined);
      if (paused === undefined) continue;
      const state = runner.status().state;
      if (paused && state !== 'paused' && state !== 'stopped') await runner.pause();
      else if (!paused && state === 'paused') runner.resume();
    }
  }

  /**
   * Resolves when every projection running here (a paused one once resumed) has applied everything
   * now in the log. Runners on standby (another process runs them) and stopped ones are not waited for.
   * @throws ProjectionError when one of them failed, or does not get there within `timeoutMs`.
   */
  async waitForHead(timeoutMs = 30_000): Promise<void> {
    await Promise.all(
      [...this.runners.values()]
        .filter((r) => ['running', 'catching-up', 'starting', 'paused', 'failed'].includes(r.status().state))
        .map((r) => r.waitForHead(timeoutMs)),
    );
  }

  /** Pauses a projection in every process (runners see it within the control poll interval). */
  async pause(name: string): Promise<void> {
    this.notInline(this.definition(name), 'cannot be paused');
    await this.options.store.transaction(SYSTEM_NAMESPACE, (tx) =>
      tx.collection(CONTROL).patch(name, { paused: true, at: new Date().toISOString() }),
    );
    await this.runners.get(name)!.pause();
  }

  /** Resumes a paused projection in every process. */
  async resume(name: string): Promise<void> {
    this.notInline(this.definition(name), 'cannot be paused or resumed');
    await this.options.store.transaction(SYSTEM_NAMESPACE, (tx) =>
      tx.collection(CONTROL).patch(name, { paused: false, at: new Date().toISOString() }),
    );
    this.runners.get(name)!.resume();
  }

  private async isPaused(name: string): Promise<boolean> {
    const control = await this.options.store.collection(SYSTEM_NAMESPACE, CONTROL).get(name);
    return control?.paused === true;
  }

  /** Status of one or every projection, including lag and dead letters. Reads only: never fails because a runner commits meanwhile. */
  async status(name?: string): Promise<ProjectionStatus[]> {
    const { store, eventStore } = this.options;
    const head = await eventStore.headPosition();
    const definitions = name ? [this.definition(name)] : this.definitions;
    return Promise.all(
      definitions.map(async (definition) => {
        const { meta } = definition;
        const inline = isInline(definition);
        const local: RunnerStatus | undefined = this.runners.get(meta.name)?.status();
        const namespace = (await store.servedNamespace(meta.name)) ?? local?.namespace;
        const checkpoint = namespace ? await store.getCheckpoint(namespace) : undefined;
        const eventsBehind = eventStore.countEvents
          ? await eventStore.countEvents({
              ...(checkpoint ? { after: checkpoint } : {}),
              filter: { eventTypes: definition.eventTypes },
            })
          : undefined;
        const behindMs = namespace ? await this.behindMs(definition.eventTypes, checkpoint) : undefined;
        const holder = await store.lockHolder(lockName(meta.name));
        const letters = namespace ? await store.listDeadLetters(namespace) : [];
        const paused = await this.isPaused(meta.name);
        const localState = local?.state ?? this.inlineState;
        const state: ProjectionStatus['state'] =
          localState !== 'stopped' ? localState : paused ? 'paused' : holder ? 'unknown' : 'stopped';
        return {
          name: meta.name,
          kind: meta.kind,
          version: meta.version,
          state,
          namespace,
          checkpoint,
          head,
          eventsBehind,
          behindMs,
          eventsPerSecond: local?.eventsPerSecond ?? 0,
          lastError: local ? local.lastError : this.inlineError,
          paused,
          lockHolder: holder?.owner,
          deadLetters: letters.filter((l) => l.projection === meta.name).length,
          inline,
        };
      }),
    );
  }

  /** Now minus the recorded time of the first handled event after `checkpoint` (0 when there is none). */
  private async behindMs(eventTypes: readonly string[], checkpoint: Position | undefined): Promise<number> {
    for await (const event of this.options.eventStore.readAll({
      ...(checkpoint ? { after: checkpoint } : {}),
      filter: { eventTypes },
      maxCount: 1,
    })) {
      return Math.max(0, Date.now() - event.recordedAt.getTime());
    }
    return 0;
  }

  /**
   * Read access to a projection's served read model. A rebuild's swap is seen atomically: each read
   * resolves the served namespace, reads it, and reads again from the new one if a swap committed in
   * between (the old namespace may already be dropped), so a reader never sees a half-built, dropped
   * or empty model.
   */
  query(name: string): {
    collection<D extends object = Document>(collection: string): CollectionReader<D>;
  } {
    this.definition(name);
    const store = this.options.store;
    return {
      collection<D extends object = Document>(collection: string): CollectionReader<D> {
        const read = async <R>(work: (reader: CollectionReader<D>) => Promise<R>): Promise<R> => {
          let namespace = await store.servedNamespace(name);
          for (;;) {
            const result = await work(store.collection<D>(namespace ?? `${name}@unbuilt`, collection));
            const now = await store.servedNamespace(name);
            if (now === namespace) return result;
            namespace = now;
          }
        };
        return {
          get: (key) => read((reader) => reader.get(key)),
          find: (filter, options) => read((reader) => reader.find(filter, options)),
          count: (filter) => read((reader) => reader.count(filter)),
        };
      },
    };
  }

  /** Parked events, of one projection or all. */
  async deadLetters(projection?: string): Promise<DeadLetter[]> {
    if (projection) this.definition(projection);
    const all = await this.options.store.listDeadLetters();
    return all.filter((l) => projection === undefined || l.projection === projection);
  }

  /**
   * Applies a parked event again (after a fix) and removes it, in one transaction (a reactor's side
   * effect runs first, outside it). A failed retry counts as an attempt and records its error.
   * @throws DeadLetterNotFoundError for an unknown id; ProjectionError when the event is gone or the
   * handler still fails (it stays parked).
   */
  async retryDeadLetter(id: string): Promise<void> {
    const letter = await this.findLetter(id);
    const definition = this.definition(letter.projection);
    const { store, events } = this.options;
    let event: RecordedEvent | undefined;
    const fields = {
      projection: letter.projection,
      deadLetter: id,
      stream: letter.streamId,
      revision: letter.revision.toString(),
      type: letter.eventType,
    };
    try {
      event = await this.readParked(letter);
      if (definition.meta.kind === 'reactor') {
        await runReactor(definition, events, [event], this.options.telemetry?.enabled !== false);
        await store.transaction(letter.namespace, (tx) => tx.removeDeadLetter(id));
      } else {
        const recorded = event;
        await store.transaction(letter.namespace, async (tx) => {
          await applyEvents(definition, events, tx, [recorded], false);
          await tx.removeDeadLetter(id);
        });
      }
      this.logger.info(fields, 'dead letter retried: applied and removed');
    } catch (error) {
      if (error instanceof ProjectionError && !event) throw error;
      const cause = error instanceof HandlerFailure ? error.original : error;
      this.logger.warn({ ...fields, err: cause }, 'dead letter retried: still fails, stays parked');
      await store
        .transaction(letter.namespace, (tx) => tx.recordDeadLetterAttempt(id, describeError(cause)))
        .catch(() => undefined);
      throw new ProjectionError(
        letter.projection,
        `Dead letter ${id} (${letter.eventType} at ${letter.streamId}@${letter.revision}) still fails: ${(cause as Error)?.message ?? cause}. It stays parked (attempt ${letter.attempts + 1}).`,
        { cause },
      );
    }
  }

  /** The parked event, read again from the log. */
  private async readParked(letter: DeadLetter): Promise<RecordedEvent> {
    for await (const recorded of this.options.eventStore.readStream(letter.streamId, {
      fromRevision: letter.revision,
      maxCount: 1,
    }))
      return recorded;
    throw new ProjectionError(
      letter.projection,
      `Dead letter ${letter.id}: event ${letter.streamId}@${letter.revision} is no longer in the store. Skip it instead.`,
    );
  }

  /** Removes a parked event without applying it. @throws DeadLetterNotFoundError for an unknown id. */
  async skipDeadLetter(id: string): Promise<void> {
    const letter = await this.findLetter(id);
    await this.options.store.transaction(letter.namespace, (tx) => tx.removeDeadLetter(id));
  }

  private async findLetter(id: string): Promise<DeadLetter> {
    const letter = (await this.options.store.listDeadLetters()).find((l) => l.id === id);
    if (!letter) throw new DeadLetterNotFoundError(id);
    return letter;
  }

  /** The wiring this engine runs on (event store, registry, read-model store): for rebuilds and tools. */
  get context(): ProjectionEngineOptions {
    return this.options;
  }

  /** @internal where rebuilds report (the same listeners as {@link on}). */
  get reporter(): EngineEmitter {
    return this.emitter;
  }
}

/** Whether a projection is applied inline (see `ProjectionOptions.inline`). */
export function isInline(definition: ProcessorDefinition): boolean {
  return definition.meta.kind === 'projection' && definition.meta.inline === true;
}

/** An error for an unknown projection name that suggests the closest ones. */
export function unknownProjection(name: string, known: readonly string[]): ConfigurationError {
  const close = known.length ? closestNames(name, known) : [];
  return new ConfigurationError(
    `No projection or reactor named "${name}".` +
      (close.length ? ` Did you mean ${close.map((c) => `"${c}"`).join(', ')}?` : ' None are registered.'),
  );
}
