import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startThrowawayPostgres, type ThrowawayPostgres } from '@rewind/testing/postgres';
import {
  applied,
  fill,
  readModel as readModelIn,
  runProjector as run,
  untilApplying,
} from './fixtures/projectorProcess';

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

const readModel = (schema: string) => readModelIn(pg.url, schema);

describe('projections on PostgreSQL, with real processes', () => {
  it('equals a from-scratch build after SIGKILL mid-batch, again and again, counting nothing twice', async () => {
    const events = join(dir, 'events.db');
    await fill(events, TOTAL, 13);
    const progress: number[] = [];
    for (let round = 0; round < 5; round++) {
      const p = run([events, pg.url, 'crashed', `killed-${round}`, '--slow']);
      // wait until it applies events, then kill it at a random moment of its batches
      await untilApplying(p);
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
