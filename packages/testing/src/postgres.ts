/**
 * Throwaway PostgreSQL clusters (`initdb` + `pg_ctl` on a free loopback port) for integration tests.
 *
 * @packageDocumentation
 * @module @rewind/testing/postgres
 */
export {
  startThrowawayPostgres,
  findPostgresBinaries,
  type ThrowawayPostgres,
  type ThrowawayPostgresOptions,
} from './postgres/throwawayPostgres';
