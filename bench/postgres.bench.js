// @rewind/postgres: rebuilding a read model from the SQLite event store into the PostgreSQL read-model
// store, on a throwaway cluster started by this bench (fsync off, like the test clusters).
//   node bench/postgres.bench.js [--quick]   prints a table (after `npx tsc -b packages/postgres packages/sqlite packages/testing`)
//   npm run bench -- postgres                runs it with the other benches
// `run({ quick })` resolves to rows { figure, unit, value, target, pass, note }.
//
// Two projections over the same log:
// - order summaries (the target figure): one document per order, ~10k orders; each event writes its
//   order's document with put or patch, which the store buffers and flushes per batch with one
//   multi-row statement per kind (patches merge in SQL, with no read).
// - sales (read-modify-write): `get` then `put` per event; the store's document cache serves a key
//   read or written in an earlier batch, so only a key's first read is a round trip. The same rebuild
//   with the cache off (`documentCacheBytes: 0`) runs in each round too: one round trip per first read
//   of a key in a batch.
'use strict';
require('reflect-metadata');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createRewind, DomainEvent } = require('@rewind/core');
const {
  InMemoryReadModelStore,
  On,
  Projection,
  ProjectionEngine,
  rebuildProjection,
} = require('@rewind/projections');
const { SqliteEventStore } = require('@rewind/sqlite');
const { PostgresReadModelStore } = require('@rewind/postgres');
// The throwaway cluster helper of @rewind/testing, required by file: the package's index also loads
// the jest contract suites, which refuse to load outside jest.
const { startThrowawayPostgres } = require('../packages/testing/dist/postgres/throwawayPostgres');
const { median } = require('./lib');

const metadata = {
  schemaVersion: 1,
  correlationId: 'bench',
  causationId: 'bench',
  occurredAt: '2026-01-01T00:00:00.000Z',
};
const KEYS = 10_000;
const PHASES = ['placed', 'paid', 'packed', 'shipped'];
const BATCH = 2000;

class OrderEvent {}
DomainEvent('bench.order')(OrderEvent);

/** One document per order: the first event of an order puts it, later ones patch its status. */
class OrderSummaryProjection {
  async on(event, ctx) {
    const summaries = ctx.collection('order_summaries');
    if (event.phase === 'placed') {
      await summaries.put(event.order, {
        status: 'placed',
        customer: event.customer,
        total: event.total,
        lines: event.lines,
        updates: 0,
      });
    } else {
      await summaries.patch(event.order, { status: event.phase, [`${event.phase}At`]: event.at });
    }
  }
}
On(OrderEvent)(OrderSummaryProjection.prototype, 'on');
Projection('order-summaries', { version: 1 })(OrderSummaryProjection);

/** Read-modify-write per event: units sold per product. */
class SalesProjection {
  async on(event, ctx) {
    const sales = ctx.collection('sales');
    const current = await sales.get(event.order);
    await sales.put(event.order, { events: (current ? current.events : 0) + 1, total: event.total });
  }
}
On(OrderEvent)(SalesProjection.prototype, 'on');
Projection('sales', { version: 1 })(SalesProjection);

/** The same counters without the read: `increment`, which PostgreSQL applies at flush. */
class SalesCounterProjection {
  async on(event, ctx) {
    await ctx.collection('sales').increment(event.order, { events: 1 });
  }
}
On(OrderEvent)(SalesCounterProjection.prototype, 'on');
Projection('sales-counters', { version: 1 })(SalesCounterProjection);

function orderEvent(i) {
  const n = i % KEYS;
  return {
    type: 'bench.order',
    data: {
      order: `order-${n}`,
      phase: PHASES[Math.floor(i / KEYS) % PHASES.length],
      customer: `customer-${n % 997}`,
      total: 2500 + (n % 10) * 100,
      lines: [{ sku: 'energy-bar', qty: 1 + (n % 3) }],
      at: i,
    },
    metadata,
  };
}

async function fill(file, count) {
  const store = SqliteEventStore.open({ path: file, synchronous: 'normal' });
  for (let i = 0; i < count; i += 1000) {
    const pending = [];
    for (let j = i; j < Math.min(count, i + 1000); j += 10) {
      pending.push(
        store.append(
          `order-${j % KEYS}`,
          Array.from({ length: Math.min(10, count - j) }, (_, k) => orderEvent(j + k)),
        ),
      );
    }
    await Promise.all(pending);
  }
  await store.close();
}

/** Rebuilds `projection` from the log into a fresh schema; returns the time and what was built. */
async function rebuild(file, url, schema, projection, processors, storeOptions = {}) {
  const eventStore = SqliteEventStore.open({ path: file });
  const store = url
    ? await PostgresReadModelStore.connect({ connectionString: url, schema, ...storeOptions })
    : new InMemoryReadModelStore();
  try {
    const rewind = createRewind({ eventStore, events: [OrderEvent] });
    const engine = new ProjectionEngine({ eventStore, events: rewind.events, store, processors });
    const start = process.hrtime.bigint();
    const result = await rebuildProjection(engine, projection, { batchSize: BATCH });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const collection = projection.startsWith('sales') ? 'sales' : 'order_summaries';
    const documents = await store.collection(result.namespace, collection).count();
    const sample = await store.collection(result.namespace, collection).get('order-7');
    return { ms, processed: result.processed, documents, sample };
  } finally {
    await store.close();
    await eventStore.close();
  }
}

async function run({ quick = false } = {}) {
  const count = quick ? 100_000 : 1_000_000;
  const rmwCount = quick ? 20_000 : 100_000;
  const runs = quick ? 1 : 3;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rewind-bench-pg-'));
  const file = path.join(dir, 'events.db');
  const rmwFile = path.join(dir, 'rmw-events.db');
  const pg = await startThrowawayPostgres();
  try {
    await fill(file, count);
    await fill(rmwFile, rmwCount);
    const summaries = [];
    const sales = [];
    const counters = [];
    const uncached = [];
    const inMemory = [];
    for (let r = 0; r < runs; r++) {
      inMemory.push(await rebuild(file, undefined, undefined, 'order-summaries', [OrderSummaryProjection]));
      const s = await rebuild(file, pg.url, `bench_summaries_${r}`, 'order-summaries', [
        OrderSummaryProjection,
      ]);
      const lastPhase = PHASES[Math.floor((count - 1) / KEYS) % PHASES.length];
      if (
        s.processed !== count ||
        s.documents !== Math.min(KEYS, count) ||
        s.sample.customer !== 'customer-7'
      ) {
        throw new Error(
          `order summaries: applied ${s.processed}/${count} events into ${s.documents} documents`,
        );
      }
      if (lastPhase !== 'placed' && s.sample.status !== lastPhase) {
        throw new Error(`order summaries: order-7 is "${s.sample.status}", expected "${lastPhase}"`);
      }
      summaries.push(s);
      const m = await rebuild(rmwFile, pg.url, `bench_sales_${r}`, 'sales', [SalesProjection]);
      if (m.processed !== rmwCount || m.sample.events !== Math.ceil((rmwCount - 7) / KEYS)) {
        throw new Error(
          `sales: applied ${m.processed}/${rmwCount} events; order-7 counted ${m.sample.events}`,
        );
      }
      sales.push(m);
      const u = await rebuild(rmwFile, pg.url, `bench_uncached_${r}`, 'sales', [SalesProjection], {
        documentCacheBytes: 0,
      });
      if (u.processed !== rmwCount || u.sample.events !== Math.ceil((rmwCount - 7) / KEYS)) {
        throw new Error(
          `sales without cache: applied ${u.processed}/${rmwCount} events; order-7 counted ${u.sample.events}`,
        );
      }
      uncached.push(u);
      const c = await rebuild(rmwFile, pg.url, `bench_counters_${r}`, 'sales-counters', [
        SalesCounterProjection,
      ]);
      if (c.processed !== rmwCount || c.sample.events !== Math.ceil((rmwCount - 7) / KEYS)) {
        throw new Error(
          `sales counters: applied ${c.processed}/${rmwCount} events; order-7 counted ${c.sample.events}`,
        );
      }
      counters.push(c);
    }
    const rate = count / (median(summaries.map((x) => x.ms)) / 1000);
    const rmwRate = rmwCount / (median(sales.map((x) => x.ms)) / 1000);
    const counterRate = rmwCount / (median(counters.map((x) => x.ms)) / 1000);
    const uncachedRate = rmwCount / (median(uncached.map((x) => x.ms)) / 1000);
    const memRate = count / (median(inMemory.map((x) => x.ms)) / 1000);
    const load = os.loadavg()[0].toFixed(1);
    return [
      {
        figure: `rebuild ${count.toLocaleString('en-US')} events (SQLite log) into PostgreSQL, one document per event (put/patch, ${KEYS.toLocaleString('en-US')} orders)`,
        unit: 'events/s',
        value: rate,
        baseline: memRate,
        baselineLabel: 'same rebuild into the in-memory store',
        ratio: rate / memRate,
        target: '>= 20,000 events/s',
        pass: rate >= 20_000,
        note: `batches of ${BATCH}; median of ${runs}; local throwaway cluster, fsync off; load average ${load} on ${os.cpus().length} cores`,
      },
      {
        figure: `rebuild ${rmwCount.toLocaleString('en-US')} events into PostgreSQL, read-modify-write per event (get + put)`,
        unit: 'events/s',
        value: rmwRate,
        baseline: rate,
        baselineLabel: 'the put/patch rebuild above',
        ratio: rmwRate / rate,
        target: 'ratio >= 0.5',
        pass: rmwRate / rate >= 0.5,
        note: `document cache on (default): a key read or written in an earlier batch costs no round trip; load average ${load}`,
      },
      {
        figure: `rebuild ${rmwCount.toLocaleString('en-US')} events into PostgreSQL, read-modify-write per event (get + put), document cache off`,
        unit: 'events/s',
        value: uncachedRate,
        baseline: rate,
        baselineLabel: 'the put/patch rebuild above',
        ratio: uncachedRate / rate,
        target: 'informational (documentCacheBytes: 0)',
        pass: true,
        note: `one round trip per first read of a key in a batch; load average ${load}`,
      },
      {
        figure: `rebuild ${rmwCount.toLocaleString('en-US')} events into PostgreSQL, the same counters with increment (no read)`,
        unit: 'events/s',
        value: counterRate,
        baseline: rate,
        baselineLabel: 'the put/patch rebuild above',
        ratio: counterRate / rate,
        target: 'ratio >= 0.5',
        pass: counterRate / rate >= 0.5,
        note: `increments are summed per batch and added by the database at flush; load average ${load}`,
      },
    ];
  } finally {
    await pg.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { run };

if (require.main === module) {
  run({ quick: process.argv.includes('--quick') }).then(
    (rows) => console.table(rows),
    (error) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
