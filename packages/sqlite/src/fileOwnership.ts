import type Database from 'better-sqlite3';
import { StoreUnavailableError } from '@rewind/core';

/** The tables of a SQLite file, leaving out SQLite's own (`sqlite_*`). */
export function tablesOf(db: Database.Database): string[] {
  return (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[])
    .map((t) => t.name)
    .filter((name) => !name.startsWith('sqlite_'));
}

/** A few table names for a message. */
export function listTables(names: readonly string[]): string {
  return names.slice(0, 5).join(', ') + (names.length > 5 ? ', ...' : '');
}

/**
 * Checks, reading only, that a file may hold read models: a new file, one the read-model store made
 * (`rm_documents`, maybe beside tables of your own), or one shared with the event store
 * (`rewind_events`). Anything else belongs to another application and is refused before a byte of it
 * changes (not even the switch to WAL mode).
 * @throws StoreUnavailableError naming the path and what the file holds.
 */
export function checkReadModelFile(db: Database.Database, path: string): void {
  const tables = tablesOf(db);
  const version = db.pragma('user_version', { simple: true }) as number;
  if (tables.includes('rm_documents') || tables.includes('rewind_events')) return;
  if (tables.length === 0 && version === 0) return;
  const holds = [
    ...(tables.length ? [`it has tables: ${listTables(tables)}`] : []),
    ...(version ? [`PRAGMA user_version ${version}`] : []),
  ].join('; ');
  throw new StoreUnavailableError(
    `"${path}" is a SQLite database but not a Rewind read-model store (${holds}). It belongs to another ` +
      'application: point the read-model store at a new file, or at the file Rewind created.',
  );
}
