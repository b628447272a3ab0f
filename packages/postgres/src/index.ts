/**
 * Event store, snapshots, read-model store and checkpoints in PostgreSQL.
 *
 * @packageDocumentation
 * @module @rewind/postgres
 */
export { PostgresReadModelStore, type PostgresReadModelStoreOptions } from './postgresReadModelStore';
export { mapPostgresError, type PostgresTarget } from './postgresErrors';
export { checkSchemaName, SCHEMA_VERSION } from './schema';
export { PostgresEventStore, type PostgresEventStoreOptions } from './eventStore/postgresEventStore';
export { PostgresSnapshotStorage } from './eventStore/postgresSnapshotStorage';
export {
  checkServerVersion,
  EVENT_STORE_SCHEMA_VERSION,
  MIN_SERVER_VERSION_NUM,
} from './eventStore/eventStoreSchema';
export { InlineRejectedError } from './eventStore/inlineProjections';
