// @rewind/eventstoredb: the adapter's overhead over the raw @eventstore/db-client, both against the
// in-process EventStoreDB protocol test server (so the server's own cost is the same on both sides).
//   node bench/eventstoredb.bench.js [--quick]   prints a table (after `npx tsc -b packages/eventstoredb packages/testing`)
//   npm run bench -- eventstoredb                runs it with the other benches
// `run({ quick })` resolves to rows { figure, unit, value, baseline, ratio, note }: value is the adapter,
// baseline the raw client doing the same work, ratio = value / baseline (time: lower is better).
'use strict';
const { EventStoreDBClient, jsonEvent } = require('@eventstore/db-client');
const { EventStoreDBEventStore } = require('@rewind/eventstoredb');
// the server's own module: @rewind/testing's index also loads jest helpers, which need jest
const { EventStoreDBTestServer } = require('../packages/testing/dist/eventStoreDB/eventStoreDBTestServer');
const { median } = require('./lib');

const metadata = {
  schemaVersion: 1,
  correlationId: 'bench',
  causationId: 'bench',
  occurredAt: '2026-01-01T00:00:00.000Z',
};
const data = (i) => ({ i, name: 'energy bar', price: 2500, tags: ['a', 'b'] });

async function timed(fn) {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** One round on a fresh server: appends `appends` single events, then reads `reads` events back. */
async function round(kind, appends, reads, batchAppend) {
  const server = await EventStoreDBTestServer.start({ batchAppend, systemEventEvery: 1_000_000 });
  const client = EventStoreDBClient.connectionString(server.connectionString);
  const store = new EventStoreDBEventStore({ client });
  try {
    const stream = (i) => `bench-${i % 50}`;
    const appendMs = await timed(async () => {
      for (let i = 0; i < appends; i++) {
        if (kind === 'raw') {
          await client.appendToStream(
            stream(i),
            jsonEvent({ type: 'bench.happened', data: data(i), metadata }),
          );
        } else {
          await store.append(stream(i), [{ type: 'bench.happened', data: data(i), metadata }]);
        }
      }
    });
    // fill the log up to `reads` events in big appends (not timed), then read it all
    for (let i = appends; i < reads; i += 500) {
      const n = Math.min(500, reads - i);
      const batch = Array.from({ length: n }, (_, k) =>
        jsonEvent({ type: 'bench.happened', data: data(i + k), metadata }),
      );
      await client.appendToStream('bench-fill', batch);
    }
    let counted = 0;
    const readMs = await timed(async () => {
      if (kind === 'raw') {
        for await (const resolved of client.readAll()) if (!resolved.event.type.startsWith('$')) counted++;
      } else {
        for await (const event of store.readAll()) if (event) counted++;
      }
    });
    if (counted < reads) throw new Error(`read ${counted} events, expected ${reads}`);
    return { appendMs, readMs };
  } finally {
    await store.close();
    await client.dispose();
    await server.stop();
  }
}

async function run({ quick = false } = {}) {
  const appends = quick ? 1000 : 5000;
  const reads = quick ? 5000 : 20000;
  const runs = quick ? 1 : 3;
  const rows = [];
  for (const batchAppend of [true, false]) {
    const raw = [];
    const adapter = [];
    // alternate so warm-up and GC affect both sides alike
    for (let r = 0; r < runs; r++) {
      raw.push(await round('raw', appends, reads, batchAppend));
      adapter.push(await round('adapter', appends, reads, batchAppend));
    }
    const path = batchAppend ? 'BatchAppend' : 'Append';
    const appendRate = (ms) => appends / (ms / 1000);
    const readRate = (ms) => reads / (ms / 1000);
    const a = appendRate(median(adapter.map((x) => x.appendMs)));
    const b = appendRate(median(raw.map((x) => x.appendMs)));
    rows.push({
      figure: `append ${appends} single events (${path}, test server)`,
      unit: 'events/s',
      value: Math.round(a),
      baseline: Math.round(b),
      ratio: Number((a / b).toFixed(3)),
      note: 'adapter rate / raw client rate (1.0 = no overhead)',
    });
    const c = readRate(median(adapter.map((x) => x.readMs)));
    const d = readRate(median(raw.map((x) => x.readMs)));
    rows.push({
      figure: `read ${reads} events from $all (${path} server, test server)`,
      unit: 'events/s',
      value: Math.round(c),
      baseline: Math.round(d),
      ratio: Number((c / d).toFixed(3)),
      note: 'adapter rate / raw client rate (1.0 = no overhead)',
    });
  }
  return rows;
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
