import { randomUUID } from 'node:crypto';
import {
  AttributeNames,
  consoleLogger,
  createRewind,
  InMemoryEventStore,
  MetricNames,
  resetTelemetryApi,
  SpanEventNames,
  SpanNames,
  TRACEPARENT_KEY,
  ValidationError,
  type RewindLogger,
} from '@rewind/core';
import { collect } from '@rewind/testing';
import { CancelOrder, Order, OrderLine, PayOrder, PlaceOrder } from './fixtures/order';
import { recordTelemetry, sumOf, type TelemetryRecorder } from './support/telemetrySdk';

function shop(options: { enabled?: boolean; logger?: RewindLogger } = {}) {
  const eventStore = new InMemoryEventStore();
  const rewind = createRewind({
    eventStore,
    aggregates: [Order],
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.enabled === false ? { telemetry: { enabled: false } } : {}),
  });
  return { ...rewind, eventStore };
}

/** Collects log entries as `[level, message, fields]`. */
function memoryLogger(): RewindLogger & { entries: [string, string, Record<string, unknown>][] } {
  const entries: [string, string, Record<string, unknown>][] = [];
  const at =
    (level: string) =>
    (fields: object | string, message?: string): void =>
      void entries.push(
        typeof fields === 'string'
          ? [level, fields, {}]
          : [level, message ?? '', fields as Record<string, unknown>],
      );
  return { entries, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

describe('telemetry of commands', () => {
  describe('with an OpenTelemetry SDK registered', () => {
    let telemetry: TelemetryRecorder;
    beforeEach(() => {
      telemetry = recordTelemetry();
    });
    afterEach(() => telemetry.shutdown());

    it('traces a command: load, handle and append as children, the traceparent kept in the event', async () => {
      const { commandBus, eventStore } = shop();
      const id = randomUUID();
      await commandBus.execute(PlaceOrder.of(id, [new OrderLine('bar', 1)], 5));

      const [command] = telemetry.spansNamed(SpanNames.command);
      expect(command).toBeDefined();
      expect(command!.parentSpanContext).toBeUndefined();
      expect(command!.attributes).toMatchObject({
        [AttributeNames.commandType]: 'PlaceOrder',
        [AttributeNames.commandAttempts]: 1,
        [AttributeNames.commandOutcome]: 'ok',
        [AttributeNames.aggregateId]: id,
        [AttributeNames.revision]: '0',
        'messaging.system': 'rewind',
      });
      expect(command!.events.map((e) => e.name)).toContain(SpanEventNames.commandValidated);
      const traceId = command!.spanContext().traceId;
      const childOfCommand = (name: string) => {
        const spans = telemetry.spansNamed(name);
        expect(spans).toHaveLength(1);
        expect(spans[0]!.spanContext().traceId).toBe(traceId);
        expect(spans[0]!.parentSpanContext?.spanId).toBe(command!.spanContext().spanId);
        return spans[0]!;
      };
      expect(childOfCommand(SpanNames.aggregateLoad).attributes).toMatchObject({
        [AttributeNames.aggregateType]: 'testorder',
        [AttributeNames.eventsRead]: 0,
        [AttributeNames.snapshotUsed]: false,
      });
      childOfCommand(SpanNames.commandHandle);
      const append = childOfCommand(SpanNames.append);
      expect(append.attributes).toMatchObject({
        'messaging.destination.name': `testorder-${id}`,
        'messaging.batch.message_count': 1,
        'messaging.operation.type': 'send',
      });

      const [stored] = await collect(eventStore.readStream(`testorder-${id}`));
      const { traceId: t, spanId } = append.spanContext();
      expect(stored!.metadata[TRACEPARENT_KEY]).toBe(`00-${t}-${spanId}-01`);
    });

    it('records the reads of a load, and the events appended and command durations as metrics', async () => {
      const { commandBus } = shop();
      const id = randomUUID();
      await commandBus.execute(PlaceOrder.of(id, [new OrderLine('bar', 1)], 5));
      await commandBus.execute(PayOrder.of(id, 5));

      const loads = telemetry.spansNamed(SpanNames.aggregateLoad);
      expect(loads.map((s) => s.attributes[AttributeNames.eventsRead])).toEqual([0, 1]);
      const reads = telemetry.spansNamed(SpanNames.readStream);
      expect(reads.map((s) => s.attributes[AttributeNames.eventsRead])).toEqual([0, 1]);
      expect(reads[0]!.status.code).not.toBe(2); // a stream not found yet is no error

      expect(
        sumOf(await telemetry.points(MetricNames.eventsAppended), { 'rewind.stream.category': 'testorder' }),
      ).toBe(2);
      const durations = await telemetry.points(MetricNames.commandDuration);
      const count = (type: string) =>
        durations
          .filter((p) => p.attributes[AttributeNames.commandType] === type)
          .reduce((n, p) => n + (p.value as { count: number }).count, 0);
      expect(count('PlaceOrder')).toBe(1);
      expect(count('PayOrder')).toBe(1);
    });

    it('marks a retried conflict on the span, counts it, and logs it', async () => {
      const logger = memoryLogger();
      const { commandBus, repository, eventStore } = shop({ logger });
      const id = randomUUID();
      await commandBus.execute(PlaceOrder.of(id, [new OrderLine('bar', 1)], 5));
      const original = eventStore.append.bind(eventStore);
      let interfered = false;
      eventStore.append = async (...args) => {
        if (!interfered) {
          interfered = true;
          const rival = await repository.load(Order, id);
          rival.pay(PayOrder.of(id, 1));
          await repository.save(rival);
        }
        return original(...args);
      };
      const result = await commandBus.execute(CancelOrder.of(id, 'changed my mind'));
      expect(result.attempts).toBe(2);

      const cancel = telemetry
        .spansNamed(SpanNames.command)
        .find((s) => s.attributes[AttributeNames.commandType] === 'CancelOrder')!;
      expect(cancel.attributes[AttributeNames.commandAttempts]).toBe(2);
      const retry = cancel.events.find((e) => e.name === SpanEventNames.commandRetry);
      expect(retry?.attributes).toMatchObject({
        [AttributeNames.commandAttempts]: 1,
        'error.type': 'ConcurrencyError',
      });
      expect(
        sumOf(await telemetry.points(MetricNames.commandConflicts), {
          [AttributeNames.commandType]: 'CancelOrder',
        }),
      ).toBe(1);
      expect(logger.entries).toContainEqual([
        'info',
        'append conflict: command retried on fresh state',
        expect.objectContaining({ command: 'CancelOrder', stream: `testorder-${id}`, attempt: 1 }),
      ]);
    });

    it('records a failed command as an error span', async () => {
      const { commandBus } = shop();
      const id = randomUUID();
      await commandBus.execute(PlaceOrder.of(id, [new OrderLine('bar', 1)], 5));
      await commandBus.execute(PayOrder.of(id, 5));
      await expect(commandBus.execute(PayOrder.of(id, 5))).rejects.toThrow(/already paid/);
      const failed = telemetry.spansNamed(SpanNames.command).at(-1)!;
      expect(failed.status.code).toBe(2);
      expect(failed.attributes['error.type']).toBe('OrderAlreadyPaid');
    });

    it('produces nothing when telemetry is turned off', async () => {
      const { commandBus, eventStore } = shop({ enabled: false });
      const id = randomUUID();
      await commandBus.execute(PlaceOrder.of(id, [new OrderLine('bar', 1)], 5));
      expect(telemetry.spans()).toEqual([]);
      const [stored] = await collect(eventStore.readStream(`testorder-${id}`));
      expect(stored!.metadata[TRACEPARENT_KEY]).toBeUndefined();
      expect(await telemetry.points(MetricNames.eventsAppended)).toEqual([]);
    });
  });

  it('without an SDK, commands work and events carry no trace context', async () => {
    const { commandBus, eventStore } = shop();
    const id = randomUUID();
    await commandBus.execute(PlaceOrder.of(id, [new OrderLine('bar', 1)], 5));
    const [stored] = await collect(eventStore.readStream(`testorder-${id}`));
    expect(stored!.metadata).not.toHaveProperty(TRACEPARENT_KEY);
  });

  it('without @opentelemetry/api installed, commands work', async () => {
    jest.doMock('@opentelemetry/api', () => {
      throw new Error("Cannot find module '@opentelemetry/api'");
    });
    resetTelemetryApi();
    try {
      const { telemetryApiAvailable } = await import('@rewind/core');
      expect(telemetryApiAvailable()).toBe(false);
      const { commandBus, eventStore } = shop();
      const id = randomUUID();
      await commandBus.execute(PlaceOrder.of(id, [new OrderLine('bar', 1)], 5));
      expect(await collect(eventStore.readStream(`testorder-${id}`))).toHaveLength(1);
    } finally {
      jest.dontMock('@opentelemetry/api');
      resetTelemetryApi();
    }
  });

  it('reserves the trace-context metadata keys', async () => {
    const { commandBus } = shop();
    const error = await commandBus
      .execute(PlaceOrder.of(randomUUID(), [new OrderLine('bar', 1)], 5), {
        metadata: { [TRACEPARENT_KEY]: 'mine' },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(/\$traceparent/);
  });
});

describe(consoleLogger.name, () => {
  it('writes structured lines at and above its level', () => {
    const lines: string[] = [];
    const logger = consoleLogger({ level: 'info', write: (line) => lines.push(line) });
    logger.debug('hidden');
    logger.info({ projection: 'order-summary', position: 12n }, 'lease acquired');
    logger.error(new Error('x') as unknown as object, 'boom');
    expect(lines[0]).toBe('INFO  lease acquired projection=order-summary position=12');
    expect(lines).toHaveLength(2);
    const json: string[] = [];
    consoleLogger({ format: 'json', write: (line) => json.push(line) }).warn({ stream: 'order-1' }, 'parked');
    expect(JSON.parse(json[0]!)).toMatchObject({ level: 'warn', msg: 'parked', stream: 'order-1' });
  });
});
