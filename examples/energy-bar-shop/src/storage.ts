import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ConfigurationError, InMemoryEventStore, type EventStore } from '@rewind/core';
import { InMemoryReadModelStore, type ReadModelStore } from '@rewind/projections';
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
 * else EventStoreDB + PostgreSQL when `EVENTSTORE_URL` / `POSTGRES_URL` are set; else the embedded
 * SQLite files `<dataDir>/events.db` and `<dataDir>/readmodels.db`.
 * @throws ConfigurationError for a durable event store without a read-model store (reactor checkpoints
 * would be forgotten and every reaction re-run), or the URLs set before their adapters exist.
 */
export function openStorage(options: StorageOptions = {}): Storage {
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
  if (env.EVENTSTORE_URL || env.POSTGRES_URL) {
    throw new ConfigurationError(
      'EVENTSTORE_URL / POSTGRES_URL are set, but @rewind/eventstoredb and @rewind/postgres do not ship ' +
        'their stores yet. Unset them to run on the embedded SQLite store.',
    );
  }
  const dataDir = path.resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  mkdirSync(dataDir, { recursive: true });
  const events = path.join(dataDir, 'events.db');
  const readModels = path.join(dataDir, 'readmodels.db');
  return {
    eventStore: SqliteEventStore.open({ path: events }),
    readModelStore: options.readModelStore ?? SqliteReadModelStore.open({ path: readModels }),
    description: `SQLite: ${events} (events), ${readModels} (read models)`,
    durable: true,
  };
}
