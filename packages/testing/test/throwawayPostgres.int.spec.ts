import { Client } from 'pg';
import { startThrowawayPostgres, type ThrowawayPostgres } from '@rewind/testing';

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
});
