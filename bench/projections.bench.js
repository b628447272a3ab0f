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

/**
 * Emmett's benchmark workload, reproduced in shape: an order domain, ~190-byte events (JSON data),
 * `count` events in 10,000 order streams, one event per append (a command each), mostly items added,
 * some removed, each order confirmed once near its end.
 */
function orderEvent(i) {
  const order = i % KEYS;
  const step = Math.floor(i / KEYS);
  const type =
    step % 25 === 24 ? 'order.confirmed' : step % 7 === 6 ? 'order.item-removed' : 'order.item-added';
  return {
    type,
    data: {
      orderId: `order-${String(order).padStart(6, '0')}`,
      clientId: `client-${String(order % 1000).padStart(5, '0')}`,
      productItem: {
        productId: `product-${String((i * 7) % 5000).padStart(6, '0')}`,
        quantity: 1 + (i % 5),
        unitPrice: 100 + (i % 900),
      },
      at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
      channel: 'web',
      currency: 'EUR',
    },
    metadata: metadataFor(i),
  };
}

async function fillOrders(file, count) {
  const store = SqliteEventStore.open({ path: file, synchronous: 'normal' });
  for (let i = 0; i < count; i += 1000) {
    const pending = [];
    for (let j = i; j < Math.min(count, i + 1000); j++) {
      const e = orderEvent(j);
      pending.push(store.append(e.data.orderId, [e]));
    }
    await Promise.all(pending);
  }
  await store.close();
}

/** The ceiling of the order workload: iterate, parse, count per order in a Map. */
function rawOrders(file) {
  const db = new Database(file, { readonly: true });
  const counters = new Map();
  const start = process.hrtime.bigint();
  for (const row of db
    .prepare('SELECT type, data FROM rewind_events ORDER BY position')
    .raw(true)
    .iterate()) {
    const e = JSON.parse(row[1]);
    const c = counters.get(e.orderId) || { items: 0, total: 0, events: 0, confirmed: false };
    const sign = row[0] === 'order.item-removed' ? -1 : row[0] === 'order.item-added' ? 1 : 0;
    c.items += sign * e.productItem.quantity;
    c.total += sign * e.productItem.quantity * e.productItem.unitPrice;
    c.events++;
    if (sign === 0) c.confirmed = true;
    counters.set(e.orderId, c);
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  db.close();
  return { ms, keys: counters.size };
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
function rebuildInChild(file, target, mode = 'rebuild', workload = 'sales') {
  const out = execFileSync(
    process.execPath,
    [path.join(__dirname, 'projections.child.js'), file, target, mode, workload],
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
    // The second data set, Emmett's workload shape (orders, ~190-byte events, read-modify-write counters).
    const ordersFile = path.join(dir, 'orders.db');
    await fillOrders(ordersFile, count);
    const rawOrderRuns = [];
    const orderMemRuns = [];
    const orderSqliteRuns = [];
    const orderSqliteCatchUpRuns = [];
    for (let r = 0; r < runs; r++) {
      rawOrderRuns.push(rawOrders(ordersFile));
      orderMemRuns.push(rebuildInChild(ordersFile, 'memory', 'rebuild', 'orders'));
      orderSqliteRuns.push(rebuildInChild(ordersFile, path.join(dir, `orm-${r}.db`), 'rebuild', 'orders'));
      orderSqliteCatchUpRuns.push(
        rebuildInChild(ordersFile, path.join(dir, `orm-live-${r}.db`), 'catch-up', 'orders'),
      );
    }
    for (const result of [...orderMemRuns, ...orderSqliteRuns, ...orderSqliteCatchUpRuns]) {
      if (result.processed !== count || result.keys !== KEYS)
        throw new Error(
          `order rebuild applied ${result.processed}/${count} events into ${result.keys} documents`,
        );
    }
    const rawOrderRate = count / (median(rawOrderRuns.map((x) => x.ms)) / 1000);
    const orderRate = (runsOf) => count / (median(runsOf.map((x) => x.ms)) / 1000);
    const orderRows = [
      ['rebuild', 'in-memory read model', orderMemRuns],
      ['rebuild', 'SQLite read-model store', orderSqliteRuns],
      ['live runner catching up', 'SQLite read-model store', orderSqliteCatchUpRuns],
    ].map(([what, into, runsOf]) => ({
      figure: `orders (Emmett's shape, ~190-byte events, 10,000 streams): ${what} ${count.toLocaleString('en-US')} events into the ${into}, get + put counters per event`,
      unit: 'events/s',
      value: orderRate(runsOf),
      baseline: rawOrderRate,
      baselineLabel: 'raw iterate + JSON.parse + Map counters',
      ratio: orderRate(runsOf) / rawOrderRate,
      target: 'ratio >= 0.5',
      pass: orderRate(runsOf) / rawOrderRate >= 0.5,
      note: `peak RSS ${Math.max(...runsOf.map((x) => x.peakRssMb)).toFixed(0)} MB; load average ${os.loadavg()[0].toFixed(2)}`,
    }));
    const allRuns = [
      ...memRuns,
      ...catchUpRuns,
      ...sqliteRuns,
      ...sqliteCatchUpRuns,
      ...orderMemRuns,
      ...orderSqliteRuns,
      ...orderSqliteCatchUpRuns,
    ];

    const rawRate = count / (median(rawRuns.map((x) => x.ms)) / 1000);
    const memRate = count / (median(memRuns.map((x) => x.ms)) / 1000);
    const catchUpRate = count / (median(catchUpRuns.map((x) => x.ms)) / 1000);
    const sqliteRate = count / (median(sqliteRuns.map((x) => x.ms)) / 1000);
    const sqliteCatchUpRate = count / (median(sqliteCatchUpRuns.map((x) => x.ms)) / 1000);
    const peak = Math.max(...allRuns.map((x) => x.peakRssMb));
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
        target: 'ratio >= 0.5',
        pass: sqliteRate / rawRate >= 0.5,
        note: `get + put per event over 10,000 documents; load average ${os.loadavg()[0].toFixed(2)}`,
      },
      {
        figure: `live runner catching up ${label} events from the start into the SQLite read-model store`,
        unit: 'events/s',
        value: sqliteCatchUpRate,
        baseline: rawRate,
        baselineLabel: 'raw iterate + JSON.parse + Map',
        ratio: sqliteCatchUpRate / rawRate,
        target: 'ratio >= 0.5',
        pass: sqliteCatchUpRate / rawRate >= 0.5,
      },
      ...orderRows,
      {
        figure: `worst event-loop delay while a runner catches up ${label} events (a 50 ms timer, in-memory and SQLite read models)`,
        unit: 'ms',
        value: worstDelay,
        target: '<= 100 ms',
        pass: worstDelay <= 100,
      },
      {
        figure: `peak RSS of a ${label}-event rebuild or catch-up (worst of the runs above, both data sets)`,
        unit: 'MB',
        value: peak,
        target: '<= 150 MB',
        pass: peak <= 150,
      },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { run, fill, fillOrders, raw, rawOrders, rebuildInChild };

if (require.main === module) {
  run({ quick: process.argv.includes('--quick') }).then((rows) => console.table(rows));
}
