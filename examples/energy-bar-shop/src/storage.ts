import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ConfigurationError, InMemoryEventStore, type EventStore } from '@rewind/core';
import { SqliteEventStore } from '@rewind/sqlite';
import { InMemoryDocumentStore, type DocumentStore } from './runtime/documents';
import { SqliteDocumentStore } from './runtime/sqliteDocumentStore';

/** Where the shop keeps its state unless told otherwise: `examples/energy-bar-shop/.data/`. */
export const DEFAULT_DATA_DIR = path.resolve(__dirname, '..', '.data');

/** Which stores to use. */
export interface StorageOptions {
  /** Directory of the embedded store (default {@link DEFAULT_DATA_DIR}). */
  readonly dataDir?: string;
  /** Use this event store (e.g. an in-memory one in tests). */
  readonly eventStore?: EventStore;
  /** Use this read-model store. */
  readonly readModelStore?: DocumentStore;
  /** Environment to read `EVENTSTORE_URL` and `POSTGRES_URL` from (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The stores the shop runs on. */
export interface Storage {
  readonly eventStore: EventStore;
  readonly readModelStore: DocumentStore;
  /** Where the state lives, for people. */
  readonly description: string;
  /** Whether the state survives the process. */
  readonly durable: boolean;
}

/**
 * Picks the stores: the ones given; else EventStoreDB + PostgreSQL when `EVENTSTORE_URL` /
 * `POSTGRES_URL` are set; else the embedded SQLite file `<dataDir>/shop.db`, which holds the events
 * and the read models.
 * @throws ConfigurationError when only one of the two URLs is set, or they are set before the adapters exist.
 */
export function openStorage(options: StorageOptions = {}): Storage {
  const env = options.env ?? process.env;
  if (options.eventStore && options.readModelStore) {
    return {
      eventStore: options.eventStore,
      readModelStore: options.readModelStore,
      description: options.eventStore instanceof InMemoryEventStore ? 'memory' : 'the given stores',
      durable: !(options.eventStore instanceof InMemoryEventStore),
    };
  }
  if (options.eventStore) {
    if (!(options.eventStore instanceof InMemoryEventStore)) {
      throw new ConfigurationError(
        'createShop got an eventStore but no readModelStore. Pass both: reactor checkpoints live in the ' +
          'read-model store, and a durable log with forgetful checkpoints would re-run every reaction.',
      );
    }
    return {
      eventStore: options.eventStore,
      readModelStore: new InMemoryDocumentStore(),
      description: 'memory',
      durable: false,
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
  const eventStore = SqliteEventStore.open({ path: path.join(dataDir, 'shop.db') });
  return {
    eventStore,
    readModelStore: new SqliteDocumentStore(eventStore.database),
    description: `SQLite, ${path.join(dataDir, 'shop.db')}`,
    durable: true,
  };
}
