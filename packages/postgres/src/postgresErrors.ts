import { ConfigurationError, RewindError, StoreError, StoreUnavailableError } from '@rewind/core';

/** Where a store connects, for messages (never the password). */
export interface PostgresTarget {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user?: string;
}

/** What Rewind reads from a `pg` or Node socket error: codes, never message text. */
interface PgLikeError {
  /** SQLSTATE (`28P01`) from the server, or a Node errno (`ECONNREFUSED`) from the socket. */
  readonly code?: string;
  readonly message?: string;
}

const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

/** SQLSTATE class 08 codes that mean the connection is gone (not 08P01, a protocol violation). */
const CONNECTION_LOST = new Set(['08000', '08001', '08003', '08004', '08006']);

/**
 * Translates any error from `pg` into the Rewind family, in one place, keeping the original as `cause`.
 * Reads SQLSTATE codes and Node errnos, never message text:
 * - RewindErrors (ValidationError, LockLostError, ...) pass through unchanged;
 * - the server cannot be reached, refuses the login, the database is missing, the server is shutting
 *   down or full of connections → StoreUnavailableError naming host:port/database and what to check;
 * - a named prepared statement the server session already has or lacks (42P05, 26000: a pooler in
 *   transaction mode) → ConfigurationError saying to connect with `preparedStatements: false`;
 * - anything else → StoreError.
 */
export function mapPostgresError(error: unknown, target: PostgresTarget, action: string): RewindError {
  if (error instanceof RewindError) return error;
  const code = (error as PgLikeError | undefined)?.code ?? '';
  const where = `PostgreSQL at ${target.host}:${target.port}, database "${target.database}"`;
  const detail = (error as PgLikeError | undefined)?.message ?? String(error);
  const unavailable = (advice: string) =>
    new StoreUnavailableError(`Cannot ${action}: ${where} ${advice} (${code || 'no code'})`, {
      cause: error,
    });
  if (code === 'ECONNREFUSED') {
    return unavailable(
      'refused the connection. Check that the server runs and listens on that host and port (listen_addresses, port), and the connection string.',
    );
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return unavailable(
      'cannot be found: the host name does not resolve. Check the host in the connection string.',
    );
  }
  if (NETWORK.has(code)) {
    return unavailable(
      'could not be reached or dropped the connection. Check the network and that the server runs.',
    );
  }
  if (code === '28P01' || code === '28000') {
    return unavailable(
      `refused the login${target.user ? ` of user "${target.user}"` : ''}. Check the user and password, and pg_hba.conf.`,
    );
  }
  if (code === '3D000') {
    return unavailable(
      `has no such database. Create it (CREATE DATABASE "${target.database}") or fix the connection string.`,
    );
  }
  if (code === '53300') {
    return unavailable(
      'has no free connections (too_many_connections). Lower the pool size or raise max_connections.',
    );
  }
  if (CONNECTION_LOST.has(code) || code === '57P01' || code === '57P02' || code === '57P03') {
    return unavailable(
      'closed or refused the connection (it may be starting up or shutting down). Retry when it is up.',
    );
  }
  if (code === '42P05' || code === '26000') {
    // `pg` prepares a named statement once per connection and remembers it; the server session says it
    // already has it (42P05) or has none (26000): another client prepared it on this session, or this
    // client's statements now run on another session — a pooler in transaction mode.
    return new ConfigurationError(
      `Cannot ${action}: ${where} ${code === '42P05' ? 'already has' : 'does not have'} the named prepared statement this connection expected (${code}). ` +
        'The connection goes through a pooler in transaction mode that does not track prepared statements ' +
        '(PgBouncer before 1.21, or max_prepared_statements = 0): connect with preparedStatements: false, ' +
        `or enable prepared statements in the pooler. ${detail}`,
      { cause: error },
    );
  }
  if (code === '42501') {
    return new StoreError(
      `Cannot ${action}: ${where} denied a privilege (${code}). Grant the user rights on the Rewind schema: ${detail}`,
      { cause: error },
    );
  }
  return new StoreError(`Cannot ${action}: ${where} failed: ${detail}${code ? ` (${code})` : ''}`, {
    cause: error,
  });
}
