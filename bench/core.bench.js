// Aggregate loads (with and without snapshots, across history sizes) and the command round trip
// (validate, load, decide, append) on the embedded SQLite store, durable (synchronous=FULL).
'use strict';
/* global structuredClone */
require('reflect-metadata');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { IsInt, IsUUID, Min } = require('class-validator');
const {
  Aggregate,
  AggregateId,
  AggregateRoot,
  CommandHandler,
  createRewind,
  DomainEvent,
  EventSourcingHandler,
  InMemoryEventStore,
} = require('@rewind/core');
const Database = require('better-sqlite3');
const { SqliteEventStore, SqliteSnapshotStorage } = require('@rewind/sqlite');
const { median, percentile } = require('./lib');

class Stocked {
  constructor(sku, quantity) {
    this.sku = sku;
    this.quantity = quantity;
  }
}
DomainEvent('bench.stocked')(Stocked);

class Stock {}
IsUUID()(Stock.prototype, 'id');
AggregateId()(Stock.prototype, 'id');
IsInt()(Stock.prototype, 'quantity');
Min(1)(Stock.prototype, 'quantity');

function shelf(options) {
  class Shelf extends AggregateRoot {
    constructor() {
      super();
      this.items = 0;
      this.lastSku = '';
    }
    stock(command) {
      this.raise(new Stocked('energy-bar', command.quantity));
    }
    onStocked(event) {
      this.items += event.quantity;
      this.lastSku = event.sku;
    }
  }
  CommandHandler(Stock, { mode: 'upsert' })(Shelf.prototype, 'stock');
  EventSourcingHandler(Stocked)(Shelf.prototype, 'onStocked');
  Aggregate(options ? 'snapshelf' : 'shelf', options)(Shelf);
  return Shelf;
}

const metadata = {
  schemaVersion: 1,
  correlationId: 'bench',
  causationId: 'bench',
  occurredAt: '2026-01-01T00:00:00.000Z',
};

async function loadFigures(dir, sizes, runs) {
  const store = SqliteEventStore.open({ path: path.join(dir, 'loads.db'), synchronous: 'normal' });
  const Plain = shelf();
  const Snap = shelf({ snapshotEvery: 100 });
  const plain = createRewind({ eventStore: store, aggregates: [Plain] });
  const snap = createRewind({
    eventStore: store,
    aggregates: [Snap],
    snapshots: new SqliteSnapshotStorage(store),
  });
  const results = [];
  for (const size of sizes) {
    const id = `00000000-0000-4000-8000-${String(size).padStart(12, '0')}`;
    for (const category of ['shelf', 'snapshelf']) {
      for (let i = 0; i < size; i += 1000) {
        const n = Math.min(1000, size - i);
        await store.append(
          `${category}-${id}`,
          Array.from({ length: n }, () => ({
            type: 'bench.stocked',
            data: { sku: 'energy-bar', quantity: 1 },
            metadata,
          })),
        );
      }
    }
    await snap.repository.load(Snap, id); // takes the snapshot
    const raw = rawFold(path.join(dir, 'loads.db'), `shelf-${id}`);
    const plainMs = [];
    const snapMs = [];
    const rawMs = [];
    for (let r = 0; r < runs; r++) {
      let t = process.hrtime.bigint();
      const folded = raw.fold();
      rawMs.push(Number(process.hrtime.bigint() - t) / 1e6);
      if (folded.items !== size) throw new Error(`raw fold saw ${folded.items} of ${size}`);
      t = process.hrtime.bigint();
      const a = await plain.repository.load(Plain, id);
      plainMs.push(Number(process.hrtime.bigint() - t) / 1e6);
      t = process.hrtime.bigint();
      const b = await snap.repository.load(Snap, id);
      snapMs.push(Number(process.hrtime.bigint() - t) / 1e6);
      if (a.items !== size || b.items !== size) throw new Error(`loaded ${a.items}/${b.items} of ${size}`);
    }
    raw.close();
    results.push({ size, plain: median(plainMs), snapshot: median(snapMs), raw: median(rawMs) });
  }
  await store.close();
  return results;
}

/**
 * The ceiling of an aggregate load without snapshots on SQLite: raw better-sqlite3 iterating the
 * stream's rows (every column the store reads) with JSON.parse of each payload and the same fold as
 * the aggregate's handler.
 */
function rawFold(file, streamId) {
  const db = new Database(file, { readonly: true });
  const statement = db
    .prepare(
      'SELECT position, stream_id, revision, event_id, type, data, metadata, recorded_at FROM rewind_events WHERE stream_id = ? ORDER BY revision',
    )
    .raw(true);
  const fold = () => {
    const state = { items: 0, lastSku: '' };
    for (const row of statement.iterate(streamId)) {
      const event = JSON.parse(row[5]);
      state.items += event.quantity;
      state.lastSku = event.sku;
    }
    return state;
  };
  return { fold, close: () => db.close() };
}

/**
 * Aggregate loads from the in-memory store, beside the same events folded from a plain array after
 * one deep copy of it (structuredClone of the whole array): what an in-memory store that copies on
 * read at least costs. Interleaved, medians.
 */
async function inMemoryLoads(sizes, runs) {
  const store = new InMemoryEventStore();
  const Plain = shelf();
  const { repository } = createRewind({ eventStore: store, aggregates: [Plain] });
  const results = [];
  for (const size of sizes) {
    const id = `00000000-0000-4000-8000-${String(size).padStart(12, '0')}`;
    const plainArray = [];
    for (let i = 0; i < size; i += 1000) {
      const events = Array.from({ length: Math.min(1000, size - i) }, () => ({
        type: 'bench.stocked',
        data: { sku: 'energy-bar', quantity: 1 },
        metadata,
      }));
      plainArray.push(...events);
      await store.append(`shelf-${id}`, events);
    }
    const rewindMs = [];
    const arrayMs = [];
    for (let r = 0; r < runs + 1; r++) {
      let t = process.hrtime.bigint();
      const a = await repository.load(Plain, id);
      const loadMs = Number(process.hrtime.bigint() - t) / 1e6;
      t = process.hrtime.bigint();
      const state = { items: 0, lastSku: '' };
      for (const event of structuredClone(plainArray)) {
        state.items += event.data.quantity;
        state.lastSku = event.data.sku;
      }
      const foldMs = Number(process.hrtime.bigint() - t) / 1e6;
      if (a.items !== size || state.items !== size)
        throw new Error(`loaded ${a.items}/${state.items} of ${size}`);
      if (r === 0) continue; // warm-up
      rewindMs.push(loadMs);
      arrayMs.push(foldMs);
    }
    results.push({ size, rewind: median(rewindMs), array: median(arrayMs) });
  }
  await store.close();
  return results;
}

async function roundTrips(dir, clients, perClient) {
  const store = SqliteEventStore.open({ path: path.join(dir, `commands-${clients}.db`) });
  const Shelf = shelf();
  const { commandBus } = createRewind({ eventStore: store, aggregates: [Shelf] });
  const latencies = [];
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      const id = `00000000-0000-4000-9000-${String(c).padStart(12, '0')}`;
      for (let i = 0; i < perClient; i++) {
        const t = process.hrtime.bigint();
        await commandBus.executePlain(Stock, { id, quantity: 1 });
        latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await store.close();
  return {
    throughput: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

async function run({ quick = false } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rewind-bench-core-'));
  try {
    const sizes = quick ? [1_000, 10_000] : [1_000, 10_000, 100_000];
    const loads = await loadFigures(dir, sizes, quick ? 3 : 7);
    const rows = [];
    const at10k = loads.find((l) => l.size === 10_000);
    rows.push({
      figure: 'aggregate load, 10k-event stream, no snapshot (SQLite)',
      unit: 'ms',
      value: at10k.plain,
      baseline: at10k.raw,
      baselineLabel: 'raw better-sqlite3 iterate + JSON.parse + fold',
      ratio: at10k.plain / at10k.raw,
      target: 'time <= 1.1x raw',
      pass: at10k.plain / at10k.raw <= 1.1,
      note: `load average ${os.loadavg()[0].toFixed(2)}`,
    });
    for (const l of await inMemoryLoads(quick ? [10_000] : [10_000, 100_000], quick ? 3 : 7)) {
      rows.push({
        figure: `aggregate load, ${l.size.toLocaleString('en-US')}-event stream, no snapshot (InMemoryEventStore)`,
        unit: 'ms',
        value: l.rewind,
        baseline: l.array,
        baselineLabel: 'plain array fold after one structuredClone of the array',
        ratio: l.rewind / l.array,
        target: 'time <= 1x the array fold',
        pass: l.rewind <= l.array,
        note: `load average ${os.loadavg()[0].toFixed(2)}`,
      });
    }
    for (const l of loads) {
      rows.push({
        figure: `aggregate load with snapshots (every 100), ${l.size.toLocaleString('en-US')}-event history`,
        unit: 'ms',
        value: l.snapshot,
        baseline: l.plain,
        baselineLabel: 'same load without snapshots',
        ratio: l.snapshot / l.plain,
        target: '<= 2 ms, flat',
        pass: l.snapshot <= 2,
      });
    }
    const one = await roundTrips(dir, 1, quick ? 200 : 1000);
    const many = await roundTrips(dir, 64, quick ? 10 : 40);
    rows.push({ figure: 'command round trip, 1 client (durable): p50', unit: 'ms', value: one.p50 });
    rows.push({ figure: 'command round trip, 1 client (durable): p99', unit: 'ms', value: one.p99 });
    rows.push({ figure: 'command throughput, 1 client', unit: 'commands/s', value: one.throughput });
    rows.push({ figure: 'command round trip, 64 clients (durable): p50', unit: 'ms', value: many.p50 });
    rows.push({ figure: 'command round trip, 64 clients (durable): p99', unit: 'ms', value: many.p99 });
    rows.push({
      figure: 'command throughput, 64 clients',
      unit: 'commands/s',
      value: many.throughput,
      baseline: one.throughput,
      baselineLabel: '1 client',
      ratio: many.throughput / one.throughput,
    });
    return rows;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { run };

if (require.main === module) {
  run({ quick: process.argv.includes('--quick') }).then((rows) =>
    console.table(
      rows.map((r) => ({
        figure: r.figure,
        value: Number(r.value.toPrecision(4)),
        unit: r.unit,
        pass: r.pass,
      })),
    ),
  );
}
