import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ConcurrencyError, StoreUnavailableError, type EventToAppend } from '@rewind/core';
import { SqliteEventStore } from '@rewind/sqlite';
import { collect } from '@rewind/testing';

const appender = join(__dirname, 'fixtures', 'appender.js');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rewind-sqlite-rel-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const event = (data: unknown): EventToAppend => ({
  type: 'test.appended',
  data,
  metadata: { schemaVersion: 1, correlationId: 'c', causationId: 'c', occurredAt: new Date().toISOString() },
});

interface Child {
  lines: string[];
  exited: Promise<number | null>;
  kill(): void;
}

function start(args: string[]): Child {
  const child = spawn(process.execPath, [appender, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buffer = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      if (code) process.stderr.write(stderr);
      resolve(code);
    }),
  );
  return { lines, exited, kill: () => child.kill('SIGKILL') };
}

describe('SqliteEventStore reliability', () => {
  it('loses no acknowledged append and shows no partial batch when killed with SIGKILL, again and again', async () => {
    const path = join(dir, 'events.db');
    SqliteEventStore.open(path).close();
    const acknowledged: string[] = [];
    for (let round = 0; round < 5; round++) {
      const child = start([path, 'loop', `r${round}`]);
      // wait for some acknowledgements, then kill at a random moment
      while (child.lines.length < 20) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, Math.random() * 150));
      child.kill();
      await child.exited;
      acknowledged.push(...child.lines);
    }
    const store = SqliteEventStore.open(path);
    try {
      const all = await collect(store.readAll());
      const batches = new Map<string, number[]>();
      for (const e of all) {
        const d = e.data as { tag: string; batch: number; i: number; k: number };
        const key = `${d.tag}/${d.batch}`;
        batches.set(key, [...(batches.get(key) ?? []), d.i]);
        expect(d.k).toBeGreaterThan(0);
      }
      for (const [key, indexes] of batches) {
        const k = (
          all.find(
            (e) => `${(e.data as { tag: string }).tag}/${(e.data as { batch: number }).batch}` === key,
          )!.data as { k: number }
        ).k;
        expect([key, indexes.sort()]).toEqual([key, Array.from({ length: k }, (_, i) => i)]);
      }
      const ackKeys = acknowledged.map((line) => {
        const [, stream, batch] = line.split(' ');
        return `${stream!.slice('crash'.length).split('-')[0]}/${batch}`;
      });
      expect(ackKeys.length).toBeGreaterThan(50);
      for (const key of ackKeys) expect(batches.has(key)).toBe(true);
      // revisions dense per stream
      const byStream = new Map<string, bigint[]>();
      for (const e of all) byStream.set(e.streamId, [...(byStream.get(e.streamId) ?? []), e.revision]);
      for (const revisions of byStream.values())
        expect(revisions).toEqual(revisions.map((_, i) => BigInt(i)));
    } finally {
      await store.close();
    }
  }, 120_000);

  it('keeps every acknowledged event exactly once when two processes append to the same streams', async () => {
    const path = join(dir, 'events.db');
    SqliteEventStore.open(path).close();
    const a = start([path, 'contend', 'a', '150']);
    const b = start([path, 'contend', 'b', '150']);
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
    const store = SqliteEventStore.open(path);
    try {
      const all = await collect(store.readAll());
      expect(all).toHaveLength(300);
      const seen = new Set(all.map((e) => JSON.stringify(e.data)));
      expect(seen.size).toBe(300);
      for (let s = 0; s < 5; s++) {
        const revisions = (await collect(store.readStream(`shared-${s}`))).map((e) => e.revision);
        expect(revisions).toEqual(revisions.map((_, i) => BigInt(i)));
      }
      expect([...a.lines, ...b.lines]).toHaveLength(300);
    } finally {
      await store.close();
    }
  }, 120_000);
});

describe('SqliteEventStore group commit', () => {
  it('commits concurrent appends together and fails only the caller whose revision was wrong', async () => {
    const store = SqliteEventStore.open(join(dir, 'events.db'));
    try {
      await store.append('g-1', [event(0)]);
      const results = await Promise.allSettled([
        store.append('g-1', [event(1)], { expectedRevision: 0n }),
        store.append('g-1', [event(2)], { expectedRevision: 0n }), // loses: the first moved it to 1
        store.append('g-2', [event(3)], { expectedRevision: 'no_stream' }),
        store.append('g-1', [event(4)], { expectedRevision: 1n }), // sees the first one in the same batch
        ...Array.from({ length: 60 }, (_, i) => store.append(`g-many-${i}`, [event(i)])),
      ]);
      expect(results.map((r) => r.status).slice(0, 4)).toEqual([
        'fulfilled',
        'rejected',
        'fulfilled',
        'fulfilled',
      ]);
      expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
      expect((results[1] as PromiseRejectedResult).reason).toMatchObject({
        expectedRevision: 0n,
        actualRevision: 1n,
      });
      expect((await collect(store.readStream('g-1'))).map((e) => e.data)).toEqual([0, 1, 4]);
      expect(results.slice(4).every((r) => r.status === 'fulfilled')).toBe(true);
    } finally {
      await store.close();
    }
  });
});

describe('SqliteEventStore bad files', () => {
  it('names the missing directory', () => {
    const path = join(dir, 'nope', 'events.db');
    expect(() => SqliteEventStore.open(path)).toThrow(StoreUnavailableError);
    expect(() => SqliteEventStore.open(path)).toThrow(/directory ".*nope" does not exist/);
  });

  it('refuses a file that is not a database', () => {
    const path = join(dir, 'garbage.db');
    writeFileSync(
      path,
      'this is not sqlite at all, just some text that is long enough to look like a header',
    );
    expect(() => SqliteEventStore.open(path)).toThrow(/not a valid SQLite database or is corrupt/);
  });

  it('refuses a SQLite file that is not a Rewind store, and one written by a newer Rewind', () => {
    const foreign = join(dir, 'foreign.db');
    const db = new Database(foreign);
    db.exec('CREATE TABLE customers (id INTEGER)');
    db.close();
    expect(() => SqliteEventStore.open(foreign)).toThrow(
      /not a Rewind event store \(it has tables: customers\)/,
    );
    const newer = join(dir, 'newer.db');
    SqliteEventStore.open(newer).close();
    const db2 = new Database(newer);
    db2.pragma('user_version = 99');
    db2.close();
    expect(() => SqliteEventStore.open(newer)).toThrow(/written by a newer Rewind \(schema version 99/);
  });

  it('explains a read-only file', () => {
    // Root ignores file permissions, so the open runs as an unprivileged user when we are root.
    const path = join(dir, 'readonly.db');
    SqliteEventStore.open(path).close();
    chmodSync(path, 0o444);
    chmodSync(dir, 0o555);
    try {
      const script = join(__dirname, 'fixtures', 'open.js');
      const asRoot = process.getuid?.() === 0;
      const output = execFileSync(
        asRoot ? 'runuser' : process.execPath,
        asRoot ? ['-u', 'nobody', '--', process.execPath, script, path] : [script, path],
        { encoding: 'utf8', cwd: __dirname },
      );
      const result = JSON.parse(output) as { ok: boolean; name: string; code: string; message: string };
      expect(result).toMatchObject({ ok: false, name: 'StoreUnavailableError', code: 'STORE_UNAVAILABLE' });
      expect(result.message).toContain(path);
      expect(result.message).toMatch(/read-only|may read and write/);
    } finally {
      chmodSync(dir, 0o755);
      chmodSync(path, 0o644);
    }
  });
});
