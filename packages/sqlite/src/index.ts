/**
 * Embedded, durable event store and read-model store on SQLite.
 *
 * @packageDocumentation
 * @module @rewind/sqlite
 */
export { SqliteEventStore, type SqliteEventStoreOptions } from './eventStore/sqliteEventStore';
export { SqliteSnapshotStorage } from './eventStore/sqliteSnapshotStorage';
export { mapSqliteError } from './eventStore/sqliteErrors';
export { SCHEMA_VERSION } from './eventStore/schema';
export { SqliteReadModelStore, type SqliteReadModelStoreOptions } from './readModel/sqliteReadModelStore';
