// @rewind/postgres behind PgBouncer: what `preparedStatements: false` costs (unnamed statements, parsed
// and planned on every call, instead of the named `get` that `pg` prepares once per connection), on a
// throwaway cluster and a throwaway PgBouncer 1.18+ in transaction mode started by this bench.
//   node bench/pgbouncer.bench.js [--quick]   prints a table (after `npx tsc -b packages/postgres packages/sqlite packages/testing`)
//   npm run bench -- pgbouncer                 runs it with the other benches
// `run({ quick })` resolves to rows { figure, unit, value, baseline, baselineLabel, ratio, note }.
//
// Three workloads, each run with named statements directly on PostgreSQL (the reference), unnamed
// ones directly, and unnamed ones through the bouncer — interleaved in every round, median of rounds:
// - rebuild with a read-modify-write per event (`get` then `put`): the `get` is the only statement
//   the option changes, so this is where it costs most;
// - small commits (a live runner's): one transaction per event with a `get`, a `put` and a checkpoint;
// - point reads outside transactions (`store.collection(ns, c).get(key)`, what a query side does).
'use strict';
require('reflect-metadata');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createRewind, DomainEvent } = require('@rewind/core');
const { On, Projection, ProjectionEngine, rebuildProjection } = require('@rewind/projections');
const { SqliteEventStore } = require('@rewind/sqlite');
const { PostgresReadModelStore } = require('@rewind/postgres');
// The throwaway helpers of @rewind/testing, required by file: the package's index also loads the jest
// contract suites, which refuse to load outside jest.
const { startThrowawayPostgres } = require('../packages/testing/dist/postgres/throwawayPostgres');
const { startThrowawayPgBouncer } = require('../packages/testing/dist/postgres/throwawayPgBouncer');
const { median } = require('./lib');

const metadata = {
  schemaVersion: 1,
  correlationId: 'bench',
  causationId: 'bench',
  occurredAt: '2026-01-01T00:00:00.000Z',
};
const KEYS = 2_000;
const BATCH = 500;

class Sold {}
DomainEvent('bench.sold')(Sold);

/** Read-modify-write per event: `get` then `put` of the product's counter. */
class SalesProjection {
  async on(event, ctx) {
    const sales = ctx.collection('sales');
    const current = await sales.get(event.product);
    await sales.put(event.product, { events: (current ? current.events : 0) + 1 });
  }
}
On(Sold)(SalesProjection.prototype, 'on');
Projection('bouncer-sales', { version: 1 })(SalesProjection);

async function fill(file, count) {
  const store = SqliteEventStore.open({ path: file, synchronous: 'normal' });
  for (let i = 0; i < count; i += 100) {
    const events = Array.from({ length: Math.min(100, count - i) }, (_, k) => ({
      type: 'bench.sold',
      data: { product: `p-${(i + k) % KEYS}` },
      metadata,
    }));
    await store.append(`sales-${i}`, events);
  }
  await store.close();
}

async function rebuild(file, store) {
  const eventStore = SqliteEventStore.open({ path: file });
  try {
    const rewind = createRewind({ eventStore, events: [Sold] });
    const engine = new ProjectionEngine({
      eventStore,
      events: rewind.events,
      store,
      processors: [SalesProjection],
    });
    const start = process.hrtime.bigint();
    const result = await rebuildProjection(engine, 'bouncer-sales', { batchSize: BATCH, fresh: true });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    return { ms, processed: result.processed };
  } finally {
    await eventStore.close();
  }
}

async function smallCommits(store, namespace, count) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    await store.transaction(namespace, async (tx) => {
      const c = tx.collection('counters');
      const key = `k-${i % 50}`;
      const current = await c.get(key);
      await c.put(key, { n: (current ? current.n : 0) + 1 });
      await tx.setCheckpoint({ commit: BigInt(i + 1), prepare: BigInt(i + 1) });
    });
  }
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function pointReads(store, namespace, count) {
  const reader = store.collection(namespace, 'counters');
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await reader.get(`k-${i % 50}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function run({ quick = false } = {}) {
  const count = quick ? 10_000 : 50_000;
  const commits = quick ? 500 : 2_000;
  const reads = quick ? 2_000 : 10_000;
  const rounds = quick ? 2 : 5;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rewind-bench-pgb-'));
  const file = path.join(dir, 'events.db');
  const pg = await startThrowawayPostgres();
  let bouncer;
  const stores = [];
  try {
    bouncer = await startThrowawayPgBouncer(pg, { poolMode: 'transaction', defaultPoolSize: 4 });
    await fill(file, count);
    const variants = [
      { name: 'named, direct', url: pg.url, preparedStatements: true },
      { name: 'unnamed, direct', url: pg.url, preparedStatements: false },
      { name: 'unnamed, PgBouncer', url: bouncer.url, preparedStatements: false },
    ];
    for (const v of variants) {
      v.store = await PostgresReadModelStore.connect({
        connectionString: v.url,
        preparedStatements: v.preparedStatements,
        schema: `bench_${v.name.replace(/[^a-z]+/g, '_')}`,
      });
      stores.push(v.store);
      v.rebuild = [];
      v.commits = [];
      v.reads = [];
    }
    // Interleaved: each workload runs on every variant in turn, in a rotating order, so that drift on
    // the machine (other processes, caches warming) hits every variant alike.
    const inTurn = async (r, work) => {
      for (let k = 0; k < variants.length; k++) await work(variants[(r + k) % variants.length]);
    };
    for (let r = 0; r < rounds; r++) {
      await inTurn(r, async (v) => {
        const built = await rebuild(file, v.store);
        if (built.processed !== count) throw new Error(`${v.name}: rebuilt ${built.processed}/${count}`);
        v.rebuild.push(built.ms);
      });
      await inTurn(r, async (v) => v.commits.push(await smallCommits(v.store, `commits_${r}@v1`, commits)));
      await inTurn(r, async (v) => v.reads.push(await pointReads(v.store, `commits_${r}@v1`, reads)));
    }
    const [named, ...others] = variants;
    const load = os.loadavg()[0].toFixed(1);
    const rows = [];
    for (const [key, n, unit, what] of [
      ['rebuild', count, 'events/s', `rebuild ${count.toLocaleString('en-US')} events, get + put per event`],
      [
        'commits',
        commits,
        'commits/s',
        `${commits.toLocaleString('en-US')} small commits (get + put + checkpoint)`,
      ],
      ['reads', reads, 'reads/s', `${reads.toLocaleString('en-US')} point reads outside transactions`],
    ]) {
      const base = n / (median(named[key]) / 1000);
      rows.push({ figure: `${what}: named, direct`, unit, value: base });
      for (const v of others) {
        const value = n / (median(v[key]) / 1000);
        rows.push({
          figure: `${what}: ${v.name}`,
          unit,
          value,
          baseline: base,
          baselineLabel: 'named, direct',
          ratio: value / base,
          note: `median of ${rounds} interleaved rounds; local throwaway cluster (fsync off) and PgBouncer ${bouncer.version.replace('PgBouncer ', '')} (transaction mode, pool 4); load average ${load} on ${os.cpus().length} cores`,
        });
      }
    }
    return rows;
  } finally {
    await Promise.all(stores.map((s) => s.close()));
    await bouncer?.stop();
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
