import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresReadModelStore } from '@rewind/postgres';
import { SqliteEventStore } from '@rewind/sqlite';
import { startThrowawayPostgres, type ThrowawayPostgres } from '@rewind/testing';

// The child process runs the BUILT packages (dist): `npm test` builds first; by hand run
// `npx tsc -b packages/postgres packages/sqlite`.
const projector = join(__dirname, 'fixtures', 'projector.js');
const meta = { schemaVersion: 1, correlationId: 'c', causationId: 'c', occurredAt: new Date().toISOString() };
const TOTAL = 4000;

let pg: ThrowawayPostgres;
let dir: string;
beforeAll(async () => {
  pg = await startThrowawayPostgres();
  dir = mkdtempSync(join(tmpdir(), 'rewind-pg-crash-'));
}, 60_000);
afterAll(async () => {
  await pg?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function fill(path: string, count: number, keys: number) {
  const store = SqliteEventStore.open({ path, synchronous: 'normal' });
  for (let i = 0; i < count; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, count - i) }, (_, j) =>
        store.append(`rel-${(i + j) % keys}`, [
          { type: 'rel.counted', data: { key: `k${(i + j) % keys}`, n: i + j }, metadata: meta },
        ]),
      ),
    );
  }
  await store.close();
}

function run(args: string[]) {
  const child = spawn(process.execPath, [projector, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => out, errors: () => err };
}

async function readModel(schema: string) {
  const store = await PostgresReadModelStore.connect({ connectionString: pg.url, schema });
  try {
    const ns = await store.servedNamespace('rel-counters');
    if (!ns) return { counters: {}, seen: [], checkpoint: undefined };
    const counters = Object.fromEntries(
      (await store.collection(ns, 'counters').find()).map((e) => [e.key, e.doc as { count: number }]),
    );
    const seen = await store.collection(ns, 'seen').find();
    const checkpoint = await store.transaction(ns, (tx) => tx.getCheckpoint());
    return { counters, seen, checkpoint };
  } finally {
    await store.close();
  }
}

const applied = (counters: Record<string, { count: number }>) =>
  Object.values(counters).reduce((n, c) => n + c.count, 0);

describe('projections on PostgreSQL, with real processes', () => {
  it('equals a from-scratch build after SIGKILL mid-batch, again and again, counting nothing twice', async () => {
    const events = join(dir, 'events.db');
    await fill(events, TOTAL, 13);
    const progress: number[] = [];
    for (let round = 0; round < 5; round++) {
      const p = run([events, pg.url, 'crashed', `killed-${round}`, '--slow']);
      // wait until it applies events, then kill it at a random moment of its batches
      // (generous: a busy machine can take seconds to start a node process)
      for (let i = 0; i < 3000 && !/state catching-up [1-9]/.test(p.output()) && !p.errors(); i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(p.errors()).toBe('');
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 250));
      p.child.kill('SIGKILL');
      expect(await p.exited).toBeNull(); // killed, not exited
      const model = await readModel('crashed');
      // every committed state is consistent: each event seen once, counters agree with what was seen
      expect(model.seen.every((s) => (s.doc as { times: number }).times === 1)).toBe(true);
      expect(applied(model.counters)).toBe(model.seen.length);
      progress.push(model.seen.length);
    }
    // the kills hit a runner with work left, and each run got further
    expect(progress.at(-1)).toBeGreaterThan(0);
    expect(progress.at(-1)).toBeLessThan(TOTAL);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));

    const last = run([events, pg.url, 'crashed', 'finisher', '--until-caught-up']);
    expect({ code: await last.exited, errors: last.errors() }).toEqual({ code: 0, errors: '' });
    const crashed = await readModel('crashed');

    const clean = run([events, pg.url, 'scratch', 'clean', '--until-caught-up']);
    expect({ code: await clean.exited, errors: clean.errors() }).toEqual({ code: 0, errors: '' });
    const scratch = await readModel('scratch');

    expect(crashed.counters).toEqual(scratch.counters);
    expect(crashed.checkpoint).toEqual(scratch.checkpoint);
    expect(applied(crashed.counters)).toBe(TOTAL);
    expect(crashed.seen).toHaveLength(TOTAL);
    expect(crashed.seen.every((s) => (s.doc as { times: number }).times === 1)).toBe(true);
  }, 240_000);
});
