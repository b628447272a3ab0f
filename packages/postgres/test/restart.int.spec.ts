import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoreUnavailableError } from '@rewind/core';
import { PostgresReadModelStore } from '@rewind/postgres';
import { startThrowawayPostgres, type ThrowawayPostgres } from '@rewind/testing';

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
