import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

jest.setTimeout(120_000);

const SERVE = path.resolve(__dirname, '..', '..', 'dist', 'serve.js');
const agent = new Agent({ keepAlive: true, maxSockets: 16 });

/** One HTTP request to the server: its status, body and how long it took. */
function send(
  base: string,
  method: string,
  url: string,
  body?: Buffer,
): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}${url}`,
      { method, agent, headers: body ? { 'content-type': 'application/json' } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - started,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A POST that announces a body of `length` bytes and sends none of it: the server must answer from the
 * length alone. (Sending the body races the server's refusal: it answers 413 and closes the
 * connection while the body is still being written, and the client then fails with EPIPE or a hang-up
 * before it reads the answer. Never sending it rules that out, and a server that waited for the body
 * would never answer.)
 */
function announce(base: string, url: string, length: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}${url}`,
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': String(length) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
          req.destroy(); // the request was never finished: its connection cannot be reused
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject); // after the answer, the connection closing is expected and ignored
    req.flushHeaders();
  });
}

/** Starts `node dist/serve.js` on a free port in its own data directory and waits until it listens. */
function startServer(dataDir: string): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, [SERVE], {
    env: { ...process.env, PORT: '0', REWIND_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    // The log keeps being read (only its start kept), so the server never blocks on a full pipe.
    let output = '';
    const onData = (chunk: Buffer) => {
      if (output.length < 64_000) output += chunk.toString('utf8');
      const address = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      if (address) resolve({ child, base: address });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`serve.js exited (${code}) before listening:\n${output}`)));
  });
}

describe('the HTTP API under a flood of oversized orders (node dist/serve.js)', () => {
  let dataDir: string;
  let server: { child: ChildProcess; base: string };

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'energy-bar-shop-flood-'));
    server = await startServer(dataDir);
    const product = Buffer.from(JSON.stringify({ productId: 'energy-bar', name: 'energy bar', price: 2500 }));
    expect((await send(server.base, 'POST', '/menu/products', product)).status).toBe(201);
  });

  afterAll(async () => {
    agent.destroy();
    if (server?.child.exitCode === null) {
      const exited = new Promise((resolve) => server.child.once('exit', resolve));
      server.child.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses a flood of 1 MB orders from their length alone (413), answering GET /menu throughout', async () => {
    // ~1 MB each: 25,000 lines where 20 are allowed.
    const flood = Buffer.from(
      JSON.stringify({
        customer: 'Flood',
        address: '1 Flood-ro',
        paymentMethod: 'card-4242',
        lines: Array.from({ length: 25_000 }, () => ({ productId: 'energy-bar', quantity: 1 })),
      }),
    );
    const refusals: Array<{ status: number; body: string }> = [];
    let flooding = true;
    const flooders = Array.from({ length: 4 }, async () => {
      for (let i = 0; i < 25; i++) refusals.push(await announce(server.base, '/orders', flood.length));
    });
    const menus: number[] = [];
    const prober = (async () => {
      while (flooding) menus.push((await send(server.base, 'GET', '/menu')).status);
    })();
    await Promise.all(flooders);
    flooding = false;
    await prober;

    // How fast the server answers under the flood is a speed figure, not asserted here; what is pinned is
    // the cause of the old stall: no oversized body is read or parsed.
    expect(refusals).toHaveLength(100);
    expect(new Set(refusals.map((r) => r.status))).toEqual(new Set([413]));
    expect(JSON.parse(refusals[0]!.body)).toMatchObject({ type: '/problems/payload-too-large', status: 413 });
    expect(menus.length).toBeGreaterThan(0);
    expect(new Set(menus)).toEqual(new Set([200]));
    expect((await send(server.base, 'GET', '/orders')).body).toBe('[]');
  });

  it('refuses an order over 20 lines that fits the body limit by its schema (400 naming lines)', async () => {
    const order = Buffer.from(
      JSON.stringify({
        customer: 'Many',
        address: '1 Many-ro',
        paymentMethod: 'card-4242',
        lines: Array.from({ length: 25 }, () => ({ productId: 'energy-bar', quantity: 1 })),
      }),
    );
    const { status, body } = await send(server.base, 'POST', '/orders', order);
    expect(status).toBe(400);
    expect(JSON.parse(body)).toMatchObject({
      type: '/problems/validation-failed',
      errors: [{ in: 'body', path: 'lines', message: 'must NOT have more than 20 items' }],
    });
  });
});
