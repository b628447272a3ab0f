import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

jest.setTimeout(120_000);

const SERVE = path.resolve(__dirname, '..', '..', 'dist', 'serve.js');

/** `node dist/serve.js` with console tracing, its output kept to wait on. */
class Server {
  readonly child: ChildProcess;
  output = '';
  private readonly waiters: Array<{ pattern: RegExp; resolve: (match: RegExpExecArray) => void }> = [];

  constructor(dataDir: string) {
    this.child = spawn(process.execPath, [SERVE], {
      env: { ...process.env, PORT: '0', REWIND_DATA_DIR: dataDir, REWIND_TRACING: 'console' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const onData = (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
      for (const waiter of [...this.waiters]) {
        const match = waiter.pattern.exec(this.output);
        if (match) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(match);
        }
      }
    };
    this.child.stdout!.on('data', onData);
    this.child.stderr!.on('data', onData);
  }

  /** Resolves once the output matches `pattern`; rejects if the server exits first. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray> {
    const match = pattern.exec(this.output);
    if (match) return Promise.resolve(match);
    return new Promise((resolve, reject) => {
      this.waiters.push({ pattern, resolve });
      this.child.once('exit', (code) => reject(new Error(`serve.js exited (${code}):\n${this.output}`)));
    });
  }
}

async function post(base: string, url: string, body: unknown): Promise<number> {
  const response = await fetch(`${base}${url}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await response.text();
  return response.status;
}

describe('the shop with REWIND_TRACING=console (node dist/serve.js)', () => {
  let dataDir: string;
  let server: Server;

  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'energy-bar-shop-obs-'));
    server = new Server(dataDir);
  });

  afterAll(async () => {
    if (server.child.exitCode === null) {
      const exited = new Promise((resolve) => server.child.once('exit', resolve));
      server.child.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("logs Rewind through Fastify's pino logger and prints one order's spans, reactors included", async () => {
    const [, base] = await server.waitFor(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/);
    expect(server.output).toContain('tracing to console');
    // Rewind's own log lines, as pino JSON with the child's fields
    await server.waitFor(
      /"component":"rewind".*"projection":"payment-reactor".*took over the projection lease/,
    );

    const product = { productId: 'energy-bar', name: 'energy bar', price: 2500 };
    expect(await post(base!, '/menu/products', product)).toBe(201);
    const order = {
      customer: 'Tracy',
      address: '1 Trace-ro',
      paymentMethod: 'card-4242',
      lines: [{ productId: 'energy-bar', quantity: 1 }],
    };
    expect(await post(base!, '/orders', order)).toBe(201);
    // ConsoleSpanExporter prints each span as an object: `traceId`, `parentSpanContext`, `name`, ...
    const [, traceId] = await server.waitFor(
      /traceId: '([0-9a-f]{32})',\s+parentSpanContext: undefined,\s+traceState: undefined,\s+name: 'rewind\.command',(?:.*\n){1,8}?\s+'rewind\.command\.type': 'PlaceOrder'/,
    );
    // a reactor's span in the same trace: its parent is the append, from the event's $traceparent
    await server.waitFor(
      new RegExp(
        `traceId: '${traceId}',\\s+parentSpanContext: \\{\\s+traceId: '${traceId}',[^}]*\\},\\s+traceState: undefined,\\s+name: 'rewind\\.reactor\\.handle'`,
      ),
    );
  });
});
