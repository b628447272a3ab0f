import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A PostgreSQL cluster started for a test run; `stop()` removes it entirely. */
export interface ThrowawayPostgres {
  /** Connection string for the `postgres` database as the `postgres` superuser (trust auth). */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /**
   * Restarts the server on the same port and data, as an operator would: `pg_ctl stop -m fast` (open
   * connections are terminated with 57P01), `downMs` with no server (default 0), then start again.
   * Resolves once it accepts connections.
   */
  restart(options?: { readonly downMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

/** Finds the directory holding initdb and pg_ctl: PATH, then Debian's /usr/lib/postgresql/<v>/bin. */
export function findPostgresBinaries(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(base, versions[0]!, 'bin') : undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Options for {@link startThrowawayPostgres}. */
export interface ThrowawayPostgresOptions {
  /**
   * Run with PostgreSQL's durable defaults (`fsync=on`, `synchronous_commit=on`,
   * `full_page_writes=on`) instead of the tests' fsync off: for benchmarks of durable writes.
   * Default false.
   */
  readonly durable?: boolean;
}

/**
 * Starts a throwaway PostgreSQL cluster on a free loopback port, in a temporary directory, with
 * fsync off (tests only; `durable: true` keeps PostgreSQL's durable settings). Runs as the `postgres` user when the process is root, because PostgreSQL
 * refuses to run as root.
 *
 * @example
 * const pg = await startThrowawayPostgres();
 * const pool = new Pool({ connectionString: pg.url });
 * ...
 * await pool.end(); await pg.stop();
 * @throws Error when the PostgreSQL binaries are missing, saying how to install them.
 */
export async function startThrowawayPostgres(
  options: ThrowawayPostgresOptions = {},
): Promise<ThrowawayPostgres> {
  const durability = options.durable
    ? '-c fsync=on -c synchronous_commit=on -c full_page_writes=on'
    : '-c fsync=off -c synchronous_commit=off -c full_page_writes=off';
  const bin = findPostgresBinaries();
  if (!bin) {
    throw new Error(
      'PostgreSQL binaries (initdb, pg_ctl) were not found on PATH or in /usr/lib/postgresql/*/bin. ' +
        'Install them (Debian/Ubuntu: apt-get install -y postgresql) — .ci/run does this on CI.',
    );
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'rewind-pg-'));
  const asRoot = userInfo().uid === 0;
  const exec = async (command: string, args: string[]) => {
    const file = join(bin, command);
    return asRoot ? run('runuser', ['-u', 'postgres', '--', file, ...args]) : run(file, args);
  };
  if (asRoot) {
    const ids = await run('id', ['-u', 'postgres']).then(
      async (uid) => ({
        uid: Number(uid.stdout.trim()),
        gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()),
      }),
      () => undefined,
    );
    if (!ids)
      throw new Error(
        'Running as root but there is no "postgres" user to run PostgreSQL as. Create it or run as a normal user.',
      );
    chownSync(dataDir, ids.uid, ids.gid);
  }
  await exec('initdb', [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--auth=trust',
    '--no-sync',
    '-E',
    'UTF8',
    '--locale=C',
  ]);
  let port = 0;
  const start = () =>
    exec('pg_ctl', [
      '-D',
      dataDir,
      '-l',
      join(dataDir, 'server.log'),
      '-o',
      `-p ${port} -k ${dataDir} -c listen_addresses=127.0.0.1 ${durability} -c max_connections=200`,
      '-w',
      'start',
    ]);
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await start();
      break;
    } catch (error) {
      if (attempt >= 2) {
        rmSync(dataDir, { recursive: true, force: true });
        throw error;
      }
    }
  }
  let stopped = false;
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    async restart(options = {}) {
      await exec('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
      if (options.downMs) await new Promise((resolve) => setTimeout(resolve, options.downMs));
      await start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await exec('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
