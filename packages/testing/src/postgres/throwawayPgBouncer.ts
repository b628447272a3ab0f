import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ThrowawayPostgres } from './throwawayPostgres';

const run = promisify(execFile);

/** Options for {@link startThrowawayPgBouncer}. */
export interface ThrowawayPgBouncerOptions {
  /** `transaction` (default): a server connection per transaction; `session`: one per client connection. */
  readonly poolMode?: 'transaction' | 'session';
  /** Server connections per database and user (default 2): few, so that clients share them. */
  readonly defaultPoolSize?: number;
}

/** A PgBouncer started for a test run in front of a {@link ThrowawayPostgres}; `stop()` removes it. */
export interface ThrowawayPgBouncer {
  /** The cluster's url (same database and user) on the bouncer's port. */
  readonly url: string;
  readonly port: number;
  readonly poolMode: 'transaction' | 'session';
  readonly defaultPoolSize: number;
  /** PgBouncer's version as it reports it (`PgBouncer 1.18.0`). */
  readonly version: string;
  /**
   * Stops the bouncer (open client and server connections are dropped) and starts it again on the
   * same port. Resolves once it accepts connections.
   */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Finds the `pgbouncer` binary: PATH, then /usr/sbin and /usr/bin (Debian installs it in /usr/sbin). */
export function findPgBouncerBinary(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin', '/usr/local/bin'];
  for (const dir of dirs) {
    if (dir && existsSync(join(dir, 'pgbouncer'))) return join(dir, 'pgbouncer');
  }
  return undefined;
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

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts a throwaway PgBouncer on a free loopback port in front of a throwaway cluster, in a temporary
 * directory, with trust authentication (like the cluster) and few server connections, so that tests
 * see what a pooler does to sessions: in `transaction` mode (the default) consecutive transactions of
 * one client may run on different server connections, and a server connection is shared by clients.
 * Runs as the `postgres` user when the process is root (PgBouncer refuses to run as root).
 *
 * @example
 * const pg = await startThrowawayPostgres();
 * const bouncer = await startThrowawayPgBouncer(pg, { poolMode: 'transaction', defaultPoolSize: 2 });
 * const pool = new Pool({ connectionString: bouncer.url });
 * ...
 * await pool.end(); await bouncer.stop(); await pg.stop();
 * @throws Error when the `pgbouncer` binary is missing, saying how to install it.
 */
export async function startThrowawayPgBouncer(
  postgres: ThrowawayPostgres,
  options: ThrowawayPgBouncerOptions = {},
): Promise<ThrowawayPgBouncer> {
  const binary = findPgBouncerBinary();
  if (!binary) {
    throw new Error(
      'The pgbouncer binary was not found on PATH or in /usr/sbin. Install it (Debian/Ubuntu: ' +
        'apt-get install -y pgbouncer) — .ci/run does this on CI.',
    );
  }
  const poolMode = options.poolMode ?? 'transaction';
  const defaultPoolSize = options.defaultPoolSize ?? 2;
  if (!Number.isInteger(defaultPoolSize) || defaultPoolSize < 1) {
    throw new Error(`defaultPoolSize must be a whole number from 1; got ${defaultPoolSize}.`);
  }
  const version = (await run(binary, ['--version'])).stdout.split('\n')[0]!.trim();
  const dir = mkdtempSync(join(tmpdir(), 'rewind-pgbouncer-'));
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    chownSync(dir, uid, gid);
  }
  const target = new URL(postgres.url);
  const user = decodeURIComponent(target.username) || 'postgres';
  const configFile = join(dir, 'pgbouncer.ini');
  const pidFile = join(dir, 'pgbouncer.pid');
  const logFile = join(dir, 'pgbouncer.log');
  writeFileSync(join(dir, 'userlist.txt'), `"${user}" ""\n`);
  const writeConfig = (port: number) =>
    writeFileSync(
      configFile,
      [
        '[databases]',
        `* = host=127.0.0.1 port=${postgres.port}`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${port}`,
        'unix_socket_dir =',
        'auth_type = trust',
        `auth_file = ${join(dir, 'userlist.txt')}`,
        `pool_mode = ${poolMode}`,
        `default_pool_size = ${defaultPoolSize}`,
        'min_pool_size = 0',
        'reserve_pool_size = 0',
        'max_client_conn = 1000',
        'max_db_connections = 0',
        // pg sends extra_float_digits at startup; PgBouncer refuses unknown startup parameters.
        'ignore_startup_parameters = extra_float_digits',
        `admin_users = ${user}`,
        `logfile = ${logFile}`,
        `pidfile = ${pidFile}`,
        // a client waiting for a server connection fails after this (seconds) instead of hanging a test
        'query_wait_timeout = 60',
        '',
      ].join('\n'),
    );
  const exec = (args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', binary, ...args]) : run(binary, args);

  let port = 0;
  let pid: number | undefined;
  const start = async () => {
    writeConfig(port);
    rmSync(pidFile, { force: true });
    // -d: daemonizes once the configuration is loaded, writing the pid file
    await exec(['-d', configFile]);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const written = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : NaN;
      if (Number.isInteger(written) && written > 0) {
        if (!alive(written)) break;
        if (await accepts(port)) {
          pid = written;
          return;
        }
      }
      if (Date.now() > deadline) break;
      await pause(20);
    }
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-5).join('\n') : '';
    throw new Error(`PgBouncer did not start on 127.0.0.1:${port}:\n${log}`);
  };
  const kill = async () => {
    const running = pid;
    pid = undefined;
    if (running === undefined || !alive(running)) return;
    process.kill(running, 'SIGTERM'); // 1.18: immediate shutdown
    const deadline = Date.now() + 5_000;
    while (alive(running)) {
      if (Date.now() > deadline) {
        process.kill(running, 'SIGKILL');
        break;
      }
      await pause(10);
    }
    // the listening socket is closed once the process is gone
  };

  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await start();
      break;
    } catch (error) {
      await kill();
      if (attempt >= 2) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
  let stopped = false;
  return {
    url: `postgresql://${encodeURIComponent(user)}@127.0.0.1:${port}${target.pathname}`,
    port,
    poolMode,
    defaultPoolSize,
    version,
    async restart() {
      await kill();
      await start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
