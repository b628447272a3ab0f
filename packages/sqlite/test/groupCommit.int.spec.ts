import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ConcurrencyError, StoreUnavailableError, ValidationError, type EventToAppend } from '@rewind/core';
import { SqliteEventStore } from '@rewind/sqlite';
import { collect } from '@rewind/testing';

let dir: string;
let store: SqliteEventStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rewind-sqlite-gc-'));
  store = SqliteEventStore.open(join(dir, 'events.db'));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const event = (data: unknown): EventToAppend => ({
  type: 'test.appended',
  data,
  metadata: { schemaVersion: 1, correlationId: 'c', causationId: 'c', occurredAt: new Date().toISOString() },
});

describe('SqliteEventStore group commit', () => {
  it('commits 200 concurrent appends in one transaction, with dense positions', async () => {
    const before = store.commitStats;
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => store.append(`many-${i % 20}`, [event(i)])),
    );
    expect(store.commitStats.commits - before.commits).toBe(1);
    expect(store.commitStats.appends - before.appends).toBe(200);
    expect(results.map((r) => r.position.commit)).toEqual(results.map((_, i) => BigInt(i + 1)));
    const all = await collect(store.readAll());
    expect(all.map((e) => e.data)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    for (let s = 0; s < 20; s++) {
      const revisions = (await collect(store.readStream(`many-${s}`))).map((e) => e.revision);
      expect(revisions).toEqual(revisions.map((_, i) => BigInt(i)));
    }
  });

  it('fails only the callers whose expected revision was wrong; later appends in the batch see earlier ones', async () => {
    await store.append('g-1', [event(0)]);
    const results = await Promise.allSettled([
      store.append('g-1', [event(1)], { expectedRevision: 0n }),
      store.append('g-1', [event(2)], { expectedRevision: 0n }), // loses: the first moved it to 1
      store.append('g-2', [event(3)], { expectedRevision: 'no_stream' }),
      store.append('g-2', [event(4)], { expectedRevision: 'no_stream' }), // loses: g-2 exists now
      store.append('g-3', [event(5)], { expectedRevision: 'stream_exists' }), // loses: never created
      store.append('g-2', [event(6), event(7)], { expectedRevision: 'stream_exists' }),
      store.append('g-1', [event(8)], { expectedRevision: 1n }), // sees the first one in the same batch
      ...Array.from({ length: 60 }, (_, i) => store.append(`g-many-${i}`, [event(100 + i)])),
    ]);
    expect(store.commitStats.commits).toBe(2);
    expect(results.slice(0, 7).map((r) => r.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'rejected',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    const reasons = [1, 3, 4].map((i) => (results[i] as PromiseRejectedResult).reason as unknown);
    for (const reason of reasons) expect(reason).toBeInstanceOf(ConcurrencyError);
    expect(reasons[0]).toMatchObject({ streamId: 'g-1', expectedRevision: 0n, actualRevision: 1n });
    expect(reasons[1]).toMatchObject({ streamId: 'g-2', expectedRevision: 'no_stream', actualRevision: 0n });
    expect(reasons[2]).toMatchObject({ streamId: 'g-3', actualRevision: 'no_stream' });
    expect(results.slice(7).every((r) => r.status === 'fulfilled')).toBe(true);
    expect((await collect(store.readStream('g-1'))).map((e) => e.data)).toEqual([0, 1, 8]);
    expect((await collect(store.readStream('g-2'))).map((e) => [e.revision, e.data])).toEqual([
      [0n, 3],
      [1n, 6],
      [2n, 7],
    ]);
    await expect(collect(store.readStream('g-3'))).rejects.toMatchObject({ code: 'STREAM_NOT_FOUND' });
    // the losers wrote nothing: positions stay dense
    const positions = (await collect(store.readAll())).map((e) => e.position.commit);
    expect(positions).toEqual(positions.map((_, i) => BigInt(i + 1)));
  });

  it('rejects data that cannot be stored as JSON for that caller alone', async () => {
    const results = await Promise.allSettled([
      store.append('j-1', [event({ ok: 1 })]),
      store.append('j-2', [event({ amount: 10n })]),
      store.append('j-3', [event({ ok: 3 })]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(ValidationError);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/events\.0\.data/);
    expect((await collect(store.readAll())).map((e) => e.streamId)).toEqual(['j-1', 'j-3']);
  });

  it('fails the whole batch with StoreUnavailableError when another connection holds the write lock too long, then recovers', async () => {
    await store.close();
    const path = join(dir, 'events.db');
    store = SqliteEventStore.open({ path, busyTimeoutMs: 50 });
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    try {
      const results = await Promise.allSettled([
        store.append('b-1', [event(1)]),
        store.append('b-2', [event(2)]),
      ]);
      for (const r of results) {
        expect(r.status).toBe('rejected');
        const reason = (r as PromiseRejectedResult).reason as Error;
        expect(reason).toBeInstanceOf(StoreUnavailableError);
        expect(reason.message).toContain(path);
        expect(reason.message).toMatch(/busyTimeoutMs/);
        expect(reason.cause).toMatchObject({ code: 'SQLITE_BUSY' });
      }
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    await expect(store.append('b-1', [event(3)], { expectedRevision: 'no_stream' })).resolves.toMatchObject({
      nextExpectedRevision: 0n,
    });
  });

  it('detects conflicts between two connections to one file: revisions are read inside the write lock', async () => {
    const other = SqliteEventStore.open(join(dir, 'events.db'));
    try {
      await store.append('x-1', [event(1)], { expectedRevision: 'no_stream' });
      await expect(other.append('x-1', [event(2)], { expectedRevision: 'no_stream' })).rejects.toMatchObject({
        code: 'CONCURRENCY',
        actualRevision: 0n,
      });
      await other.append('x-1', [event(3)], { expectedRevision: 0n });
      await expect(store.append('x-1', [event(4)], { expectedRevision: 0n })).rejects.toMatchObject({
        code: 'CONCURRENCY',
        actualRevision: 1n,
      });
      await store.append('x-1', [event(5)], { expectedRevision: 1n });
      expect((await collect(other.readStream('x-1'))).map((e) => [e.revision, e.data])).toEqual([
        [0n, 1],
        [1n, 3],
        [2n, 5],
      ]);
    } finally {
      await other.close();
    }
  });

  it('commits what is queued when closed, and refuses appends afterwards', async () => {
    const pending = store.append('c-1', [event(1)]);
    await store.close();
    await expect(pending).resolves.toMatchObject({ nextExpectedRevision: 0n });
    await expect(store.append('c-1', [event(2)])).rejects.toThrow(/is closed/);
    store = SqliteEventStore.open(join(dir, 'events.db'));
    expect(store.streamRevision('c-1')).toBe(0n);
  });
});
