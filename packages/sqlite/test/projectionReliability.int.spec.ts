import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore, SqliteReadModelStore } from '@rewind/sqlite';

const projector = join(__dirname, 'fixtures', 'projector.js');
const meta = { schemaVersion: 1, correlationId: 'c', causationId: 'c', occurredAt: new Date().toISOString() };
let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rewind-proj-rel-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

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

async function readModel(path: string) {
  const store = SqliteReadModelStore.open(path);
  try {
    const ns = (await store.servedNamespace('rel-counters'))!;
    const counters = Object.fromEntries(
      (await store.collection(ns, 'counters').find()).map((e) => [e.key, e.doc]),
    );
    const seen = await store.collection(ns, 'seen').find();
    return { counters, seen };
  } finally {
    await store.close();
  }
}

describe('projections on SQLite, with real processes', () => {
  it('equals a from-scratch build after SIGKILL mid-batch, again and again, counting nothing twice', async () => {
    const events = join(dir, 'events.db');
    const models = join(dir, 'readmodels.db');
    await fill(events, 3000, 13);
    for (let round = 0; round < 5; round++) {
      const p = run([events, models, `killed-${round}`, '--slow']);
      // let it get somewhere, then kill it at a random moment
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 400));
      p.child.kill('SIGKILL');
      await p.exited;
    }
    const last = run([events, models, 'finisher', '--until-caught-up']);
    expect({ code: await last.exited, errors: last.errors() }).toEqual({ code: 0, errors: '' });
    const crashed = await readModel(models);

    const cleanModels = join(dir, 'clean.db');
    const clean = run([events, cleanModels, 'clean', '--until-caught-up']);
    expect({ code: await clean.exited, errors: clean.errors() }).toEqual({ code: 0, errors: '' });
    const scratch = await readModel(cleanModels);

    expect(crashed.counters).toEqual(scratch.counters);
    expect(Object.values(crashed.counters).reduce((n, c) => n + (c as { count: number }).count, 0)).toBe(
      3000,
    );
    expect(crashed.seen).toHaveLength(3000);
    expect(crashed.seen.every((s) => (s.doc as { times: number }).times === 1)).toBe(true);
  }, 120_000);

  it('lets one of two runner processes apply events; killing it hands over to the other with no gap', async () => {
    const events = join(dir, 'events.db');
    const models = join(dir, 'readmodels.db');
    const total = 12_000;
    await fill(events, total, 7);
    const lastLine = (text: string) =>
      text
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('state'))
        .at(-1) ?? '';
    const waitFor = async (what: () => boolean) => {
      for (let i = 0; i < 400 && !what(); i++) await new Promise((r) => setTimeout(r, 25));
    };
    const a = run([events, models, 'A', '--slow']);
    await waitFor(() => /^state catching-up [1-9]/.test(lastLine(a.output())));
    const b = run([events, models, 'B']);
    await waitFor(() => lastLine(b.output()) !== '' || b.errors() !== '');
    expect(b.errors()).toBe('');
    expect(lastLine(b.output())).toMatch(/^state standby 0$/);
    expect(lastLine(a.output())).toMatch(/^state catching-up [1-9]/);
    a.child.kill('SIGKILL');
    await a.exited;
    // B takes over when A's lease expires (500 ms) and finishes the log
    const deadline = Date.now() + 30_000;
    for (;;) {
      const model = await readModel(models).catch(() => undefined);
      const applied = model
        ? Object.values(model.counters).reduce((n, c) => n + (c as { count: number }).count, 0)
        : 0;
      if (applied === total || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // The backlog is applied a page at a time before the runner subscribes and reports `running`.
    await waitFor(() => /state running/.test(b.output()));
    b.child.kill('SIGKILL');
    await b.exited;
    const model = await readModel(models);
    expect(model.seen).toHaveLength(total);
    expect(model.seen.every((s) => (s.doc as { times: number }).times === 1)).toBe(true);
    expect(b.output()).toMatch(/state running/);
  }, 120_000);

  it('finishes a rebuild killed with SIGKILL half-way from where it was, equal to a clean rebuild', async () => {
    const events = join(dir, 'events.db');
    const models = join(dir, 'readmodels.db');
    await fill(events, 4000, 11);
    const live = run([events, models, 'live', '--until-caught-up']);
    expect({ code: await live.exited, errors: live.errors() }).toEqual({ code: 0, errors: '' });
    const before = await readModel(models);

    const first = run([events, models, 'rebuilder', '--rebuild', '--slow']);
    for (let i = 0; i < 400; i++) {
      const done = [...first.output().matchAll(/progress building (\d+)/g)].map((m) => Number(m[1]));
      if ((done.at(-1) ?? 0) >= 1000) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    first.child.kill('SIGKILL');
    await first.exited;
    expect(first.output()).not.toMatch(/^result/m);

    const second = run([events, models, 'rebuilder-2', '--rebuild']);
    expect({ code: await second.exited, errors: second.errors() }).toEqual({ code: 0, errors: '' });
    const result = JSON.parse(/^result (.*)$/m.exec(second.output())![1]!) as {
      resumed: boolean;
      processed: number;
    };
    expect(result.resumed).toBe(true);
    expect(result.processed).toBeLessThan(4000);
    expect(result.processed).toBeGreaterThan(0);

    const after = await readModel(models);
    expect(after.counters).toEqual(before.counters);
    expect(after.seen).toHaveLength(4000);
    expect(after.seen.every((s) => (s.doc as { times: number }).times === 1)).toBe(true);
  }, 120_000);
});
