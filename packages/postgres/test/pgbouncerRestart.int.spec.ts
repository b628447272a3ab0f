import { StoreUnavailableError } from '@rewind/core';
import { PostgresReadModelStore } from '@rewind/postgres';
import {
  startThrowawayPgBouncer,
  startThrowawayPostgres,
  type ThrowawayPgBouncer,
  type ThrowawayPostgres,
} from '@rewind/testing/postgres';

// A restart of PgBouncer, or of PostgreSQL behind it, under an open read-model transaction: that
// transaction fails as the store's (StoreUnavailableError, nothing committed), the process lives, and
// the next transaction works on a fresh connection.
jest.setTimeout(60_000);

let pg: ThrowawayPostgres;
let bouncer: ThrowawayPgBouncer;
beforeAll(async () => {
  pg = await startThrowawayPostgres();
  bouncer = await startThrowawayPgBouncer(pg, { poolMode: 'transaction', defaultPoolSize: 2 });
}, 60_000);
afterAll(async () => {
  await bouncer?.stop();
  await pg?.stop();
});

describe.each([
  ['PgBouncer', () => bouncer.restart()],
  ['PostgreSQL behind PgBouncer', () => pg.restart()],
])('a restart of %s under an open read-model transaction', (what, restart) => {
  it('fails that transaction with a StoreUnavailableError, and the next one works', async () => {
    const namespace = `restart-${what.length}`;
    const store = await PostgresReadModelStore.connect({
      connectionString: bouncer.url,
      preparedStatements: false,
      schema: 'cut',
    });
    try {
      await store.transaction(namespace, (tx) => tx.collection('docs').put('a', { v: 0 }));
      let resume!: () => void;
      const gate = new Promise<void>((resolve) => (resume = resolve));
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => (entered = resolve));
      const cut = store.transaction(namespace, async (tx) => {
        await tx.collection('docs').get('a');
        entered();
        await gate; // idle in its transaction, on a server connection, while the restart happens
        await tx.collection('docs').put('a', { v: 1 });
        await tx.collection('docs').get('a');
      });
      await inside;
      await restart();
      resume();
      const error = await cut.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(await store.collection(namespace, 'docs').get('a')).toEqual({ v: 0 });
      await store.transaction(namespace, (tx) => tx.collection('docs').put('a', { v: 2 }));
      expect(await store.collection(namespace, 'docs').get('a')).toEqual({ v: 2 });
    } finally {
      await store.close();
    }
  });
});
