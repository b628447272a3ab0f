// @rewind/sqlite: durable append throughput (group commit vs one commit per append) and reading a
// large log back, each beside its ceiling measured in the same run.
//   node bench/sqlite.bench.js [--quick]   prints a table (after `npx tsc -b packages/sqlite`)
//   npm run bench -- sqlite                runs it with the other benches
// `run({ quick })` resolves to rows { figure, unit, value, baseline, ratio, target, pass, note }.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { randomUUID } = require('node:crypto');
const Database = require('better-sqlite3');
const { SqliteEventStore } = require('@rewind/sqlite');
const { median } = require('./lib');

const metadata = {
  schemaVersion: 1,
  correlationId: 'bench',
  causationId: 'bench',
  occurredAt: '2026-01-01T00:00:00.000Z',
};
const event = (i) => ({
  type: 'bench.happened',
  data: { i, name: 'energy bar', price: 2500, tags: ['a', 'b'] },
  metadata,
});

function tempFile() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rewind-bench-'));
  return {
    file: path.join(dir, 'events.db'),
    dispose: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** Sequential awaited appends: one commit (one fsync) each. */
async function singleCommitRate(count) {
  const { file, dispose } = tempFile();
  const store = SqliteEventStore.open({ path: file });
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await store.append(`single-${i % 100}`, [event(i)]);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await store.close();
  dispose();
  return count / seconds;
}

/** `writers` concurrent loops, each appending single events to its own stream with exact revisions. */
async function concurrentRate(writers, perWriter) {
  const { file, dispose } = tempFile();
  const store = SqliteEventStore.open({ path: file });
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < perWriter; i++) {
        await store.append(`writer-${w}`, [event(i)], {
          expectedRevision: i === 0 ? 'no_stream' : BigInt(i - 1),
        });
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const { commits, appends } = store.commitStats;
  await store.close();
  dispose();
  return { rate: (writers * perWriter) / seconds, perCommit: appends / commits };
}

/**
 * The ceiling for `concurrentRate`: raw better-sqlite3 on the store's own schema and settings (WAL,
 * synchronous=FULL), the same events serialized to JSON, written as an ideal group commit would: one
 * transaction (one fsync) per `writers` inserts, each the next revision of its writer's stream, and
 * nothing else — no expected-revision check, no stream table, no promises.
 */
async function rawGroupCommitRate(writers, perWriter) {
  const { file, dispose } = tempFile();
  await SqliteEventStore.open({ path: file }).close(); // the store's schema
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  const insert = db.prepare(
    'INSERT INTO rewind_events (stream_id, revision, event_id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const round = db.transaction((i) => {
    const now = Date.now();
    for (let w = 0; w < writers; w++) {
      const e = event(i);
      insert.run(
        `writer-${w}`,
        i,
        randomUUID(),
        e.type,
        JSON.stringify(e.data),
        JSON.stringify(e.metadata),
        now,
      );
    }
  });
  const start = process.hrtime.bigint();
  for (let i = 0; i < perWriter; i++) round(i);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  db.close();
  dispose();
  return (writers * perWriter) / seconds;
}

async function fill(file, count) {
  const store = SqliteEventStore.open({ path: file, synchronous: 'normal' });
  const batch = 1000;
  for (let i = 0; i < count; i += batch) {
    const pending = [];
    for (let j = i; j < Math.min(count, i + batch); j += 10) {
      pending.push(
        store.append(
          `fill-${j % 5000}`,
          Array.from({ length: 10 }, (_, k) => event(j + k)),
        ),
      );
    }
    await Promise.all(pending);
  }
  await store.close();
}

async function readRewind(file) {
  const store = SqliteEventStore.open({ path: file });
  let n = 0;
  let sum = 0;
  const start = process.hrtime.bigint();
  for await (const e of store.readAll()) {
    n++;
    sum += e.data.i;
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  await store.close();
  return { n, ms, sum };
}

function readRaw(file) {
  const db = new Database(file, { readonly: true });
  const statement = db
    .prepare(
      'SELECT position, stream_id, revision, type, data, metadata, recorded_at FROM rewind_events ORDER BY position',
    )
    .raw(true);
  let n = 0;
  let sum = 0;
  const start = process.hrtime.bigint();
  for (const row of statement.iterate()) {
    n++;
    sum += JSON.parse(row[4]).i;
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  db.close();
  return { n, ms, sum };
}

async function run({ quick = false } = {}) {
  const runs = quick ? 1 : 3;
  const rows = [];

  const single = [];
  const grouped = [];
  const ceiling = [];
  const appendRuns = quick ? 2 : 5;
  for (let r = 0; r < appendRuns; r++) {
    // Interleaved, so the ceiling and the store see the same machine load.
    ceiling.push(await rawGroupCommitRate(64, quick ? 50 : 200));
    grouped.push(await concurrentRate(64, quick ? 50 : 200));
    if (r < runs) single.push(await singleCommitRate(quick ? 500 : 2000));
  }
  const singleRate = median(single);
  const groupRate = median(grouped.map((g) => g.rate));
  const perCommit = median(grouped.map((g) => g.perCommit));
  const ceilingRate = median(ceiling);
  rows.push({
    figure:
      'durable appends, 64 concurrent writers, 1 event each, exact expected revision (synchronous=FULL)',
    unit: 'events/s',
    value: groupRate,
    baseline: ceilingRate,
    baselineLabel: 'raw better-sqlite3 group commit: one transaction + fsync per 64 inserts',
    ratio: groupRate / ceilingRate,
    target: 'ratio >= 0.7',
    pass: groupRate / ceilingRate >= 0.7,
    note: `${perCommit.toFixed(1)} appends per commit; load average ${os.loadavg()[0].toFixed(2)}`,
  });
  rows.push({
    figure: 'durable appends, 64 concurrent writers, 1 event each (synchronous=FULL)',
    unit: 'events/s',
    value: groupRate,
    baseline: singleRate,
    baselineLabel: 'one commit per append',
    ratio: groupRate / singleRate,
    target: '>= 10,000 events/s',
    pass: groupRate >= 10_000,
    note: `${perCommit.toFixed(1)} appends per commit`,
  });

  const count = quick ? 100_000 : 1_000_000;
  const { file, dispose } = tempFile();
  try {
    await fill(file, count);
    const rewind = [];
    const raw = [];
    for (let r = 0; r < runs; r++) {
      raw.push(readRaw(file));
      rewind.push(await readRewind(file));
    }
    const rawMs = median(raw.map((x) => x.ms));
    const rewindMs = median(rewind.map((x) => x.ms));
    if (rewind[0].n !== count || raw[0].n !== count || rewind[0].sum !== raw[0].sum) {
      throw new Error(`read back ${rewind[0].n}/${raw[0].n} events of ${count}: the two readers disagree`);
    }
    rows.push({
      figure: `read ${count.toLocaleString('en-US')} events back (readAll, parsed)`,
      unit: 'events/s',
      value: count / (rewindMs / 1000),
      baseline: count / (rawMs / 1000),
      baselineLabel: 'raw better-sqlite3 iterate + JSON.parse',
      ratio: rewindMs / rawMs,
      target: 'time <= 2x raw',
      pass: rewindMs / rawMs <= 2,
    });
  } finally {
    dispose();
  }
  return rows;
}

module.exports = { run, rawGroupCommitRate, concurrentRate };

if (require.main === module) {
  run({ quick: process.argv.includes('--quick') }).then((rows) => console.table(rows));
}
