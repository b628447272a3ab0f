import type Database from 'better-sqlite3';
import { StoreUnavailableError } from '@rewind/core';

/** The schema version this code writes (kept in `PRAGMA user_version`). */
export const SCHEMA_VERSION = 1;

/** Forward migrations: index i takes the schema from version i to i + 1. */
const MIGRATIONS: ReadonlyArray<(db: Database.Database) => void> = [
  (db) => {
    db.exec(`
      CREATE TABLE rewind_events (
        position    INTEGER PRIMARY KEY,
        stream_id   TEXT    NOT NULL,
        revision    INTEGER NOT NULL,
        event_id    TEXT    NOT NULL,
        type        TEXT    NOT NULL,
        data        TEXT    NOT NULL,
        metadata    TEXT    NOT NULL,
        recorded_at INTEGER NOT NULL,
        UNIQUE (stream_id, revision)
      );
      CREATE INDEX rewind_events_by_type ON rewind_events (type, position);
      CREATE INDEX rewind_events_by_time ON rewind_events (recorded_at, position);
      CREATE TABLE rewind_streams (
        stream_id TEXT    PRIMARY KEY,
        revision  INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE rewind_snapshots (
        stream_id      TEXT    PRIMARY KEY,
        revision       INTEGER NOT NULL,
        schema_version INTEGER NOT NULL,
        state          TEXT    NOT NULL,
        types          TEXT,
        taken_at       INTEGER NOT NULL
      ) WITHOUT ROWID;
    `);
  },
];

const OWN_TABLES = new Set(['rewind_events', 'rewind_streams', 'rewind_snapshots']);

/**
 * Brings a database to {@link SCHEMA_VERSION}, refusing files written by a newer Rewind and SQLite
 * files that are not Rewind event stores.
 * @throws StoreUnavailableError naming the path and what to do.
 */
export function migrate(db: Database.Database, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new StoreUnavailableError(
      `"${path}" was written by a newer Rewind (schema version ${version}; this one reads up to ${SCHEMA_VERSION}). ` +
        'Upgrade @rewind/sqlite here too; never let an older version write to it.',
    );
  }
  const tables = (
    db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]
  )
    .map((t) => t.name)
    .filter((name) => !name.startsWith('sqlite_'));
  const foreign = tables.filter(
    (name) => !OWN_TABLES.has(name) && !name.startsWith('rm_') && !name.startsWith('rewind_'),
  );
  if (version === 0 && tables.length > 0) {
    throw new StoreUnavailableError(
      `"${path}" is a SQLite database but not a Rewind event store (it has tables: ${tables.slice(0, 5).join(', ')}). ` +
        'Point Rewind at a new file, or at the file Rewind created.',
    );
  }
  if (version > 0 && !tables.includes('rewind_events')) {
    throw new StoreUnavailableError(
      `"${path}" says it is Rewind schema version ${version} but has no rewind_events table` +
        (foreign.length ? ` (it has: ${foreign.slice(0, 5).join(', ')})` : '') +
        '. It is damaged or not a Rewind store: restore it from a backup.',
    );
  }
  for (let v = version; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      MIGRATIONS[v]!(db);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
