// What Rewind's telemetry costs: the command round trip and rebuild throughput, interleaved in one run,
// with instrumentation turned off (`telemetry: { enabled: false }`), with @opentelemetry/api present
// but no SDK registered (the default for an application that does not trace), and with a real SDK
// recording every span into an in-memory exporter (and a metric reader). In-memory stores, so the
// figures show Rewind's own overhead, not a disk's; rates are per second of this process's CPU time.
'use strict';
require('reflect-metadata');
const { context, metrics, trace } = require('@opentelemetry/api');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} = require('@opentelemetry/sdk-trace-base');
const {
  MeterProvider,
  PeriodicExportingMetricReader,
  InMemoryMetricExporter,
  AggregationTemporality,
} = require('@opentelemetry/sdk-metrics');
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
const {
  InMemoryReadModelStore,
  On,
  Projection,
  ProjectionEngine,
  rebuildProjection,
} = require('@rewind/projections');
const { median, percentile } = require('./lib');

class Stocked {
  constructor(sku, quantity) {
    this.sku = sku;
    this.quantity = quantity;
  }
}
DomainEvent('telemetry-bench.stocked')(Stocked);

class Stock {}
IsUUID()(Stock.prototype, 'id');
AggregateId()(Stock.prototype, 'id');
IsInt()(Stock.prototype, 'quantity');
Min(1)(Stock.prototype, 'quantity');

class Shelf extends AggregateRoot {
  constructor() {
    super();
    this.items = 0;
  }
  stock(command) {
    this.raise(new Stocked('energy-bar', command.quantity));
  }
  onStocked(event) {
    this.items += event.quantity;
  }
}
CommandHandler(Stock, { mode: 'upsert' })(Shelf.prototype, 'stock');
EventSourcingHandler(Stocked)(Shelf.prototype, 'onStocked');
Aggregate('tshelf')(Shelf);

class StockLevels {
  async stocked(event, ctx) {
    const levels = ctx.collection('levels');
    const current = await levels.get(event.sku);
    await levels.put(event.sku, { quantity: (current?.quantity ?? 0) + event.quantity });
  }
}
On(Stocked)(StockLevels.prototype, 'stocked');
Projection('stock-levels', { batchSize: 1000 })(StockLevels);

const MODES = ['off', 'api', 'sdk'];

/**
 * CPU time of this process in ms (user + system): on a machine shared with other work, the time the
 * code itself took, which wall-clock time is not. Everything measured here is CPU-bound (in-memory).
 */
function cpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Registers an SDK that records everything in memory; returns how to unregister it. */
function registerSdk() {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(tracerProvider);
  const reader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    exportIntervalMillis: 3_600_000,
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(meterProvider);
  return async () => {
    trace.disable();
    metrics.disable();
    context.disable();
    await tracerProvider.shutdown();
    await meterProvider.shutdown();
    return exporter;
  };
}

// A full collection before each measured run, so garbage left by the previous mode (the SDK's spans)
// is not collected on the next one's time.
require('node:v8').setFlagsFromString('--expose-gc');
const collectGarbage = require('node:vm').runInNewContext('gc');

async function inMode(mode, fn) {
  collectGarbage();
  const unregister = mode === 'sdk' ? registerSdk() : undefined;
  try {
    return await fn(mode === 'off' ? { enabled: false } : {});
  } finally {
    if (unregister) await unregister();
  }
}

/** Commands per second over `count` commands on fresh aggregates (load, handle, append). */
async function commandRound(mode, count) {
  return inMode(mode, async (telemetry) => {
    const { commandBus } = createRewind({
      eventStore: new InMemoryEventStore(),
      aggregates: [Shelf],
      telemetry,
    });
    const ids = Array.from(
      { length: count },
      (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    );
    const start = cpuMs();
    for (const id of ids) {
      const command = Object.assign(new Stock(), { id, quantity: 1 });
      await commandBus.execute(command);
    }
    return (count / (cpuMs() - start)) * 1000;
  });
}

/** Events per second of one rebuild of `eventStore`'s log. */
async function rebuildRound(mode, eventStore, events) {
  return inMode(mode, async (telemetry) => {
    const engine = new ProjectionEngine({
      eventStore,
      events,
      store: new InMemoryReadModelStore(),
      processors: [StockLevels],
      telemetry,
    });
    const start = cpuMs();
    const result = await rebuildProjection(engine, 'stock-levels', { batchSize: 1000 });
    const ms = cpuMs() - start;
    await engine.stop();
    return (result.processed / ms) * 1000;
  });
}

/** Run-to-run spread: the interquartile range over the median. */
function spread(values) {
  return (percentile(values, 75) - percentile(values, 25)) / median(values);
}

exports.commandRound = (mode, count) => commandRound(mode, count);
exports.run = async function run({ quick }) {
  const rounds = quick ? 5 : 11;
  const commands = quick ? 500 : 3000;
  const logSize = quick ? 5000 : 50_000;

  const eventStore = new InMemoryEventStore();
  const { events } = createRewind({ eventStore, aggregates: [Shelf] });
  for (let i = 0; i < logSize; i += 1000) {
    const batch = [];
    for (let j = 0; j < 1000 && i + j < logSize; j++) {
      batch.push(events.serialize(new Stocked('energy-bar', 1), { correlationId: 'b', causationId: 'b' }));
    }
    await eventStore.append(`tshelf-${String(i).padStart(8, '0')}`, batch);
  }

  const samples = { command: { off: [], api: [], sdk: [] }, rebuild: { off: [], api: [], sdk: [] } };
  // Warm-up, then rounds with the modes in a rotating order, so drift hits every mode alike.
  for (const mode of MODES) {
    await commandRound(mode, Math.min(commands, 300));
    await rebuildRound(mode, eventStore, events);
  }
  for (let round = 0; round < rounds; round++) {
    const order = MODES.map((_, i) => MODES[(i + round) % MODES.length]);
    for (const mode of order) samples.command[mode].push(await commandRound(mode, commands));
    for (const mode of order) samples.rebuild[mode].push(await rebuildRound(mode, eventStore, events));
  }

  const rows = [];
  for (const [kind, unit, label] of [
    ['command', 'commands/s', 'command round trip (in-memory store)'],
    ['rebuild', 'events/s', `rebuild throughput (${logSize.toLocaleString('en-US')} events, in-memory)`],
  ]) {
    const off = median(samples[kind].off);
    const api = median(samples[kind].api);
    const sdk = median(samples[kind].sdk);
    const noise = Math.max(spread(samples[kind].off), spread(samples[kind].api));
    rows.push({ figure: `${label}: telemetry off`, unit, value: off });
    rows.push({
      figure: `${label}: run-to-run spread (IQR / median)`,
      unit: '%',
      value: noise * 100,
    });
    // Throughput: a ratio below 1 is a cost. No SDK must cost nothing beyond the spread.
    rows.push({
      figure: `${label}: @opentelemetry/api, no SDK`,
      unit,
      value: api,
      baseline: off,
      baselineLabel: 'telemetry off',
      ratio: api / off,
      target: `>= ${(1 - noise).toFixed(2)} (1 - spread)`,
      pass: api / off >= 1 - noise,
    });
    rows.push({
      figure: `${label}: SDK + in-memory exporter`,
      unit,
      value: sdk,
      baseline: off,
      baselineLabel: 'telemetry off',
      ratio: sdk / off,
    });
  }
  return rows;
};
