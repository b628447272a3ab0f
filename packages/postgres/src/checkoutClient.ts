import type { Pool, PoolClient } from 'pg';
import { StoreUnavailableError } from '@rewind/core';
import { mapPostgresError, type PostgresTarget } from './postgresErrors';

/** A client checked out of the pool by {@link checkoutClient}. */
export interface CheckedOutClient {
  readonly client: PoolClient;
  /** The connection error the client reported while out (a server restart, a dropped socket), if any. */
  readonly lost: () => Error | undefined;
  /** Gives the client back: as broken (the pool discards it) when it lost its connection or `broken` is given. */
  release(broken?: Error): void;
}

/**
 * Checks a client out of the pool with an `'error'` listener for as long as it is out. `pg` emits
 * `'error'` on a client whose connection dies between queries (a server restart terminates it with
 * 57P01, a network drop resets it); the pool listens only to idle clients, so without this a restart
 * of the server crashes the process. Here the error is kept, what runs on the client fails, and the
 * client is released as broken.
 * @throws StoreUnavailableError (or StoreError) when no client can be had.
 */
export async function checkoutClient(
  pool: Pool,
  target: PostgresTarget,
  action: string,
): Promise<CheckedOutClient> {
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw mapPostgresError(error, target, action);
  }
  let lost: Error | undefined;
  const onError = (error: Error) => (lost ??= error);
  client.on('error', onError);
  return {
    client,
    lost: () => lost,
    release(broken) {
      client.off('error', onError);
      client.release(lost ?? broken);
    },
  };
}

/**
 * The error to report for work that failed on a client whose connection was lost: always a
 * StoreUnavailableError (with the vendor's error as `cause`), so callers retry instead of blaming
 * the work — whatever the work itself threw once its queries started failing.
 */
export function connectionLost(lost: Error, target: PostgresTarget, action: string): StoreUnavailableError {
  const mapped = mapPostgresError(lost, target, action);
  if (mapped instanceof StoreUnavailableError) return mapped;
  return new StoreUnavailableError(
    `Cannot ${action}: the connection to PostgreSQL at ${target.host}:${target.port}, database ` +
      `"${target.database}" was lost (${lost.message}). Nothing was committed; retry when the server is up.`,
    { cause: lost },
  );
}
