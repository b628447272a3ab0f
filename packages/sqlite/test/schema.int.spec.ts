import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { silentLogger, StoreUnavailableError, type EventToAppend } from '@rewind/core';
import { SCHEMA_VERSION, SqliteEventStore } from '@rewind/sqlite';
import { collect } from '@rewind/testing';
import { migrate } from '../src/eventStore/schema';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rewind-sqlite-schema-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const event = (data: unknown): EventToAppend => ({
  type: 'test.appended',
  data,
  metadata: {
    schemaVersion: 1,
    correlationId: 'c',
    causationId: 'c',
    occurredAt: '2026-01-01T00:00:00.000Z',
  },
});

function indexes(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return (
      db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'rewind_%'`).all() as {
        name: string;
      }[]
    ).map((r) => r.name);
  } finally {
    db.close();
  }
}

describe('SqliteEventStore schema', () => {
  it('creates a new file at the current schema version', async () => {
    const path = join(dir, 'events.db');
    const logged: Array<[object, string | undefined]> = [];
    const logger = {
      ...silentLogger,
      info: (fields: object | string, message?: string) => void logged.push([fields as object, message]),
    };
    await SqliteEventStore.open({ path, logger }).close();
    expect(logged).toEqual([[{ path, from: 0, to: 2 }, `rewind: created the event store in ${path}`]]);
    logged.length = 0;
    await SqliteEventStore.open({ path, logger }).close(); // nothing to do: nothing said
    expect(logged).toEqual([]);
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    expect(SCHEMA_VERSION).toBe(2);
    expect(indexes(path)).toContain('rewind_events_by_stream_time');
  });

  it('migrates a version 1 file forwards, keeping its events', async () => {
    const path = join(dir, 'v1.db');
    const db = new Database(path);
    migrate(db, path, 1);
    db.prepare(
      `INSERT INTO rewind_events (stream_id, revision, event_id, type, data, metadata, recorded_at) VALUES ('old-1', 0, 'id-0', 'test.appended', '"kept"', ?, 1000)`,
    ).run(JSON.stringify(event(null).metadata));
    db.prepare(`INSERT INTO rewind_streams (stream_id, revision) VALUES ('old-1', 0)`).run();
    db.close();
    expect(indexes(path)).not.toContain('rewind_events_by_stream_time');

    const logged: string[] = [];
    const store = SqliteEventStore.open({
      path,
      logger: {
        ...silentLogger,
        info: (_: object | string, message?: string) => void logged.push(message ?? ''),
      },
    });
    try {
      expect(logged).toEqual([`rewind: upgraded the event store in ${path} from schema 1 to 2`]);
      expect(store.database.pragma('user_version', { simple: true })).toBe(2);
      expect(
        (await collect(store.readStream('old-1', { until: new Date(1000) }))).map((e) => e.data),
      ).toEqual(['kept']);
      await store.append('old-1', [event('new')], { expectedRevision: 0n });
      expect((await collect(store.readStream('old-1'))).map((e) => e.data)).toEqual(['kept', 'new']);
    } finally {
      await store.close();
    }
    expect(indexes(path)).toContain('rewind_events_by_stream_time');
  });

  it('refuses a file written by a newer Rewind, naming the path and both versions, and leaves it untouched', async () => {
    const path = join(dir, 'newer.db');
    await SqliteEventStore.open(path).close();
    const db = new Database(path);
    db.pragma('user_version = 99');
    db.close();
    const open = () => SqliteEventStore.open(path);
    expect(open).toThrow(StoreUnavailableError);
    expect(open).toThrow(path);
    expect(open).toThrow(/schema version 99.*up to 2/);
    expect(open).toThrow(/Upgrade @rewind\/sqlite/);
    const again = new Database(path, { readonly: true });
    expect(again.pragma('user_version', { simple: true })).toBe(99);
    again.close();
  });

  it('reads "as of a time" with one seek on the by-stream-time index, never a scan', async () => {
    let now = 1_000;
    const store = SqliteEventStore.open({ path: join(dir, 'events.db'), clock: () => new Date(now) });
    try {
      for (let i = 0; i < 50; i++) {
        now += 10;
        await store.append('timed-1', [event(i)]);
      }
      const asOf = async (ms: number, direction?: 'backwards') =>
        (await collect(store.readStream('timed-1', { until: new Date(ms), direction }))).map((e) => e.data);
      expect(await asOf(1_030)).toEqual([0, 1, 2]);
      expect(await asOf(1_035, 'backwards')).toEqual([2, 1, 0]);
      expect(await asOf(1_005)).toEqual([]);
      expect(await asOf(99_999)).toHaveLength(50);
      const plan = store.database
        .prepare(
          'EXPLAIN QUERY PLAN SELECT revision FROM rewind_events WHERE stream_id = ? AND recorded_at <= ? ORDER BY recorded_at DESC, revision DESC LIMIT 1',
        )
        .all('timed-1', 1_030) as { detail: string }[];
      expect(plan.map((p) => p.detail).join()).toMatch(/USING COVERING INDEX rewind_events_by_stream_time/);
    } finally {
      await store.close();
    }
  });

  it('shares a file with the read-model store tables (rm_*)', async () => {
    const path = join(dir, 'shared.db');
    const db = new Database(path);
    db.exec('CREATE TABLE rm_documents (k TEXT)');
    db.close();
    const store = SqliteEventStore.open(path);
    try {
      await store.append('s-1', [event(1)]);
      expect(store.streamRevision('s-1')).toBe(0n);
    } finally {
      await store.close();
    }
  });
});

describe('SqliteEventStore bad files', () => {
  it('names the missing directory', () => {
    const path = join(dir, 'nope', 'events.db');
    expect(() => SqliteEventStore.open(path)).toThrow(StoreUnavailableError);
    expect(() => SqliteEventStore.open(path)).toThrow(/directory ".*nope" does not exist. Create it first/);
  });

  it('refuses a file that is not a database', () => {
    const path = join(dir, 'garbage.db');
    writeFileSync(
      path,
      'this is not sqlite at all, just some text that is long enough to look like a header',
    );
    expect(() => SqliteEventStore.open(path)).toThrow(StoreUnavailableError);
    expect(() => SqliteEventStore.open(path)).toThrow(/not a valid SQLite database or is corrupt/);
    expect(() => SqliteEventStore.open(path)).toThrow(path);
  });

  it('refuses a SQLite file that is not a Rewind store', () => {
    const foreign = join(dir, 'foreign.db');
    const db = new Database(foreign);
    db.exec('CREATE TABLE customers (id INTEGER)');
    db.close();
    expect(() => SqliteEventStore.open(foreign)).toThrow(
      /not a Rewind event store \(it has tables: customers\)/,
    );
    expect(() => SqliteEventStore.open(foreign)).toThrow(foreign);
  });

  it('refuses a SQLite file of another application before changing a byte of it (no WAL switch)', () => {
    const foreign = join(dir, 'foreign.db');
    const db = new Database(foreign);
    db.exec(`CREATE TABLE customers (id INTEGER); INSERT INTO customers VALUES (1)`);
    expect(db.pragma('journal_mode', { simple: true })).toBe('delete');
    db.close();
    const before = readFileSync(foreign);
    expect(() => SqliteEventStore.open(foreign)).toThrow(/not a Rewind event store/);
    expect(readFileSync(foreign).equals(before)).toBe(true);
    expect(existsSync(`${foreign}-wal`)).toBe(false);
    const again = new Database(foreign, { readonly: true });
    expect(again.pragma('journal_mode', { simple: true })).toBe('delete');
    again.close();
  });

  it('says what a foreign file with a user_version of its own is, instead of calling it a newer Rewind', () => {
    const foreign = join(dir, 'versioned.db');
    const db = new Database(foreign);
    db.exec('CREATE TABLE customers (id INTEGER)');
    db.pragma('user_version = 7');
    db.close();
    const open = () => SqliteEventStore.open(foreign);
    expect(open).toThrow(StoreUnavailableError);
    expect(open).toThrow(/not a Rewind event store/);
    expect(open).toThrow(/user_version 7/);
    expect(open).toThrow(/customers/);
    expect(open).not.toThrow(/newer Rewind/);
  });

  it('reports a corrupt store as StoreUnavailableError naming the path, with the SQLite error as cause', async () => {
    const path = join(dir, 'corrupt.db');
    const store = SqliteEventStore.open({ path, synchronous: 'normal' });
    for (let i = 0; i < 20; i++) {
      await store.append(
        `c-${i}`,
        Array.from({ length: 50 }, (_, j) => event({ i, j, pad: 'x'.repeat(200) })),
      );
    }
    await store.close(); // checkpoints the WAL into the main file
    const size = statSync(path).size;
    const fd = openSync(path, 'r+');
    // Overwrite every page but the first (the header and schema stay readable).
    writeSync(fd, Buffer.alloc(size - 4096, 0xa5), 0, size - 4096, 4096);
    closeSync(fd);
    let error: unknown;
    try {
      const broken = SqliteEventStore.open(path);
      try {
        await collect(broken.readAll());
      } finally {
        await broken.close();
      }
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toMatch(/Restore it from a backup/);
    expect((error as Error).cause).toMatchObject({ code: expect.stringMatching(/^SQLITE_(CORRUPT|NOTADB)/) });
  });

  // File permissions must apply to the process that opens the store. Root ignores them, so as root it
  // keeps its identity (it can still read this clone, wherever it sits) and drops only the capabilities
  // that bypass permissions. Where that is impossible (no setpriv), the test says so and is skipped.
  const dropPermissionBypass = ['setpriv', '--bounding-set', '-dac_override,-dac_read_search', '--'];
  const asRoot = process.getuid?.() === 0;
  const permissionsApply =
    !asRoot || spawnSync(dropPermissionBypass[0]!, [...dropPermissionBypass.slice(1), 'true']).status === 0;
  (permissionsApply ? it : it.skip)(
    permissionsApply
      ? 'explains a read-only file'
      : 'explains a read-only file (SKIPPED: running as root without setpriv, file permissions cannot be made to apply)',
    async () => {
      const path = join(dir, 'readonly.db');
      await SqliteEventStore.open(path).close();
      chmodSync(path, 0o444);
      chmodSync(dir, 0o555);
      try {
        const node = [process.execPath, join(__dirname, 'fixtures', 'open.js'), path];
        const [command, ...args] = asRoot ? [...dropPermissionBypass, ...node] : node;
        const output = execFileSync(command!, args, { encoding: 'utf8', cwd: __dirname });
        const result = JSON.parse(output) as { ok: boolean; name: string; code: string; message: string };
        expect(result).toMatchObject({ ok: false, name: 'StoreUnavailableError', code: 'STORE_UNAVAILABLE' });
        expect(result.message).toContain(path);
        expect(result.message).toMatch(/read-only|may read and write/);
      } finally {
        chmodSync(dir, 0o755);
        chmodSync(path, 0o644);
      }
    },
  );
});
