import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoreUnavailableError } from '@rewind/core';
import { PostgresReadModelStore } from '@rewind/postgres';
import { startThrowawayPostgres, type ThrowawayPostgres } from '@rewind/testing/postgres';
import { applied, fill, readModel, runProjector, untilApplying } from './fixtures/projectorProcess';

const TOTAL = 3000;

let pg: ThrowawayPostgres;
let dir: string;
beforeAll(async () => {
  pg = await startThrowawayPostgres();
  dir = mkdtempSync(join(tmpdir(), 'rewind-pg-restart-'));
}, 60_000);
afterAll(async () => {
  await pg?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a PostgreSQL restart under an open read-model transaction', () => {
  it('fails that transaction with a StoreUnavailableError (the process lives), and the next one works', async () => {
    const store = await PostgresReadModelStore.connect({ connectionString: pg.url, schema: 'cut' });
    try {
      let resume!: () => void;
      const gate = new Promise<void>((resolve) => (resume = resolve));
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => (entered = resolve));
      const cut = store.transaction('restart-test', async (tx) => {
        await tx.collection('docs').get('a');
        entered();
        await gate; // the client sits idle in its transaction while the server goes down
        await tx.collection('docs').put('a', { v: 1 });
        await tx.collection('docs').get('a');
      });
      await inside;
      await pg.restart();
      resume();
      const error = await cut.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toMatch(/restart-test/);
      await store.transaction('restart-test', (tx) => tx.collection('docs').put('a', { v: 2 }));
      expect(await store.collection('restart-test', 'docs').get('a')).toEqual({ v: 2 });
    } finally {
      await store.close();
    }
  }, 60_000);
});

describe('a PostgreSQL restart under a running projector (real processes, a real server)', () => {
  it('is survived: the process lives, retries, catches up, and the model equals a clean build', async () => {
    const events = join(dir, 'events.db');
    await fill(events, TOTAL, 11);
    const survivor = runProjector([events, pg.url, 'restarted', 'survivor', '--slow', '--until-caught-up']);
    await untilApplying(survivor);
    expect(survivor.errors()).toBe('');
    // pg_ctl stop -m fast terminates every connection (57P01), those inside a transaction included.
    await pg.restart({ downMs: 1000 });
    expect({ code: await survivor.exited, errors: survivor.errors() }).toEqual({ code: 0, errors: '' });
    expect(survivor.output()).toContain('done');
    const restarted = await readModel(pg.url, 'restarted');

    const clean = runProjector([events, pg.url, 'scratch', 'clean', '--until-caught-up']);
    expect({ code: await clean.exited, errors: clean.errors() }).toEqual({ code: 0, errors: '' });
    const scratch = await readModel(pg.url, 'scratch');

    expect(restarted.deadLetters).toEqual([]);
    expect(restarted.counters).toEqual(scratch.counters);
    expect(restarted.checkpoint).toEqual(scratch.checkpoint);
    expect(applied(restarted.counters)).toBe(TOTAL);
    expect(restarted.seen).toHaveLength(TOTAL);
    expect(restarted.seen.every((s) => (s.doc as { times: number }).times === 1)).toBe(true);
  }, 240_000);
});
