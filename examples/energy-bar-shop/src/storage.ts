import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ConfigurationError, InMemoryEventStore, type EventStore } from '@rewind/core';
import { InMemoryReadModelStore, type ReadModelStore } from '@rewind/projections';
import { EventStoreDBEventStore } from '@rewind/eventstoredb';
import { PostgresEventStore, PostgresReadModelStore } from '@rewind/postgres';
import { SqliteEventStore, SqliteReadModelStore } from '@rewind/sqlite';

/** Where the shop keeps its state unless told otherwise: `examples/energy-bar-shop/.data/`. */
export const DEFAULT_DATA_DIR = path.resolve(__dirname, '..', '.data');

/** Which stores to use. */
export interface StorageOptions {
  /** Directory of the embedded stores (default {@link DEFAULT_DATA_DIR}). */
  readonly dataDir?: string;
  /** Use this event store (e.g. an in-memory one in tests). */
  readonly eventStore?: EventStore;
  /** Use this read-model store. */
  readonly readModelStore?: ReadModelStore;
  /**
   * Environment to read `EVENTSTORE_URL` and `DATABASE_URL` from (default `process.env`); the deprecated
   * `POSTGRES_URL` is still read in place of `DATABASE_URL`, with a warning.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Which event store the environment selects. */
export type EventStoreChoice =
  | { readonly kind: 'eventstoredb'; readonly connectionString: string }
  | { readonly kind: 'postgres'; readonly connectionString: string }
  | { readonly kind: 'sqlite' };

/**
 * The one place the shop's event store is chosen: EventStoreDB when `EVENTSTORE_URL` is set; else
 * PostgreSQL when `DATABASE_URL` is set (events and read models in one database); else the SQLite file
 * `<dataDir>/events.db`. With both set, events go to EventStoreDB and read models to PostgreSQL.
 */
export function chooseEventStore(
  env: Env = process.env,
  warn: (message: string) => void = warnOnce,
): EventStoreChoice {
  if (env.EVENTSTORE_URL) return { kind: 'eventstoredb', connectionString: env.EVENTSTORE_URL };
  const url = databaseUrl(env, warn);
  return url ? { kind: 'postgres', connectionString: url } : { kind: 'sqlite' };
}

/** Which read-model store the environment selects. */
export type ReadModelStoreChoice =
  { readonly kind: 'postgres'; readonly connectionString: string } | { readonly kind: 'sqlite' };

/** The read-model store: PostgreSQL when `DATABASE_URL` (or the deprecated `POSTGRES_URL`) is set, else SQLite. */
export function chooseReadModelStore(
  env: Env = process.env,
  warn: (message: string) => void = warnOnce,
): ReadModelStoreChoice {
  const url = databaseUrl(env, warn);
  return url ? { kind: 'postgres', connectionString: url } : { kind: 'sqlite' };
}

/**
 * The PostgreSQL connection string: `DATABASE_URL`; else the deprecated `POSTGRES_URL`, with a warning
 * naming `DATABASE_URL` (an upgrade must not silently switch the shop to SQLite). When both are set,
 * `DATABASE_URL` wins and the warning says `POSTGRES_URL` is ignored.
 */
export function databaseUrl(
  env: Env = process.env,
  warn: (message: string) => void = warnOnce,
): string | undefined {
  const legacy = env.POSTGRES_URL;
  if (legacy) {
    warn(
      env.DATABASE_URL
        ? 'POSTGRES_URL is deprecated and ignored: DATABASE_URL is set and used. Remove POSTGRES_URL.'
        : 'POSTGRES_URL is deprecated: rename it to DATABASE_URL (same value). It is still read for now.',
    );
  }
  return env.DATABASE_URL || legacy || undefined;
}

let warned = false;
/** Prints a deprecation warning on stderr, once per process. */
function warnOnce(message: string): void {
  if (warned) return;
  warned = true;
  process.stderr.write(`warning: ${message}\n`);
}

/** The stores the shop runs on. */
export interface Storage {
  readonly eventStore: EventStore;
  readonly readModelStore: ReadModelStore;
  /** Where the state lives, for people. */
  readonly description: string;
  /** Whether the state survives the process. */
  readonly durable: boolean;
}

/**
 * Picks the stores: the ones given (an in-memory read-model store goes with an in-memory event store);
 * else EventStoreDB for events when `EVENTSTORE_URL` is set, PostgreSQL for events (unless
 * `EVENTSTORE_URL` is set) and read models when `DATABASE_URL` is set (as in the
 * repository's docker-compose.yml: `esdb://localhost:2113?tls=false` and
 * `postgres://rewind:rewind@localhost:5432/rewind`); else the embedded SQLite files
 * `<dataDir>/events.db` and `<dataDir>/readmodels.db`.
 * @throws ConfigurationError for a durable event store without a read-model store: reactor checkpoints
 * would be forgotten and every reaction re-run.
 * @throws StoreUnavailableError when a store cannot be opened or reached.
 */
export async function openStorage(options: StorageOptions = {}): Promise<Storage> {
  const env = options.env ?? process.env;
  const inMemory = options.eventStore instanceof InMemoryEventStore;
  if (options.eventStore) {
    if (!options.readModelStore && !inMemory) {
      throw new ConfigurationError(
        'createShop got an eventStore but no readModelStore. Pass both: reactor checkpoints live in the ' +
          'read-model store, and a durable log with forgotten checkpoints would re-run every reaction.',
      );
    }
    return {
      eventStore: options.eventStore,
      readModelStore: options.readModelStore ?? new InMemoryReadModelStore(),
      description: inMemory ? 'memory' : 'the given stores',
      durable: !inMemory,
    };
  }
  const eventStore = await openEventStore(options);
  let readModelStore: ReadModelStore;
  try {
    readModelStore = options.readModelStore ?? (await openReadModelStore(options));
  } catch (error) {
    await eventStore.close();
    throw error;
  }
  const { events, readModels } = embeddedPaths(options);
  const eventChoice = chooseEventStore(env);
  const readModelChoice = options.readModelStore ? undefined : chooseReadModelStore(env);
  const where = [
    eventChoice.kind === 'eventstoredb'
      ? `EventStoreDB ${redact(eventChoice.connectionString)} (events)`
      : eventChoice.kind === 'postgres'
        ? `PostgreSQL ${redact(eventChoice.connectionString)} (events)`
        : `SQLite ${events} (events)`,
    !readModelChoice
      ? 'the given read-model store'
      : readModelChoice.kind === 'postgres'
        ? `PostgreSQL ${redact(readModelChoice.connectionString)} (read models)`
        : `SQLite ${readModels} (read models)`,
  ];
  return { eventStore, readModelStore, description: where.join(', '), durable: true };
}

/**
 * Opens the event store {@link chooseEventStore} picks: EventStoreDB, PostgreSQL, or
 * `<dataDir>/events.db`.
 */
export async function openEventStore(
  options: Pick<StorageOptions, 'dataDir' | 'env'> = {},
): Promise<EventStore> {
  const choice = chooseEventStore(options.env ?? process.env);
  switch (choice.kind) {
    case 'eventstoredb':
      return new EventStoreDBEventStore({ connectionString: choice.connectionString });
    case 'postgres':
      return PostgresEventStore.connect({ connectionString: choice.connectionString });
    case 'sqlite':
      return SqliteEventStore.open({ path: embeddedPaths(options, true).events });
  }
}

/** Opens the read-model store: PostgreSQL when `DATABASE_URL` is set, else `<dataDir>/readmodels.db`. */
export async function openReadModelStore(
  options: Pick<StorageOptions, 'dataDir' | 'env'> = {},
): Promise<ReadModelStore> {
  const choice = chooseReadModelStore(options.env ?? process.env);
  return choice.kind === 'postgres'
    ? PostgresReadModelStore.connect({ connectionString: choice.connectionString })
    : SqliteReadModelStore.open({ path: embeddedPaths(options, true).readModels });
}

function embeddedPaths(options: Pick<StorageOptions, 'dataDir'>, create = false) {
  const dataDir = path.resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  if (create) mkdirSync(dataDir, { recursive: true });
  return { events: path.join(dataDir, 'events.db'), readModels: path.join(dataDir, 'readmodels.db') };
}

/** A connection string without its password, for printing. */
function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
