/**
 * Throwaway PostgreSQL clusters (`initdb` + `pg_ctl` on a free loopback port) for integration tests,
 * and throwaway PgBouncers in front of them (transaction or session pooling).
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
export {
  startThrowawayPgBouncer,
  findPgBouncerBinary,
  type ThrowawayPgBouncer,
  type ThrowawayPgBouncerOptions,
} from './postgres/throwawayPgBouncer';
