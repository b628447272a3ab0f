import { Client } from 'pg';
import { startThrowawayPostgres, type ThrowawayPostgres } from '@rewind/testing/postgres';

describe('startThrowawayPostgres', () => {
  let pg: ThrowawayPostgres;
  beforeAll(async () => {
    pg = await startThrowawayPostgres();
  }, 60_000);
  afterAll(() => pg?.stop());

  it('starts a cluster that answers queries on its own port', async () => {
    const client = new Client({ connectionString: pg.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ answer: number }>('select 41 + 1 as answer');
      expect(rows[0]!.answer).toBe(42);
    } finally {
      await client.end();
    }
  });

  it('restarts on the same port: a connection from before is terminated (57P01), a new one works', async () => {
    const before = new Client({ connectionString: pg.url });
    // Every error the old connection reports is listened to: 57P01 first, then the closed socket.
    const terminated = new Promise<Error & { code?: string }>((resolve) => before.on('error', resolve));
    await before.connect();
    await pg.restart({ downMs: 100 });
    expect((await terminated).code).toBe('57P01');
    const after = new Client({ connectionString: pg.url });
    await after.connect();
    try {
      expect((await after.query<{ one: number }>('select 1 as one')).rows[0]!.one).toBe(1);
    } finally {
      await after.end();
      await before.end().catch(() => undefined);
    }
  });
});
