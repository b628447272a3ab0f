import { Client } from 'pg';
import {
  startThrowawayPgBouncer,
  startThrowawayPostgres,
  type ThrowawayPgBouncer,
  type ThrowawayPostgres,
} from '@rewind/testing/postgres';

jest.setTimeout(60_000);

const pid = async (client: Client) =>
  (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

/** Connected clients, all ended after the test. */
async function clients(url: string, n: number, opened: Client[]): Promise<Client[]> {
  const made = Array.from({ length: n }, () => new Client({ connectionString: url }));
  opened.push(...made);
  await Promise.all(made.map((c) => c.connect()));
  return made;
}

/**
 * Client `a` ran its last statement on server connection `p1`: with a pool of two, keeps `p1` busy
 * in another client's open transaction (and the other server connection free), whichever server
 * connection the bouncer hands out. Returns the clients holding transactions.
 */
async function occupy(p1: number, holders: Client[]): Promise<void> {
  const [x, y] = holders;
  await x!.query('BEGIN');
  if ((await pid(x!)) === p1) return;
  // x holds the other one: y can only get p1; then x lets the other one go
  await y!.query('BEGIN');
  expect(await pid(y!)).toBe(p1);
  await x!.query('COMMIT');
}

describe('startThrowawayPgBouncer', () => {
  let pg: ThrowawayPostgres;
  const bouncers: ThrowawayPgBouncer[] = [];
  let opened: Client[] = [];
  beforeAll(async () => {
    pg = await startThrowawayPostgres();
  }, 60_000);
  afterEach(async () => {
    await Promise.all(opened.map((c) => c.end().catch(() => undefined)));
    opened = [];
  });
  afterAll(async () => {
    await Promise.all(bouncers.map((b) => b.stop()));
    await pg?.stop();
  });
  const bouncer = async (options: Parameters<typeof startThrowawayPgBouncer>[1]) => {
    const started = await startThrowawayPgBouncer(pg, options);
    bouncers.push(started);
    return started;
  };

  it('in transaction mode, runs one client’s consecutive statements on different server connections', async () => {
    const b = await bouncer({ poolMode: 'transaction', defaultPoolSize: 2 });
    expect(b.url).toBe(pg.url.replace(`:${pg.port}/`, `:${b.port}/`));
    expect(b.version).toMatch(/^PgBouncer \d+\.\d+/);
    const [a, ...holders] = await clients(b.url, 3, opened);
    const p1 = await pid(a!);
    await occupy(p1, holders);
    expect(await pid(a!)).not.toBe(p1); // same client, another server session
    // a transaction stays on one server connection
    await a!.query('BEGIN');
    const inTx = await pid(a!);
    expect(await pid(a!)).toBe(inTx);
    await a!.query('COMMIT');
  });

  it('in transaction mode, shares a server session between clients: a session SET leaks to another', async () => {
    const b = await bouncer({ defaultPoolSize: 1 });
    expect(b.poolMode).toBe('transaction');
    const [a, c] = await clients(b.url, 2, opened);
    await a!.query("SET search_path = 'leaked_from_a'");
    const { rows } = await c!.query<{ search_path: string }>('SHOW search_path');
    expect(rows[0]!.search_path).toContain('leaked_from_a');
    expect(await pid(a!)).toBe(await pid(c!));
  });

  it('in session mode, keeps a client on one server connection', async () => {
    const b = await bouncer({ poolMode: 'session', defaultPoolSize: 2 });
    const [a] = await clients(b.url, 1, opened);
    const p1 = await pid(a!);
    const [x] = await clients(b.url, 1, opened);
    await x!.query('BEGIN');
    expect(await pid(x!)).not.toBe(p1);
    await x!.query('COMMIT');
    expect(await pid(a!)).toBe(p1);
  });

  it('restarts on the same port: old connections are dropped, new ones work', async () => {
    const b = await bouncer({});
    const [before] = await clients(b.url, 1, opened);
    const dropped = new Promise<Error>((resolve) => before!.on('error', resolve));
    await b.restart();
    await dropped;
    const [after] = await clients(b.url, 1, opened);
    expect((await after!.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1);
  });
});
