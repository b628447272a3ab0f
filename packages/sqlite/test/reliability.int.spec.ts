import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

import { SqliteEventStore } from '@rewind/sqlite';
import { collect } from '@rewind/testing';

const appender = join(__dirname, 'fixtures', 'appender.js');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rewind-sqlite-rel-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

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
      expect(acknowledged.length).toBeGreaterThan(50);
      // every acknowledged append is there, at the revisions it was acknowledged with
      const streams = new Map<string, { batch: number }[]>();
      for (const e of all) {
        streams.set(e.streamId, [...(streams.get(e.streamId) ?? []), e.data as { batch: number }]);
      }
      for (const line of acknowledged) {
        const [, stream, batch, k, revision] = line.split(' ');
        const events = streams.get(stream!) ?? [];
        const last = Number(revision);
        const written = events.slice(last - Number(k) + 1, last + 1).map((d) => d.batch);
        expect([line, written]).toEqual([line, Array.from({ length: Number(k) }, () => Number(batch))]);
      }
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
    const startAt = String(Date.now() + 1000);
    const a = start([path, 'contend', 'a', '150', startAt]);
    const b = start([path, 'contend', 'b', '150', startAt]);
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
      const acks = [...a.lines, ...b.lines].filter((line) => line.startsWith('ack '));
      expect(acks).toHaveLength(300);
      // each acknowledged revision is where that event is
      for (const line of acks) {
        const [, stream, tag, n, revision] = line.split(' ');
        const at = (
          await collect(store.readStream(stream!, { fromRevision: BigInt(revision!), maxCount: 1 }))
        )[0];
        expect(at?.data).toEqual({ tag, n: Number(n) });
      }
      // both finished their loop (how many conflicts they retried depends on timing; see the
      // two-connection test for a conflict that must happen)
      expect([...a.lines, ...b.lines].filter((line) => /^conflicts \d+$/.test(line))).toHaveLength(2);
    } finally {
      await store.close();
    }
  }, 120_000);

  it("delivers another process's appends to a live subscription, by polling the head", async () => {
    const path = join(dir, 'events.db');
    const store = SqliteEventStore.open({ path, pollIntervalMs: 50 });
    const subscription = store.subscribeToAll({ filter: { streamPrefixes: ['shared-'] } });
    try {
      const iterator = subscription[Symbol.asyncIterator]();
      expect((await iterator.next()).value).toEqual({ type: 'caught-up', position: undefined });
      const child = start([path, 'contend', 'p', '12']);
      expect(await child.exited).toBe(0);
      const received: unknown[] = [];
      while (received.length < 12) {
        const { value } = await iterator.next();
        if (value.type === 'event') received.push(value.event.data);
      }
      expect(received).toEqual(Array.from({ length: 12 }, (_, n) => ({ tag: 'p', n })));
      expect(child.lines.filter((line) => line.startsWith('ack '))).toHaveLength(12);
    } finally {
      await subscription.close();
      await store.close();
    }
  }, 60_000);
});

describe('SqliteEventStore opened by several processes at once', () => {
  it('creates the schema once when four processes open a new file together', async () => {
    const path = join(dir, 'fresh.db');
    // Hold the write lock so all four read "version 0" and then queue on BEGIN IMMEDIATE together.
    const gate = new Database(path);
    gate.pragma('journal_mode = WAL');
    gate.exec('BEGIN IMMEDIATE');
    const script = join(__dirname, 'fixtures', 'open.js');
    const outputs = Array.from(
      { length: 4 },
      () =>
        new Promise<string>((resolve, reject) => {
          const child = spawn(process.execPath, [script, path], { stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
          child.on('error', reject);
          child.on('exit', () => resolve(out.trim()));
        }),
    );
    await new Promise((r) => setTimeout(r, 1500));
    gate.exec('COMMIT');
    gate.close();
    const results = (await Promise.all(outputs)).map((o) => JSON.parse(o) as unknown);
    expect(results).toEqual(Array.from({ length: 4 }, () => ({ ok: true })));
    const store = SqliteEventStore.open(path);
    try {
      expect((await collect(store.readStream('s-1'))).map((e) => e.revision)).toEqual([0n, 1n, 2n, 3n]);
    } finally {
      await store.close();
    }
  }, 60_000);
});
