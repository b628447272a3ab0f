import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemoryEventStore } from '@rewind/core';
import { EventStoreDBEventStore } from '@rewind/eventstoredb';
import { SqliteEventStore } from '@rewind/sqlite';
import { PostgresEventStore } from '@rewind/postgres';
import { EventStoreDBTestServer } from '@rewind/testing/eventstoredb';
import { startThrowawayPostgres, type ThrowawayPostgres } from '@rewind/testing/postgres';
import { copyLog } from '../src/copy/copyLog';
import { openStoreAt, storeIdentity } from '../src/copy/openStore';
import { parseStoreUrl } from '../src/util/storeUrl';
import { all, kept, seed } from './support/seedLog';

describe('copyLog between real stores', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rewind-copy-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('SQLite to SQLite: every event equal; run again, nothing written twice', async () => {
    const source = SqliteEventStore.open(join(dir, 'old.db'));
    const target = SqliteEventStore.open(join(dir, 'new.db'));
    try {
      await seed(source);
      expect(await copyLog(source, target, { batchSize: 2 })).toMatchObject({
        events: 9,
        written: 9,
        streams: 3,
      });
      expect((await all(target)).map(kept)).toEqual((await all(source)).map(kept));
      expect(await copyLog(source, target)).toMatchObject({ events: 9, written: 0, alreadyThere: 9 });
      expect((await all(target)).length).toBe(9);
    } finally {
      await source.close();
      await target.close();
    }
  });

  it('openStoreAt opens sqlite: locations with @rewind/sqlite', async () => {
    const store = await openStoreAt(parseStoreUrl(`sqlite:${join(dir, 'x.db')}`, '--to'), __filename);
    try {
      expect(store).toBeInstanceOf(SqliteEventStore);
      expect(storeIdentity(store)).toBe(`sqlite:${join(dir, 'x.db')}`);
    } finally {
      await store.close();
    }
  });

  describe('SQLite to PostgreSQL (a throwaway cluster)', () => {
    let pg: ThrowawayPostgres;
    beforeAll(async () => (pg = await startThrowawayPostgres()), 60_000);
    afterAll(() => pg?.stop());

    it('opens postgres: locations with PostgresEventStore and copies every event; run again, nothing written twice', async () => {
      const source = SqliteEventStore.open(join(dir, 'old.db'));
      const target = await openStoreAt(parseStoreUrl(pg.url, '--to'), __filename);
      try {
        expect(target).toBeInstanceOf(PostgresEventStore);
        await seed(source);
        expect(await copyLog(source, target, { batchSize: 2 })).toMatchObject({ events: 9, written: 9 });
        expect((await all(target)).map(kept)).toEqual((await all(source)).map(kept));
        expect(await copyLog(source, target)).toMatchObject({ events: 9, written: 0, alreadyThere: 9 });
      } finally {
        await source.close();
        await target.close();
      }
    });
  });

  it('uses PostgresEventStore the moment @rewind/postgres exports it (looked up at run time)', async () => {
    const given: unknown[] = [];
    const withEventStore = {
      PostgresEventStore: {
        connect: (options: unknown) => {
          given.push(options);
          return new InMemoryEventStore();
        },
      },
    };
    const location = parseStoreUrl('postgresql://rewind@localhost:5432/rewind', '--to');
    const store = await openStoreAt(location, __filename, <T>() => withEventStore as T);
    expect(store).toBeInstanceOf(InMemoryEventStore);
    expect(given).toEqual([{ connectionString: 'postgresql://rewind@localhost:5432/rewind' }]);
    // A @rewind/postgres without it (read models only, before 0.2) is refused, as through the CLI.
    await expect(openStoreAt(location, __filename, <T>() => ({}) as T)).rejects.toMatchObject({
      exitCode: 3,
    });
  });

  describe('to EventStoreDB (the protocol test server)', () => {
    let server: EventStoreDBTestServer;
    beforeAll(async () => (server = await EventStoreDBTestServer.start()), 60_000);
    afterAll(() => server?.stop());

    it('copies every event; run again, nothing written twice', async () => {
      const source = SqliteEventStore.open(join(dir, 'old.db'));
      const target = await openStoreAt(parseStoreUrl(server.connectionString, '--to'), __filename);
      try {
        expect(target).toBeInstanceOf(EventStoreDBEventStore);
        expect(storeIdentity(target)).toMatch(/^esdb:127\.0\.0\.1:\d+$/);
        await seed(source);
        expect(await copyLog(source, target)).toMatchObject({ events: 9, written: 9, streams: 3 });
        expect((await all(target)).map(kept)).toEqual((await all(source)).map(kept));
        expect(await copyLog(source, target)).toMatchObject({ events: 9, written: 0, alreadyThere: 9 });
        expect((await all(target)).length).toBe(9);
      } finally {
        await source.close();
        await target.close();
      }
    });
  });
});
