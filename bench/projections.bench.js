// Rebuilding read models from the SQLite event store: into the in-memory read-model store (against the
// raw ceiling: better-sqlite3 iterate + JSON.parse + apply to a Map over the same file, same run) and into
// the SQLite read-model store. Peak RSS is measured in a child process per rebuild.
'use strict';
require('reflect-metadata');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { randomUUID } = require('node:crypto');
const Database = require('better-sqlite3');
const { SqliteEventStore } = require('@rewind/sqlite');
const { median } = require('./lib');

/** Each append is one command: its events share metadata, distinct from every other append's. */
const metadataFor = (append) => ({
  schemaVersion: 1,
  correlationId: `corr-${append}-${randomUUID()}`,
  causationId: `cmd-${append}-${randomUUID()}`,
  occurredAt: new Date(Date.UTC(2026, 0, 1) + append * 1000).toISOString(),
});
const KEYS = 10_000;

async function fill(file, count) {
  const store = SqliteEventStore.open({ path: file, synchronous: 'normal' });
  for (let i = 0; i < count; i += 1000) {
    const pending = [];
    for (let j = i; j < Math.min(count, i + 1000); j += 10) {
      const metadata = metadataFor(j / 10);
      pending.push(
        store.append(
          `bar-${j % KEYS}`,
          Array.from({ length: 10 }, (_, k) => ({
            type: 'bench.sold',
            data: { product: `p${(j + k) % KEYS}`, quantity: 1 + ((j + k) % 3), price: 2500 },
            metadata,
          })),
        ),
      );
    }
    await Promise.all(pending);
  }
  await store.close();
}

/** The ceiling: iterate, parse, apply to a Map. */
function raw(file) {
  const db = new Database(file, { readonly: true });
  const totals = new Map();
  const start = process.hrtime.bigint();
  for (const row of db.prepare('SELECT data FROM rewind_events ORDER BY position').raw(true).iterate()) {
    const e = JSON.parse(row[0]);
    const t = totals.get(e.product);
    if (t) t.sold += e.quantity;
    else totals.set(e.product, { sold: e.quantity });
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  db.close();
  return { ms, keys: totals.size };
}

/** One rebuild in a child process (own heap, so its peak RSS is its own). */
function rebuildInChild(file, target, mode = 'rebuild') {
  const out = execFileSync(
    process.execPath,
    [path.join(__dirname, 'projections.child.js'), file, target, mode],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(out.trim().split('\n').at(-1));
}

async function run({ quick = false } = {}) {
  const count = quick ? 100_000 : 1_000_000;
  const runs = quick ? 1 : 3;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rewind-bench-proj-'));
  const file = path.join(dir, 'events.db');
  try {
    await fill(file, count);
    const rawRuns = [];
    const memRuns = [];
    const catchUpRuns = [];
    const sqliteRuns = [];
    const sqliteCatchUpRuns = [];
    for (let r = 0; r < runs; r++) {
      rawRuns.push(raw(file));
      memRuns.push(rebuildInChild(file, 'memory'));
      catchUpRuns.push(rebuildInChild(file, 'memory', 'catch-up'));
      sqliteRuns.push(rebuildInChild(file, path.join(dir, `rm-${r}.db`)));
      sqliteCatchUpRuns.push(rebuildInChild(file, path.join(dir, `rm-live-${r}.db`), 'catch-up'));
    }
    for (const result of [...memRuns, ...catchUpRuns, ...sqliteRuns, ...sqliteCatchUpRuns]) {
      if (result.processed !== count || result.keys !== KEYS)
        throw new Error(`rebuild applied ${result.processed}/${count} events into ${result.keys} documents`);
    }
    const rawRate = count / (median(rawRuns.map((x) => x.ms)) / 1000);
    const memRate = count / (median(memRuns.map((x) => x.ms)) / 1000);
    const catchUpRate = count / (median(catchUpRuns.map((x) => x.ms)) / 1000);
    const sqliteRate = count / (median(sqliteRuns.map((x) => x.ms)) / 1000);
    const sqliteCatchUpRate = count / (median(sqliteCatchUpRuns.map((x) => x.ms)) / 1000);
    const peak = Math.max(
      ...[...memRuns, ...catchUpRuns, ...sqliteRuns, ...sqliteCatchUpRuns].map((x) => x.peakRssMb),
    );
    const worstDelay = Math.max(...[...catchUpRuns, ...sqliteCatchUpRuns].map((x) => x.worstDelayMs));
    const label = count.toLocaleString('en-US');
    return [
      {
        figure: `rebuild ${label} events, SQLite event store -> in-memory read model`,
        unit: 'events/s',
        value: memRate,
        baseline: rawRate,
        baselineLabel: 'raw iterate + JSON.parse + Map',
        ratio: memRate / rawRate,
        target: 'ratio >= 0.5',
        pass: memRate / rawRate >= 0.5,
      },
      {
        figure: `live runner catching up ${label} events from the start, SQLite event store -> in-memory read model`,
        unit: 'events/s',
        value: catchUpRate,
        baseline: rawRate,
        baselineLabel: 'raw iterate + JSON.parse + Map',
        ratio: catchUpRate / rawRate,
        target: 'ratio >= 0.5',
        pass: catchUpRate / rawRate >= 0.5,
      },
      {
        figure: `rebuild ${label} events into the SQLite read-model store`,
        unit: 'events/s',
        value: sqliteRate,
        baseline: rawRate,
        baselineLabel: 'raw iterate + JSON.parse + Map',
        ratio: sqliteRate / rawRate,
        target: '>= 100,000 events/s',
        pass: sqliteRate >= 100_000,
      },
      {
        figure: `live runner catching up ${label} events from the start into the SQLite read-model store`,
        unit: 'events/s',
        value: sqliteCatchUpRate,
        baseline: rawRate,
        baselineLabel: 'raw iterate + JSON.parse + Map',
        ratio: sqliteCatchUpRate / rawRate,
      },
      {
        figure: `worst event-loop delay while a runner catches up ${label} events (a 50 ms timer, in-memory and SQLite read models)`,
        unit: 'ms',
        value: worstDelay,
        target: '<= 100 ms',
        pass: worstDelay <= 100,
      },
      {
        figure: `peak RSS of a ${label}-event rebuild or catch-up (worst of the runs above)`,
        unit: 'MB',
        value: peak,
        target: '< 300 MB',
        pass: peak < 300,
      },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { run };

if (require.main === module) {
  run({ quick: process.argv.includes('--quick') }).then((rows) => console.table(rows));
}
