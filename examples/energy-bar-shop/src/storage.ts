import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ConfigurationError, InMemoryEventStore, type EventStore } from '@rewind/core';
import { InMemoryReadModelStore, type ReadModelStore } from '@rewind/projections';
import { EventStoreDBEventStore } from '@rewind/eventstoredb';
import { PostgresReadModelStore } from '@rewind/postgres';
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
  /** Environment to read `EVENTSTORE_URL` and `POSTGRES_URL` from (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
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
 * else EventStoreDB when `EVENTSTORE_URL` is set and PostgreSQL when `POSTGRES_URL` is set (as in the
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
  const eventStore = openEventStore(options);
  let readModelStore: ReadModelStore;
  try {
    readModelStore = options.readModelStore ?? (await openReadModelStore(options));
  } catch (error) {
    await eventStore.close();
    throw error;
  }
  const { events, readModels } = embeddedPaths(options);
  const where = [
    env.EVENTSTORE_URL ? `EventStoreDB ${redact(env.EVENTSTORE_URL)} (events)` : `SQLite ${events} (events)`,
    options.readModelStore
      ? 'the given read-model store'
      : env.POSTGRES_URL
        ? `PostgreSQL ${redact(env.POSTGRES_URL)} (read models)`
        : `SQLite ${readModels} (read models)`,
  ];
  return { eventStore, readModelStore, description: where.join(', '), durable: true };
}

/** Opens the event store: EventStoreDB when `EVENTSTORE_URL` is set, else `<dataDir>/events.db`. */
export function openEventStore(options: Pick<StorageOptions, 'dataDir' | 'env'> = {}): EventStore {
  const url = (options.env ?? process.env).EVENTSTORE_URL;
  return url
    ? new EventStoreDBEventStore({ connectionString: url })
    : SqliteEventStore.open({ path: embeddedPaths(options, true).events });
}

/** Opens the read-model store: PostgreSQL when `POSTGRES_URL` is set, else `<dataDir>/readmodels.db`. */
export async function openReadModelStore(
  options: Pick<StorageOptions, 'dataDir' | 'env'> = {},
): Promise<ReadModelStore> {
  const url = (options.env ?? process.env).POSTGRES_URL;
  return url
    ? PostgresReadModelStore.connect({ connectionString: url })
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
