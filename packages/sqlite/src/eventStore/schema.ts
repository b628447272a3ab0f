import type Database from 'better-sqlite3';
import { StoreUnavailableError } from '@rewind/core';
import { listTables, tablesOf } from '../fileOwnership';

/** The schema version this code writes (kept in `PRAGMA user_version`). */
export const SCHEMA_VERSION = 2;

/**
 * Forward migrations: index i takes the schema from version i to i + 1. Never edit a released one;
 * append a new one and raise {@link SCHEMA_VERSION}.
 *
 * `recorded_at` never decreases along `position` (each commit stamps max(now, last recorded_at),
 * read inside the write transaction), so within a stream it never decreases along `revision` either:
 * that is what lets a read "as of a time" seek the by-stream-time index instead of scanning.
 */
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
  // 1 → 2: readStream({ until }) finds the stream's last revision at a moment with one index seek.
  (db) => {
    db.exec('CREATE INDEX rewind_events_by_stream_time ON rewind_events (stream_id, recorded_at, revision)');
  },
];

const OWN_TABLES = new Set(['rewind_events', 'rewind_streams', 'rewind_snapshots']);

/**
 * Checks, reading only, that a database is a Rewind event store this code can open (or a new, empty
 * file): never a file of another application, whatever its `user_version`, and never one written by a
 * newer Rewind. Run it before anything that writes, even a pragma.
 * @returns the file's schema version (0 for a new file).
 * @throws StoreUnavailableError naming the path, what the file is and what to do.
 */
export function checkSchema(db: Database.Database, path: string): number {
  const version = db.pragma('user_version', { simple: true }) as number;
  const tables = tablesOf(db);
  const foreign = tables.filter(
    (name) => !OWN_TABLES.has(name) && !name.startsWith('rm_') && !name.startsWith('rewind_'),
  );
  // A fresh file may already hold the read-model store's tables (rm_*): the two share files by design.
  if (version === 0 && foreign.length > 0) {
    throw new StoreUnavailableError(
      `"${path}" is a SQLite database but not a Rewind event store (it has tables: ${listTables(foreign)}). ` +
        'Point Rewind at a new file, or at the file Rewind created.',
    );
  }
  if (version > 0 && !tables.includes('rewind_events')) {
    throw new StoreUnavailableError(
      `"${path}" is a SQLite database but not a Rewind event store: it has PRAGMA user_version ${version} ` +
        `and no rewind_events table (${tables.length ? `it has tables: ${listTables(tables)}` : 'it has no tables'}). ` +
        'It belongs to another application (or is a damaged Rewind store: restore it from a backup). ' +
        'Point Rewind at a new file, or at the file Rewind created.',
    );
  }
  if (version > SCHEMA_VERSION) {
    throw new StoreUnavailableError(
      `Cannot open the SQLite event store "${path}": it was written by a newer Rewind (schema version ${version}; ` +
        `this @rewind/sqlite reads schema versions up to ${SCHEMA_VERSION}). Upgrade @rewind/sqlite in this ` +
        'application; an older version must never write to it.',
    );
  }
  return version;
}

/**
 * Brings a database to {@link SCHEMA_VERSION} after {@link checkSchema}, refusing files written by a
 * newer Rewind and SQLite files that are not Rewind event stores.
 * @throws StoreUnavailableError naming the path and what to do.
 */
export function migrate(
  db: Database.Database,
  path: string,
  target = SCHEMA_VERSION,
): { readonly from: number; readonly to: number } {
  const version = checkSchema(db, path);
  let from: number | undefined;
  for (let v = version; v < target; v++) {
    db.transaction(() => {
      // Several processes may open a new or old file at once: whoever takes the write lock first
      // migrates, the others find the step done.
      if ((db.pragma('user_version', { simple: true }) as number) > v) return;
      MIGRATIONS[v]!(db);
      db.pragma(`user_version = ${v + 1}`);
      from ??= v;
    }).immediate();
  }
  return { from: from ?? target, to: target };
}
