import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { RewindError, StoreError, StoreUnavailableError } from '@rewind/core';

/** better-sqlite3's error, as far as Rewind reads it. */
interface SqliteLikeError {
  readonly code?: string;
  readonly message?: string;
}

/**
 * Translates a better-sqlite3 error into the Rewind family, in one place, keeping the original as
 * `cause`. Reads the SQLite result code, never the message text: a file that cannot be opened, is
 * corrupt or not a database, is read-only, stays locked past the busy timeout, or sits on a failing
 * or full disk gives a `StoreUnavailableError` naming the path and what to do; anything else a
 * `StoreError`. Rewind errors pass through unchanged.
 *
 * @param error what better-sqlite3 threw
 * @param path the database file, named in the message
 * @param action what was being done, e.g. `'read $all'`, completing "while trying to ..."
 * @param store which store failed, named in the message: `'event store'` or `'read-model store'`
 * @example
 * try { db.exec(sql); } catch (error) { throw mapSqliteError(error, path, 'create the tables'); }
 */
export function mapSqliteError(
  error: unknown,
  path: string,
  action: string,
  store: 'event store' | 'read-model store' = 'event store',
): RewindError {
  if (error instanceof RewindError) return error;
  const code = (error as SqliteLikeError | undefined)?.code ?? '';
  const where = `SQLite ${store} "${path}"`;
  if (code === 'SQLITE_CANTOPEN') {
    return new StoreUnavailableError(
      `Cannot open ${where} while trying to ${action}: the file cannot be opened or created. ` +
        (existsSync(dirname(path))
          ? 'Check that the process may read and write the file and its directory.'
          : `The directory "${dirname(path)}" does not exist: create it first.`),
      { cause: error },
    );
  }
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || code.startsWith('SQLITE_CORRUPT')) {
    return new StoreUnavailableError(
      `${where} is not a valid SQLite database or is corrupt (${code}) while trying to ${action}. ` +
        'Restore it from a backup, or point Rewind at a new file.',
      { cause: error },
    );
  }
  if (code === 'SQLITE_READONLY' || code.startsWith('SQLITE_READONLY')) {
    return new StoreUnavailableError(
      `${where} is read-only (${code}) while trying to ${action}. Give the process write access to the file, ` +
        'its -wal and -shm files and their directory.',
      { cause: error },
    );
  }
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY')) {
    return new StoreUnavailableError(
      `${where} stayed locked by another process longer than the busy timeout while trying to ${action}. ` +
        'Raise busyTimeoutMs, or find the process holding a long write transaction.',
      { cause: error },
    );
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return new StoreUnavailableError(
      `The disk failed under ${where} (${code}) while trying to ${action}. Check the disk and the file system ` +
        '(a network file system cannot hold a SQLite file in WAL mode), then open the store again.',
      { cause: error },
    );
  }
  if (code === 'SQLITE_FULL') {
    return new StoreUnavailableError(
      `The disk holding ${where} is full while trying to ${action}. Free space.`,
      {
        cause: error,
      },
    );
  }
  return new StoreError(
    `${where} failed while trying to ${action}: ${(error as Error)?.message ?? String(error)}` +
      (code ? ` (${code})` : ''),
    { cause: error },
  );
}
