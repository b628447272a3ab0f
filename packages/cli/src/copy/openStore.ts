// Opens the event store a `--from`/`--to` location names, with the store package the project installed.
import { createRequire } from 'node:module';
import { realpathSync } from 'node:fs';
import type { EventStore } from '@rewind/core';
import { CliError, EXIT } from '../util/cliError';
import { describeStoreLocation, locationIdentity, type StoreLocation } from '../util/storeUrl';

/** What `rewind copy` uses of `@rewind/sqlite`. */
interface SqliteModule {
  SqliteEventStore: { open(options: { path: string }): EventStore };
}
/** What `rewind copy` uses of `@rewind/eventstoredb`. */
interface EventStoreDBModule {
  EventStoreDBEventStore: new (options: { connectionString: string }) => EventStore;
}
/** What `rewind copy` looks for in `@rewind/postgres` (the event store is not released yet). */
interface PostgresModule {
  PostgresEventStore?: {
    connect?(options: { connectionString: string }): EventStore | Promise<EventStore>;
    open?(options: { connectionString: string }): EventStore | Promise<EventStore>;
  };
}

/**
 * Loads a store package: from the project of the config first (where an application installs it), then
 * from the CLI's own dependencies.
 * @throws CliError (config) saying what to install.
 */
export function loadStorePackage<T>(name: string, from: string, loader = createRequire(from)): T {
  for (const load of [loader, require]) {
    try {
      return load(name) as T;
    } catch (error) {
      if ((error as { code?: unknown })?.code !== 'MODULE_NOT_FOUND') throw error;
    }
  }
  throw new CliError(
    `${name} is not installed. Install it (npm install ${name}) to copy from or to that store.`,
    EXIT.config,
  );
}

/**
 * Opens the event store at a location. `configPath` is where store packages are looked up first
 * (`load` replaces that lookup in tests).
 * @throws CliError (config) for PostgreSQL while `@rewind/postgres` has no `PostgresEventStore`, or a
 * missing package; (unavailable) when the store cannot be opened.
 */
export async function openStoreAt(
  location: StoreLocation,
  configPath: string,
  load: <T>(name: string) => T = (name) => loadStorePackage(name, configPath),
): Promise<EventStore> {
  try {
    switch (location.kind) {
      case 'sqlite': {
        const { SqliteEventStore } = load<SqliteModule>('@rewind/sqlite');
        return SqliteEventStore.open({ path: location.path });
      }
      case 'eventstoredb': {
        const { EventStoreDBEventStore } = load<EventStoreDBModule>('@rewind/eventstoredb');
        return new EventStoreDBEventStore({ connectionString: location.connectionString });
      }
      case 'postgres': {
        // Looked up at run time: @rewind/postgres before 0.2 had read models only.
        const { PostgresEventStore } = load<PostgresModule>('@rewind/postgres');
        const open = PostgresEventStore?.connect ?? PostgresEventStore?.open;
        if (!PostgresEventStore || !open) {
          throw new CliError(
            `${describeStoreLocation(location)}: the installed @rewind/postgres has no PostgresEventStore (it ` +
              'is older than 0.2, with read models only). Upgrade it: npm install @rewind/postgres@latest.',
            EXIT.config,
          );
        }
        return await open.call(PostgresEventStore, { connectionString: location.connectionString });
      }
    }
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(
      `Could not open ${describeStoreLocation(location)}: ${(error as Error)?.message ?? String(error)}`,
      EXIT.unavailable,
      { cause: error },
    );
  }
}

/**
 * What identifies an opened store, when it can be told (a SQLite file, an EventStoreDB endpoint), to
 * refuse copying a store onto itself; undefined for a store of another kind.
 */
export function storeIdentity(store: EventStore): string | undefined {
  const { path, endpoint } = store as { path?: unknown; endpoint?: unknown };
  if (store.constructor?.name === 'SqliteEventStore' && typeof path === 'string')
    return `sqlite:${realPath(path)}`;
  if (store.constructor?.name === 'EventStoreDBEventStore' && typeof endpoint === 'string')
    return `esdb:${endpoint.toLowerCase()}`;
  return undefined;
}

/** The identity of a location, the same way {@link storeIdentity} gives it for an opened store. */
export function identityOf(location: StoreLocation): string {
  return location.kind === 'sqlite' ? `sqlite:${realPath(location.path)}` : locationIdentity(location);
}

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
