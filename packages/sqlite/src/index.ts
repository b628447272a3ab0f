export { SqliteEventStore, type SqliteEventStoreOptions } from './eventStore/sqliteEventStore';
export { mapSqliteError } from './eventStore/sqliteErrors';
export { SCHEMA_VERSION } from './eventStore/schema';
