import type { Pool, PoolConfig } from 'pg';
import type { PostgresTarget } from './postgresErrors';

/** Where a pool connects (host, port, database, user; never the password), for error messages. */
export function targetOf(pool: Pool, connectionString: string | undefined): PostgresTarget {
  const options = pool.options as PoolConfig;
  let fromUrl: { host?: string; port?: number; database?: string; user?: string } = {};
  const url = connectionString ?? options.connectionString;
  if (url) {
    try {
      const parsed = new URL(url);
      fromUrl = {
        host: decodeURIComponent(parsed.hostname) || undefined,
        port: parsed.port ? Number(parsed.port) : undefined,
        database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || undefined,
        user: decodeURIComponent(parsed.username) || undefined,
      };
    } catch {
      // not a URL (key=value form): fall back to the pool's settings and libpq's defaults
    }
  }
  const user = fromUrl.user ?? options.user ?? process.env.PGUSER;
  return {
    host: fromUrl.host ?? options.host ?? process.env.PGHOST ?? 'localhost',
    port: fromUrl.port ?? options.port ?? (Number(process.env.PGPORT) || 5432),
    database: fromUrl.database ?? options.database ?? process.env.PGDATABASE ?? user ?? 'postgres',
    ...(user ? { user } : {}),
  };
}
