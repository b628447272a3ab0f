// @rewind/testing/postgres — throwaway PostgreSQL clusters (initdb + pg_ctl) for integration tests.
export {
  startThrowawayPostgres,
  findPostgresBinaries,
  type ThrowawayPostgres,
} from './postgres/throwawayPostgres';
