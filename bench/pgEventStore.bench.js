// @rewind/postgres event store: durable appends and a full readAll, on a throwaway cluster started by
// this bench WITH durability (fsync=on, synchronous_commit=on, full_page_writes=on — unlike the tests).
//   node bench/pgEventStore.bench.js [--quick]   prints a table (after `npx tsc -b packages/postgres packages/testing`)
//   npm run bench -- pgEventStore                runs it with the other benches
// `run({ quick })` resolves to rows { figure, unit, value, baseline, baselineLabel, ratio, target, pass, note }.
//
// - appends, 1 writer: single-event appends to one stream, exact expected revision, one after another;
// - appends, 64 writers: 64 concurrent writers, each appending single events to a stream of its own with
//   the exact expected revision (the store's group commit gathers them into shared transactions);
//   ceiling: raw `pg`, multi-row INSERT of 64 rows per transaction, one transaction after another;
//   (interleaved: ceiling, Rewind, ceiling, Rewind..., medians);
// - the cost of an inline projection: the same 64 writers while a projection is applied inline in every
//   append's transaction (its appends serialize on the projection's lock), against none, interleaved;
// - readAll (rebuild read): every event of a large log through readAllPages; ceiling: a raw server-side
//   cursor (FETCH 1000) over the same rows with JSON.parse of data and metadata;
// - rebuild of a read model from that log (one document per stream, written with put) into the
//   in-memory store and into the PostgreSQL read-model store, against the same raw read ceiling.
'use strict';
require('reflect-metadata');
const os = require('node:os');
const { randomUUID } = require('node:crypto');
const { Pool } = require('pg');
const { createRewind, DomainEvent } = require('@rewind/core');
const {
  InMemoryReadModelStore,
  On,
  Projection,
  ProjectionEngine,
  rebuildProjection,
} = require('@rewind/projections');
const { PostgresEventStore, PostgresReadModelStore } = require('@rewind/postgres');
const { median } = require('./lib');
// Required by file: the package's index also loads the jest contract suites.
const { startThrowawayPostgres } = require('../packages/testing/dist/postgres/throwawayPostgres');

const metadata = {
  schemaVersion: 1,
  correlationId: 'bench',
  causationId: 'bench',
  occurredAt: '2026-01-01T00:00:00.000Z',
};
const event = (i) => ({
  type: 'bench.ticked',
  data: { i, note: 'a small payload of a few fields', ok: true },
  metadata,
});

class Ticked {}
DomainEvent('bench.ticked')(Ticked);

/** One document per stream, written with put: the one-document-per-event rebuild shape. */
class LastTick {
  async on(event, ctx) {
    await ctx.collection('ticks').put(ctx.envelope.streamId, { i: event.i, ok: event.ok });
  }
}
On(Ticked)(LastTick.prototype, 'on');
Projection('last-tick', { version: 1 })(LastTick);

/** The same, applied inline in the appends' transactions. */
class InlineLastTick {
  async on(event, ctx) {
    await ctx.collection('ticks').put(ctx.envelope.streamId, { i: event.i, ok: event.ok });
  }
}
On(Ticked)(InlineLastTick.prototype, 'on');
Projection('inline-last-tick', { version: 1, inline: true })(InlineLastTick);

async function oneWriter(store, count) {
  const stream = `one-${randomUUID()}`;
  let expected = 'no_stream';
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    expected = (await store.append(stream, [event(i)], { expectedRevision: expected })).nextExpectedRevision;
  }
  return count / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function manyWriters(store, writers, each) {
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      const stream = `many-${w}-${randomUUID()}`;
      let expected = 'no_stream';
      for (let i = 0; i < each; i++) {
        expected = (await store.append(stream, [event(i)], { expectedRevision: expected }))
          .nextExpectedRevision;
      }
    }),
  );
  return (writers * each) / (Number(process.hrtime.bigint() - start) / 1e9);
}

let rawRound = 0;
async function rawBatches(pool, batches, size) {
  const round = rawRound++;
  await pool.query(
    'CREATE TABLE IF NOT EXISTS raw_events (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, stream_id text NOT NULL, revision bigint NOT NULL, event_id text NOT NULL, type text NOT NULL, data json NOT NULL, metadata json NOT NULL, UNIQUE (stream_id, revision))',
  );
  const client = await pool.connect();
  const meta = JSON.stringify(metadata);
  const start = process.hrtime.bigint();
  try {
    for (let b = 0; b < batches; b++) {
      const values = [];
      const params = [];
      for (let i = 0; i < size; i++) {
        const p = params.length;
        values.push(`($${p + 1}, $${p + 2}, $${p + 3}, 'bench.ticked', $${p + 4}, $${p + 5})`);
        params.push(`raw-${round}-${i}`, b, randomUUID(), JSON.stringify(event(b).data), meta);
      }
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO raw_events (stream_id, revision, event_id, type, data, metadata) VALUES ${values.join(', ')}`,
        params,
      );
      await client.query('COMMIT');
    }
  } finally {
    client.release();
  }
  return (batches * size) / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function fillLog(pool, total) {
  // Straight into the store's table, in transactions of 100,000 rows (positions as the store makes them).
  const meta = JSON.stringify(metadata);
  for (let done = 0; done < total; done += 100_000) {
    const n = Math.min(100_000, total - done);
    await pool.query(
      `INSERT INTO rewind.events (stream_id, revision, event_id, type, data, metadata)
       SELECT 'log-' || (g % 10000), (g / 10000), md5(g::text), 'bench.ticked',
              json_build_object('i', g, 'note', 'a small payload of a few fields', 'ok', true), $2::json
         FROM generate_series($1::bigint, $1::bigint + $3 - 1) AS g`,
      [done, meta, n],
    );
  }
  await pool.query('VACUUM ANALYZE rewind.events');
}

async function readAllRate(store) {
  let count = 0;
  const start = process.hrtime.bigint();
  for await (const page of store.readAllPages()) count += page.length;
  return { count, rate: count / (Number(process.hrtime.bigint() - start) / 1e9) };
}

async function rawCursorRate(pool) {
  const client = await pool.connect();
  let count = 0;
  const start = process.hrtime.bigint();
  try {
    await client.query('BEGIN');
    await client.query(
      `DECLARE c NO SCROLL CURSOR FOR SELECT transaction_id::text, seq, stream_id, revision, event_id, type,
              data::text AS data, metadata::text AS metadata, recorded_at
         FROM rewind.events ORDER BY transaction_id, seq`,
    );
    for (;;) {
      const { rows } = await client.query('FETCH 1000 FROM c');
      if (rows.length === 0) break;
      for (const row of rows) {
        row.data = JSON.parse(row.data);
        row.metadata = JSON.parse(row.metadata);
      }
      count += rows.length;
    }
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  return { count, rate: count / (Number(process.hrtime.bigint() - start) / 1e9) };
}

/** Rebuilds the put-only projection from the store's log into a fresh read-model store. */
async function rebuildRate(eventStore, url, expected, options = {}) {
  const models = url
    ? await PostgresReadModelStore.connect({
        connectionString: url,
        schema: `rebuild_${Date.now()}`,
        ...options,
      })
    : new InMemoryReadModelStore();
  try {
    const rewind = createRewind({ eventStore, events: [Ticked] });
    const engine = new ProjectionEngine({
      eventStore,
      events: rewind.events,
      store: models,
      processors: [LastTick],
    });
    const start = process.hrtime.bigint();
    const result = await rebuildProjection(engine, 'last-tick', { batchSize: 2000 });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const documents = await models.collection(result.namespace, 'ticks').count();
    if (result.processed !== expected.events || documents !== expected.streams) {
      throw new Error(
        `rebuild applied ${result.processed} events into ${documents} documents, expected ${expected.events} into ${expected.streams}`,
      );
    }
    return { count: result.processed, rate: result.processed / seconds };
  } finally {
    await models.close();
  }
}

async function run({ quick = false } = {}) {
  const pg = await startThrowawayPostgres({ durable: true });
  const pool = new Pool({ connectionString: pg.url, max: 4 });
  const store = await PostgresEventStore.connect({ connectionString: pg.url, poolConfig: { max: 8 } });
  const rows = [];
  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  try {
    const single = quick ? 300 : 2000;
    const each = quick ? 50 : 300;
    await oneWriter(store, 50); // warm-up
    const one = await oneWriter(store, single);
    rows.push({
      figure: 'durable appends, 1 writer (single events, exact revision)',
      unit: 'events/s',
      value: one,
      note: `load ${load()}`,
    });
    await manyWriters(store, 64, 20); // warm-up
    const rounds = quick ? 1 : 3;
    const manyRates = [];
    const ceilings = [];
    const commitsBefore = store.commitStats;
    for (let r = 0; r < rounds; r++) {
      ceilings.push(await rawBatches(pool, each, 64));
      manyRates.push(await manyWriters(store, 64, each));
    }
    const commits = store.commitStats.commits - commitsBefore.commits;
    const appends = store.commitStats.appends - commitsBefore.appends;
    const many = median(manyRates);
    const ceiling = median(ceilings);
    rows.push({
      figure: 'durable appends, 64 writers (single events, exact revision, own streams)',
      unit: 'events/s',
      value: many,
      baseline: ceiling,
      baselineLabel: 'raw pg: 64-row INSERT per transaction',
      ratio: many / ceiling,
      target: '>= 10,000',
      pass: many >= 10_000,
      note: `medians of ${rounds} interleaved rounds; ${(appends / commits).toFixed(1)} appends per commit; load ${load()}`,
    });

    // The same writers with an inline projection attached, interleaved with runs without one.
    const inlineStore = await PostgresEventStore.connect({
      connectionString: pg.url,
      schema: 'inline',
      poolConfig: { max: 8 },
    });
    const plainStore = await PostgresEventStore.connect({
      connectionString: pg.url,
      schema: 'plain',
      poolConfig: { max: 8 },
    });
    const inlineModels = await PostgresReadModelStore.connect({ connectionString: pg.url, schema: 'inline' });
    try {
      const rewind = createRewind({ eventStore: inlineStore, events: [Ticked] });
      const engine = new ProjectionEngine({
        eventStore: inlineStore,
        events: rewind.events,
        store: inlineModels,
        processors: [InlineLastTick],
      });
      engine.start();
      await engine.ready();
      await manyWriters(inlineStore, 64, 10); // warm-up
      await manyWriters(plainStore, 64, 10);
      const withInline = [];
      const without = [];
      for (let r = 0; r < rounds; r++) {
        without.push(await manyWriters(plainStore, 64, each));
        withInline.push(await manyWriters(inlineStore, 64, each));
      }
      await engine.stop();
      rows.push({
        figure: 'durable appends, 64 writers, with an inline projection (one put per event)',
        unit: 'events/s',
        value: median(withInline),
        baseline: median(without),
        baselineLabel: 'the same writers, no inline projection',
        ratio: median(withInline) / median(without),
        note: `medians of ${rounds} interleaved rounds; load ${load()}`,
      });
    } finally {
      await inlineModels.close();
      await inlineStore.close();
      await plainStore.close();
    }
    const total = quick ? 100_000 : 1_000_000;
    await fillLog(pool, total);
    const raw = await rawCursorRate(pool);
    const read = await readAllRate(store);
    rows.push({
      figure: `readAll of ${read.count.toLocaleString('en-US')} events (readAllPages)`,
      unit: 'events/s',
      value: read.rate,
      baseline: raw.rate,
      baselineLabel: 'raw cursor FETCH 1000 + JSON.parse',
      ratio: read.rate / raw.rate,
      note: `load ${load()}`,
    });
    const { rows: counted } = await pool.query(
      'SELECT count(*)::int AS events, count(DISTINCT stream_id)::int AS streams FROM rewind.events',
    );
    // Interleaved rounds: ceiling, rebuild, ceiling, rebuild...; every ratio to the median ceiling of the run.
    const targets = [
      ['in-memory', undefined],
      ['PostgreSQL', {}],
      ['PostgreSQL, document cache off', { documentCacheBytes: 0 }],
    ];
    const rebuildRounds = quick ? 1 : 3;
    const ceilingRates = [raw.rate];
    const rates = new Map(targets.map(([target]) => [target, []]));
    const loads = [];
    let count = 0;
    for (let r = 0; r < rebuildRounds; r++) {
      for (const [target, options] of targets) {
        const rate = await rebuildRate(store, options && pg.url, counted[0], options);
        count = rate.count;
        rates.get(target).push(rate.rate);
        ceilingRates.push((await rawCursorRate(pool)).rate);
      }
      loads.push(os.loadavg()[0].toFixed(2));
    }
    const ceilingRate = median(ceilingRates);
    for (const [target] of targets) {
      const rate = median(rates.get(target));
      rows.push({
        figure: `rebuild of ${count.toLocaleString('en-US')} events from the PostgreSQL log into ${target} read models (put per event, one document per stream)`,
        unit: 'events/s',
        value: rate,
        baseline: ceilingRate,
        baselineLabel: `raw cursor FETCH 1000 + JSON.parse (median of ${ceilingRates.length}, interleaved)`,
        ratio: rate / ceilingRate,
        target: '>= 0.5x raw read',
        pass: rate / ceilingRate >= 0.5,
        note: `median of ${rebuildRounds} interleaved rounds (${rates
          .get(target)
          .map((x) => Math.round(x))
          .join(', ')}); 1-min load after each round ${loads.join(', ')}`,
      });
    }
  } finally {
    await store.close();
    await pool.end();
    await pg.stop();
  }
  return rows;
}

module.exports = { run };

if (require.main === module) {
  run({ quick: process.argv.includes('--quick') }).then(
    (rows) => {
      for (const row of rows) console.log(JSON.stringify(row));
      console.log(`machine: ${os.cpus()[0]?.model} x${os.cpus().length}, load ${os.loadavg().join(' ')}`);
    },
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
