import { createRewind, type AggregateClass, type EventStore, type Rewind } from '@rewind/core';
import { ProjectionEngine, type ReadModelStore } from '@rewind/projections';
import type { RewindConfig } from './config/defineConfig';
import { findConfig } from './config/findConfig';
import { loadConfig } from './config/loadConfig';
import { palette, toPlain, useColor } from './output/format';
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
  /** The result as JSON (only under --json). */
  data(value: unknown): void {
    if (this.json) process.stdout.write(`${JSON.stringify(toPlain(value), null, 2)}\n`);
  }
}

/** The config, loaded once, and the pieces opened from it on demand; closed by {@link close}. */
export class CliContext {
  private eventStore: EventStore | undefined;
  private readModelStore: ReadModelStore | undefined;
  private wired: Rewind | undefined;
  private projectionEngine: ProjectionEngine | undefined;
  readonly out: Output;

  private constructor(
    readonly configPath: string,
    readonly config: RewindConfig,
    options: GlobalOptions,
  ) {
    this.out = new Output(Boolean(options.json));
  }

  /** Finds and loads the config. @throws CliError when there is none or it is broken. */
  static open(options: GlobalOptions, cwd = process.cwd()): CliContext {
    const path = findConfig(cwd, options.config);
    return new CliContext(path, loadConfig(path), options);
  }

  /** Core wiring over the configured event store. */
  async rewind(): Promise<Rewind> {
    if (!this.wired) {
      this.eventStore = await this.open('event store', this.config.eventStore);
      this.wired = createRewind({
        eventStore: this.eventStore,
        aggregates: this.config.aggregates ?? [],
        events: this.config.events ?? [],
        upcasters: this.config.upcasters ?? [],
        unknownEventTypes: 'skip',
      });
    }
    return this.wired;
  }

  /** A projection engine (not started: commands act on the stores, runners live in your app). */
  async engine(): Promise<ProjectionEngine> {
    if (!this.projectionEngine) {
      const rewind = await this.rewind();
      const factory = this.config.readModelStore;
      if (!factory) {
        throw new CliError(
          `${this.configPath} has no readModelStore. Add readModelStore: () => ... (e.g. SqliteReadModelStore.open(...)) to use projection commands.`,
          EXIT.config,
        );
      }
      this.readModelStore = await this.open('read-model store', factory);
      const container = this.config.container ? await this.config.container() : undefined;
      this.projectionEngine = new ProjectionEngine({
        eventStore: rewind.eventStore,
        events: rewind.events,
        store: this.readModelStore,
        processors: this.config.projections ?? [],
        owner: `rewind-cli:${process.pid}`,
        ...(container ? { resolve: (c) => container.get(c, { autobind: true }) as object } : {}),
      });
    }
    return this.projectionEngine;
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
  }

  private async open<T>(what: string, factory: () => T | Promise<T>): Promise<T> {
    try {
      return await factory();
    } catch (error) {
      const code = (error as { code?: string })?.code;
      throw new CliError(
        `Could not open the ${what} configured in ${this.configPath}: ${stripPeriod((error as Error)?.message ?? String(error))}. ` +
          `Check that it is reachable and that the connection settings (environment variables read by the config) are right.`,
        code === 'STORE_UNAVAILABLE' || code === undefined || code === 'STORE'
          ? EXIT.unavailable
          : EXIT.config,
        { cause: error },
      );
    }
  }
}

function stripPeriod(text: string): string {
  return text.replace(/\.+$/, '');
}
