import { basename } from 'node:path';
import {
  consoleLogger,
  createRewind,
  type AggregateClass,
  type EventStore,
  type Rewind,
  type RewindLogger,
  type RewindLogLevel,
} from '@rewind/core';
import { ProjectionEngine, type ReadModelStore } from '@rewind/projections';
import type { RewindConfig } from './config/defineConfig';
import { findConfig } from './config/findConfig';
import { loadConfig } from './config/loadConfig';
import { palette, useColor } from './output/color';
import { toPlain } from './output/format';
import { CliError, EXIT } from './util/cliError';
import { suggestion } from './util/suggest';

/** Global options every command accepts. */
export interface GlobalOptions {
  readonly config?: string;
  readonly json?: boolean;
}

/** Where a command writes: human text, or one JSON document with `--json`. */
export class Output {
  readonly colors = palette(useColor());
  constructor(readonly json: boolean) {}
  /** Human text (ignored under --json). */
  line(text = ''): void {
    if (!this.json) process.stdout.write(`${text}\n`);
  }
  /** A warning line on stderr (under --json, put what it says in the document instead). */
  warn(text: string): void {
    if (!this.json) process.stderr.write(`${this.colors.yellow('warning:')} ${text}\n`);
  }
  /** The result as JSON (only under --json). */
  data(value: unknown): void {
    if (this.json) process.stdout.write(`${JSON.stringify(toPlain(value), null, 2)}\n`);
  }
}

const LOG_LEVELS: readonly RewindLogLevel[] = ['error', 'warn', 'info', 'debug'];

/** The CLI's logger: stderr, at `REWIND_LOG_LEVEL` (default `warn`), JSON lines under `--json`. */
export function cliLogger(json: boolean, level = process.env['REWIND_LOG_LEVEL']): RewindLogger {
  const known = LOG_LEVELS.find((l) => l === level?.toLowerCase()) ?? 'warn';
  return consoleLogger({ level: known, format: json ? 'json' : 'text' });
}

/** The config, loaded once, and the pieces opened from it on demand; closed by {@link close}. */
export class CliContext {
  private eventStore: EventStore | undefined;
  /** The event store the commands run on instead of the configured one ({@link useEventStore}). */
  private eventStoreOverride: EventStore | undefined;
  /** Stores opened for a command (e.g. `rewind copy --from`), closed by {@link close}. */
  private readonly owned: EventStore[] = [];
  private readModelStore: ReadModelStore | undefined;
  private wired: Rewind | undefined;
  private projectionEngine: ProjectionEngine | undefined;
  /** Stored events left out so far because the config registers no class for their type: type → count. */
  private readonly skipped = new Map<string, number>();
  readonly out: Output;
  /**
   * Where Rewind's own logs go: stderr, warnings and errors only unless `REWIND_LOG_LEVEL` says
   * otherwise (`error`, `warn`, `info`, `debug`), one JSON object per line under `--json`.
   */
  readonly logger: RewindLogger;

  private constructor(
    readonly configPath: string,
    readonly config: RewindConfig,
    options: GlobalOptions,
  ) {
    this.out = new Output(Boolean(options.json));
    this.logger = cliLogger(Boolean(options.json));
  }

  /** Finds and loads the config. @throws CliError when there is none or it is broken. */
  static async open(options: GlobalOptions, cwd = process.cwd()): Promise<CliContext> {
    const path = findConfig(cwd, options.config);
    return new CliContext(path, await loadConfig(path), options);
  }

  /**
   * A context over a config already in hand (loaded by the caller, or built in code, e.g. by a test or
   * an application embedding Rewind Studio); `configPath` names it in messages.
   */
  static fromConfig(configPath: string, config: RewindConfig, options: GlobalOptions = {}): CliContext {
    return new CliContext(configPath, config, options);
  }

  /** Core wiring over the configured event store. */
  async rewind(): Promise<Rewind> {
    if (!this.wired) {
      this.wired = createRewind({
        eventStore: this.eventStoreOverride ?? (await this.configuredEventStore()),
        aggregates: this.config.aggregates ?? [],
        events: this.config.events ?? [],
        upcasters: this.config.upcasters ?? [],
        unknownEventTypes: 'skip',
        onSkippedEvent: ({ type }) => this.skipped.set(type, (this.skipped.get(type) ?? 0) + 1),
        logger: this.logger,
      });
    }
    return this.wired;
  }

  /** The event store the config opens, unwired (opened once). */
  async configuredEventStore(): Promise<EventStore> {
    this.eventStore ??= await this.open('eventStore', 'an EventStore', ['append', 'readStream', 'readAll']);
    return this.eventStore;
  }

  /**
   * Closes `store` with the context (after the engine stops).
   * @returns the store.
   */
  own<S extends EventStore>(store: S): S {
    this.owned.push(store);
    return store;
  }

  /**
   * Makes what follows (aggregates, projections, rebuilds) run on `store` instead of the configured event
   * store, e.g. `rewind copy --to … --rebuild` rebuilding against the copy. Call before anything is wired.
   */
  useEventStore(store: EventStore): void {
    if (this.wired) throw new Error('useEventStore() must come before the context is wired.');
    this.eventStoreOverride = store;
  }

  /** A projection engine (not started: commands act on the stores, runners live in your app). */
  async engine(): Promise<ProjectionEngine> {
    if (!this.projectionEngine) {
      const rewind = await this.rewind();
      if (!this.config.readModelStore) {
        throw new CliError(
          `${this.configPath} has no readModelStore. Add readModelStore: () => ... (e.g. SqliteReadModelStore.open(...)) to use projection commands.`,
          EXIT.config,
        );
      }
      this.readModelStore = await this.open('readModelStore', 'a ReadModelStore', ['transaction']);
      const container = this.config.container
        ? await this.open('container', 'a container (e.g. an inversify Container)', ['get'])
        : undefined;
      this.projectionEngine = new ProjectionEngine({
        eventStore: rewind.eventStore,
        events: rewind.events,
        store: this.readModelStore,
        processors: this.config.projections ?? [],
        owner: `rewind-cli:${process.pid}`,
        logger: this.logger,
        ...(container ? { resolve: (c) => container.get(c, { autobind: true }) as object } : {}),
      });
    }
    return this.projectionEngine;
  }

  /**
   * Says which stored events were left out because the config registers no class for their type: a
   * warning line on stderr, and the `skippedEvents` field to spread into the JSON document (empty when
   * nothing was skipped).
   */
  reportSkippedEvents(): { skippedEvents?: Array<{ type: string; count: number }> } {
    if (this.skipped.size === 0) return {};
    const skippedEvents = [...this.skipped].map(([type, count]) => ({ type, count }));
    const total = skippedEvents.reduce((sum, s) => sum + s.count, 0);
    this.out.warn(
      `skipped ${total} event${total === 1 ? '' : 's'} of a type ${basename(this.configPath)} does not register: ` +
        `${skippedEvents.map((s) => `${s.type} (${s.count})`).join(', ')}. What is shown leaves ${total === 1 ? 'it' : 'them'} out; ` +
        'add the event classes to aggregates or events in the config to include them.',
    );
    return { skippedEvents };
  }

  /** The aggregate class for a category. @throws CliError (not found) suggesting the closest names. */
  async aggregate(category: string): Promise<AggregateClass> {
    const rewind = await this.rewind();
    const found = rewind.aggregates.get(category);
    if (found) return found;
    throw new CliError(
      `Unknown aggregate "${category}". ${suggestion(category, [...rewind.aggregates.keys()], 'aggregate')}`,
      EXIT.notFound,
    );
  }

  /** The projection names, checked. @throws CliError (not found) suggesting the closest names. */
  async projection(name: string): Promise<string> {
    const names = (await this.engine()).names();
    if (names.includes(name)) return name;
    throw new CliError(
      `Unknown projection "${name}". ${suggestion(name, names, 'projection')}`,
      EXIT.notFound,
    );
  }

  /** Closes whatever was opened. */
  async close(): Promise<void> {
    await this.projectionEngine?.stop().catch(() => undefined);
    await this.readModelStore?.close().catch(() => undefined);
    await this.eventStore?.close().catch(() => undefined);
    for (const store of this.owned) await store.close().catch(() => undefined);
  }

  /**
   * Runs one factory of the config and checks what it gives: it must settle within `openTimeoutMs` and
   * return an object with the methods `needs` lists.
   * @throws CliError (config) naming the factory when it never settles or returns something else;
   * (unavailable or config) with the store's own message when it throws.
   */
  private async open<K extends 'eventStore' | 'readModelStore' | 'container'>(
    field: K,
    what: string,
    needs: readonly string[],
  ): Promise<Awaited<ReturnType<NonNullable<RewindConfig[K]>>>> {
    const factory = this.config[field] as () => unknown;
    const timeoutMs = this.config.openTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new CliError(
              `The ${field} factory in ${this.configPath} did not settle within ${timeoutMs} ms: its promise ` +
                'never resolved or rejected. Make it return (or throw) once the store is open; if the store is ' +
                'just slow to connect, raise openTimeoutMs in the config.',
              EXIT.config,
            ),
          ),
        timeoutMs,
      );
    });
    let value: unknown;
    try {
      value = await Promise.race([Promise.resolve().then(factory), timeout]);
    } catch (error) {
      if (error instanceof CliError) throw error;
      const code = (error as { code?: string })?.code;
      throw new CliError(
        `Could not open the ${LABELS[field]} configured in ${this.configPath}: ${stripPeriod((error as Error)?.message ?? String(error))}. ` +
          `Check that it is reachable and that the connection settings (environment variables read by the config) are right.`,
        code === 'STORE_UNAVAILABLE' || code === undefined || code === 'STORE'
          ? EXIT.unavailable
          : EXIT.config,
        { cause: error },
      );
    } finally {
      clearTimeout(timer);
    }
    const missing = needs.filter((m) => typeof (value as Record<string, unknown> | null)?.[m] !== 'function');
    if (missing.length > 0) {
      throw new CliError(
        `The ${field} factory in ${this.configPath} returned ${describeValue(value)}, not ${what}` +
          `${value !== null && typeof value === 'object' ? ` (it has no ${missing.join(', ')})` : ''}. ` +
          `Return the opened ${field} from it, e.g. ${field}: () => ... (awaited if it is async).`,
        EXIT.config,
      );
    }
    return value as Awaited<ReturnType<NonNullable<RewindConfig[K]>>>;
  }
}

const LABELS = { eventStore: 'event store', readModelStore: 'read-model store', container: 'container' };

function stripPeriod(text: string): string {
  return text.replace(/\.+$/, '');
}

function describeValue(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (typeof value === 'object') return `an object of class ${value.constructor?.name ?? 'Object'}`;
  return `a ${typeof value}`;
}
