/**
 * Read-model store and checkpoints in PostgreSQL.
 *
 * @packageDocumentation
 * @module @rewind/postgres
 */
export { PostgresReadModelStore, type PostgresReadModelStoreOptions } from './postgresReadModelStore';
export { mapPostgresError, type PostgresTarget } from './postgresErrors';
export { checkSchemaName, SCHEMA_VERSION } from './schema';
