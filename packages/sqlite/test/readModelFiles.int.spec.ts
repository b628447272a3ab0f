import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { StoreUnavailableError } from '@rewind/core';
import { SqliteEventStore, SqliteReadModelStore } from '@rewind/sqlite';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rewind-rm-files-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Opens the store expecting it to refuse, and returns the error. */
function refusal(path: string): Error {
  try {
    SqliteReadModelStore.open(path);
  } catch (error) {
    return error as Error;
  }
  throw new Error(`SqliteReadModelStore.open("${path}") succeeded`);
}

function tables(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return (
      db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]
    ).map((t) => t.name);
  } finally {
    db.close();
  }
}

describe('SqliteReadModelStore and files that are not its own', () => {
  it('refuses a SQLite file of another application before changing a byte of it', () => {
    const foreign = join(dir, 'app.db');
    const db = new Database(foreign);
    db.exec(`CREATE TABLE customers (id INTEGER); INSERT INTO customers VALUES (1)`);
    db.close();
    const before = readFileSync(foreign);
    const error = refusal(foreign);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error.message).toContain(foreign);
    expect(error.message).toMatch(/not a Rewind read-model store \(it has tables: customers\)/);
    expect(readFileSync(foreign).equals(before)).toBe(true);
    expect(existsSync(`${foreign}-wal`)).toBe(false);
    expect(tables(foreign)).toEqual(['customers']);
  });

  it('says what a foreign file with a user_version of its own is', () => {
    const foreign = join(dir, 'versioned.db');
    const db = new Database(foreign);
    db.pragma('user_version = 7');
    db.close();
    const error = refusal(foreign);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error.message).toMatch(/not a Rewind read-model store/);
    expect(error.message).toMatch(/user_version 7/);
  });

  it('opens a new file, a file it made holding tables of your own, and a file shared with the event store', async () => {
    const own = join(dir, 'readmodels.db');
    const store = SqliteReadModelStore.open(own);
    store.database.exec('CREATE TABLE my_report (day TEXT)');
    await store.close();
    await SqliteReadModelStore.open(own).close();

    const shared = join(dir, 'shared.db');
    await SqliteEventStore.open(shared).close();
    await SqliteReadModelStore.open(shared).close();
    expect(tables(shared)).toEqual(expect.arrayContaining(['rewind_events', 'rm_documents']));
  });

  it('names itself, not the event store, in its errors', () => {
    const garbage = join(dir, 'garbage.db');
    writeFileSync(
      garbage,
      'this is not sqlite at all, just some text that is long enough to look like a header',
    );
    const error = refusal(garbage);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error.message).toContain(`SQLite read-model store "${garbage}"`);
    expect(error.message).not.toMatch(/event store/);
  });
});

describe('dropping a namespace', () => {
  it('is one transaction: when a statement fails, nothing is deleted, and the error names the store', async () => {
    const path = join(dir, 'readmodels.db');
    const store = SqliteReadModelStore.open(path);
    try {
      await store.transaction('orders@v1~pos-9', async (tx) => {
        await tx.collection('orders').put('o-1', { total: 5 });
        await tx.setCheckpoint({ commit: 9n, prepare: 9n });
        await tx.parkDeadLetter({
          projection: 'orders',
          eventId: 'e',
          eventType: 't',
          streamId: 's-1',
          revision: 0n,
          position: { commit: 3n, prepare: 3n },
          error: 'boom',
          attempts: 1,
        });
      });
      // the last of the three deletes fails (as a full disk or a lock would)
      store.database.exec(
        "CREATE TRIGGER refuse BEFORE DELETE ON rm_dead_letters BEGIN SELECT RAISE(ABORT, 'refused'); END",
      );
      const failure = await store.dropNamespace('orders@v1~pos-9').catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(Error);
      expect((failure as Error).message).toContain('SQLite read-model store');
      expect((failure as Error).message).toContain('drop the namespace "orders@v1~pos-9"');
      expect(await store.collection('orders@v1~pos-9', 'orders').get('o-1')).toEqual({ total: 5 });
      expect(await store.getCheckpoint('orders@v1~pos-9')).toEqual({ commit: 9n, prepare: 9n });
      store.database.exec('DROP TRIGGER refuse');
      await store.dropNamespace('orders@v1~pos-9');
      expect((await store.listNamespaces()).map((n) => n.namespace)).not.toContain('orders@v1~pos-9');
    } finally {
      await store.close();
    }
  });
});
