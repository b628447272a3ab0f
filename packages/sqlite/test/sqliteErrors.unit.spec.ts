import { ConcurrencyError, RewindError, StoreError, StoreUnavailableError } from '@rewind/core';
import { mapSqliteError } from '../src/eventStore/sqliteErrors';

const sqliteError = (code: string) => Object.assign(new Error(`boom ${code}`), { code });
const path = '/data/events.db';

describe(mapSqliteError.name, () => {
  it.each([
    ['SQLITE_CANTOPEN', /cannot be opened or created/],
    ['SQLITE_NOTADB', /not a valid SQLite database or is corrupt.*Restore it from a backup/],
    ['SQLITE_CORRUPT', /corrupt.*Restore it from a backup/],
    ['SQLITE_CORRUPT_INDEX', /corrupt/],
    ['SQLITE_READONLY', /read-only.*write access/],
    ['SQLITE_READONLY_DBMOVED', /read-only/],
    ['SQLITE_BUSY', /locked by another process.*busyTimeoutMs/],
    ['SQLITE_IOERR_FSYNC', /disk failed/],
    ['SQLITE_FULL', /disk .* is full/],
  ])('turns %s into a StoreUnavailableError that names the path and the fix', (code, message) => {
    const original = sqliteError(code);
    const mapped = mapSqliteError(original, path, 'append');
    expect(mapped).toBeInstanceOf(StoreUnavailableError);
    expect(mapped.message).toContain(path);
    expect(mapped.message).toMatch(message);
    expect(mapped.cause).toBe(original);
  });

  it('turns any other SQLite error into a StoreError with the code and the action', () => {
    const original = sqliteError('SQLITE_CONSTRAINT_UNIQUE');
    const mapped = mapSqliteError(original, path, 'append to 3 stream(s)');
    expect(mapped).toBeInstanceOf(StoreError);
    expect(mapped).not.toBeInstanceOf(StoreUnavailableError);
    expect(mapped.message).toMatch(/while trying to append to 3 stream\(s\).*SQLITE_CONSTRAINT_UNIQUE/);
    expect(mapped.cause).toBe(original);
  });

  it('names the store that failed', () => {
    expect(mapSqliteError(sqliteError('SQLITE_BUSY'), path, 'commit')).toMatchObject({
      message: expect.stringContaining(`SQLite event store "${path}"`),
    });
    const readModels = mapSqliteError(sqliteError('SQLITE_BUSY'), path, 'commit', 'read-model store');
    expect(readModels.message).toContain(`SQLite read-model store "${path}"`);
    expect(readModels.message).not.toContain('event store');
  });

  it('passes Rewind errors through unchanged', () => {
    const conflict = new ConcurrencyError('order-1', 0n, 1n);
    expect(mapSqliteError(conflict, path, 'append')).toBe(conflict);
    expect(mapSqliteError(new TypeError('x'), path, 'read')).toBeInstanceOf(RewindError);
  });
});
