// Runs one rebuild (or, with a third argument `catch-up`, one live runner catching up from the start
// of the log) for bench/projections.bench.js and prints {ms, processed, keys, peakRssMb, worstDelayMs}:
// worstDelayMs is how late a 50 ms timer fired at worst while it ran (how long the event loop was held).
'use strict';
require('reflect-metadata');
const { createRewind, DomainEvent } = require('@rewind/core');
const {
  InMemoryReadModelStore,
  On,
  Projection,
  ProjectionEngine,
  rebuildProjection,
} = require('@rewind/projections');
const { SqliteEventStore, SqliteReadModelStore } = require('@rewind/sqlite');

// The fourth argument picks the data set: `sales` (default; bench.sold events, 10,000 products) or
// `orders` (Emmett's workload shape: ~190-byte order events in 10,000 order streams).
const [file, target, mode = 'rebuild', workload = 'sales'] = process.argv.slice(2);

class Sold {}
DomainEvent('bench.sold')(Sold);
class SalesProjection {
  async sold(event, ctx) {
    const sales = ctx.collection('sales');
    const current = await sales.get(event.product);
    await sales.put(event.product, { sold: (current ? current.sold : 0) + event.quantity });
  }
}
On(Sold)(SalesProjection.prototype, 'sold');
Projection('sales', { version: 1, batchSize: 2000 })(SalesProjection);

// Emmett's workload: a counting read model, read-modify-write per event (get + put of the order's counters).
class ItemAdded {}
DomainEvent('order.item-added')(ItemAdded);
class ItemRemoved {}
DomainEvent('order.item-removed')(ItemRemoved);
class OrderConfirmed {}
DomainEvent('order.confirmed')(OrderConfirmed);
class OrderCountersProjection {
  async added(event, ctx) {
    const counters = ctx.collection('order_counters');
    const current = await counters.get(event.orderId);
    await counters.put(event.orderId, {
      items: (current ? current.items : 0) + event.productItem.quantity,
      total: (current ? current.total : 0) + event.productItem.quantity * event.productItem.unitPrice,
      events: (current ? current.events : 0) + 1,
      confirmed: current ? current.confirmed : false,
    });
  }
  async removed(event, ctx) {
    const counters = ctx.collection('order_counters');
    const current = await counters.get(event.orderId);
    await counters.put(event.orderId, {
      items: (current ? current.items : 0) - event.productItem.quantity,
      total: (current ? current.total : 0) - event.productItem.quantity * event.productItem.unitPrice,
      events: (current ? current.events : 0) + 1,
      confirmed: current ? current.confirmed : false,
    });
  }
  async confirmed(event, ctx) {
    const counters = ctx.collection('order_counters');
    const current = await counters.get(event.orderId);
    await counters.put(event.orderId, {
      ...(current || { items: 0, total: 0, events: 0 }),
      events: (current ? current.events : 0) + 1,
      confirmed: true,
    });
  }
}
On(ItemAdded)(OrderCountersProjection.prototype, 'added');
On(ItemRemoved)(OrderCountersProjection.prototype, 'removed');
On(OrderConfirmed)(OrderCountersProjection.prototype, 'confirmed');
Projection('order-counters', { version: 1, batchSize: 2000 })(OrderCountersProjection);

const orders = workload === 'orders';
const projection = orders ? 'order-counters' : 'sales';
const collectionName = orders ? 'order_counters' : 'sales';

let peak = 0;
const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
let worstDelayMs = 0;
let tick = Date.now();
const lateness = setInterval(() => {
  const now = Date.now();
  worstDelayMs = Math.max(worstDelayMs, now - tick - 50);
  tick = now;
}, 50);

(async () => {
  // BENCH_READ_AHEAD=off keeps every read on the main thread (to see what the worker adds).
  const eventStore = SqliteEventStore.open({
    path: file,
    ...(process.env.BENCH_READ_AHEAD === 'off' ? { readAheadAfter: Infinity } : {}),
  });
  const store =
    target === 'memory' ? new InMemoryReadModelStore() : SqliteReadModelStore.open({ path: target });
  const rewind = createRewind({ eventStore, events: [Sold, ItemAdded, ItemRemoved, OrderConfirmed] });
  // BENCH_COMMIT_MS sets catchUpCommitMs (default 250; 0: a commit per batch, the first round's way).
  const commitMs = process.env.BENCH_COMMIT_MS
    ? { catchUpCommitMs: Number(process.env.BENCH_COMMIT_MS) }
    : {};
  const engine = new ProjectionEngine({
    eventStore,
    events: rewind.events,
    store,
    ...commitMs,
    processors: [orders ? OrderCountersProjection : SalesProjection],
  });
  const start = process.hrtime.bigint();
  let result;
  if (mode === 'catch-up') {
    engine.start();
    await engine.waitForHead(600_000);
    const status = engine.runner(projection).status();
    result = { processed: status.processed, namespace: status.namespace };
  } else result = await rebuildProjection(engine, projection, { batchSize: 2000, ...commitMs });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  await engine.stop();
  peak = Math.max(peak, process.memoryUsage.rss());
  clearInterval(sample);
  clearInterval(lateness);
  const keys = await store.collection(result.namespace, collectionName).count();
  await store.close();
  await eventStore.close();
  process.stdout.write(
    `${JSON.stringify({ ms, processed: result.processed, keys, peakRssMb: peak / 2 ** 20, worstDelayMs })}\n`,
  );
})().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
