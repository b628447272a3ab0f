// The code behind docs/guides/testing.md: a throwaway PostgreSQL cluster, started and removed.
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import {
  findPostgresBinaries,
  startThrowawayPostgres,
  type ThrowawayPostgres,
} from '@rewind/testing/postgres';

const hasPostgres = findPostgresBinaries() !== undefined;

(hasPostgres ? describe : describe.skip)('throwaway PostgreSQL', () => {
  // #region throwaway-postgres
  let pg: ThrowawayPostgres;
  beforeAll(async () => {
    pg = await startThrowawayPostgres(); // initdb + pg_ctl on a free loopback port, fsync off
  }, 60_000);
  afterAll(() => pg?.stop()); // stops the server and deletes its directory

  it('gives a connection string', () => {
    expect(pg.url).toBe(`postgresql://postgres@127.0.0.1:${pg.port}/postgres`);
  });
  // #endregion

  it('accepts connections, and stop() removes the cluster', async () => {
    await new Promise<void>((resolve, reject) => {
      const socket = connect(pg.port, '127.0.0.1', () => {
        socket.end();
        resolve();
      });
      socket.on('error', reject);
    });
    const dir = pg.dataDir;
    expect(existsSync(dir)).toBe(true);
    await pg.stop();
    expect(existsSync(dir)).toBe(false);
  }, 30_000);
});
