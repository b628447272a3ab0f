import {
  AttributeNames as A,
  inSpan,
  MESSAGING_SYSTEM,
  meterInstruments,
  MetricNames,
  spanContextOf,
  SpanNames,
  type RecordedEvent,
  type TelemetryLink,
  type TelemetryOptions,
} from '@rewind/core';
import type { EngineEmitter } from './engineEvents';

/** Telemetry options of the projection engine. */
export interface ProjectionTelemetryOptions extends TelemetryOptions {
  /**
   * Most span links a `rewind.projection.batch` span carries, one per event appended inside a trace
   * (default 32: the first ones of the batch; `rewind.links_dropped` counts the rest).
   */
  readonly maxLinksPerBatch?: number;
  /**
   * Spans of a rebuild: `'pass'` (default) one `rewind.rebuild` span per rebuild, none per event or
   * batch, so a replay does not flood the tracing backend; `'batch'` adds one span per replayed batch.
   */
  readonly replaySpans?: 'pass' | 'batch';
}

/** Default of {@link ProjectionTelemetryOptions.maxLinksPerBatch}. */
export const DEFAULT_MAX_LINKS_PER_BATCH = 32;

/**
 * Runs one batch commit in a `rewind.projection.batch` span linked to the spans that appended its
 * events (their `$traceparent`).
 */
export function batchSpan<T>(
  meta: { readonly name: string; readonly kind: 'projection' | 'reactor' },
  namespace: string,
  events: readonly RecordedEvent[],
  replay: boolean,
  telemetry: ProjectionTelemetryOptions,
  run: () => Promise<T>,
): Promise<T> {
  return inSpan(
    SpanNames.projectionBatch,
    {
      kind: 'consumer',
      attributes: () => ({
        [A.messagingSystem]: MESSAGING_SYSTEM,
        [A.messagingOperationType]: 'process',
        [A.messagingConsumerGroupName]: meta.name,
        [A.messagingBatchMessageCount]: events.length,
        [A.projection]: meta.name,
        [A.projectionKind]: meta.kind,
        [A.namespace]: namespace,
        [A.replay]: replay,
      }),
    },
    (span) => {
      if (span) {
        const max = telemetry.maxLinksPerBatch ?? DEFAULT_MAX_LINKS_PER_BATCH;
        const links: TelemetryLink[] = [];
        let dropped = 0;
        for (const event of events) {
          const context = spanContextOf(event.metadata);
          if (!context) continue;
          if (links.length < max) links.push({ context, attributes: { [A.messagingMessageId]: event.id } });
          else dropped++;
        }
        span.addLinks(links);
        if (dropped > 0) span.setAttribute(A.linksDropped, dropped);
      }
      return run();
    },
  );
}

const engineMetrics = meterInstruments((meter) => ({
  batchSize: meter.createHistogram(MetricNames.batchSize, {
    unit: '{event}',
    description: 'Events per committed projection batch',
  }),
  batchDuration: meter.createHistogram(MetricNames.batchDuration, {
    unit: 's',
    description: 'Time to commit a projection batch',
  }),
  deadLetters: meter.createCounter(MetricNames.deadLetters, {
    unit: '{event}',
    description: 'Events parked as dead letters',
  }),
  rebuildEvents: meter.createCounter(MetricNames.rebuildEvents, {
    unit: '{event}',
    description: 'Events applied by rebuilds',
  }),
  lagEvents: meter.createObservableGauge(MetricNames.projectionLagEvents, {
    unit: '{event}',
    description: "Handled events between a projection's checkpoint and the head of the log",
  }),
  lagTime: meter.createObservableGauge(MetricNames.projectionLagTime, {
    unit: 's',
    description: 'How long the oldest event a projection has still to handle has been in the log',
  }),
}));

/** What the lag gauges read: the engine's status. */
export interface LagSource {
  lag(): Promise<
    readonly {
      readonly name: string;
      readonly kind: 'projection' | 'reactor';
      readonly eventsBehind: number | undefined;
      readonly behindMs: number | undefined;
    }[]
  >;
}

/**
 * Feeds the engine's metrics from its events (batch size and duration, dead letters, rebuild
 * progress) and its status (lag gauges, read only when a metric reader collects).
 */
export function meterEngine(emitter: EngineEmitter, source: LagSource): void {
  emitter.on('batch-committed', (event) => {
    const metrics = engineMetrics();
    if (!metrics) return;
    const attributes = {
      [A.messagingSystem]: MESSAGING_SYSTEM,
      [A.projection]: event.projection,
      [A.replay]: event.replay,
    };
    if (event.count > 0) metrics.batchSize.record(event.count, attributes);
    metrics.batchDuration.record(event.durationMs / 1000, attributes);
    if (event.replay && event.count > 0) {
      metrics.rebuildEvents.add(event.count, { [A.projection]: event.projection });
    }
  });
  emitter.on('dead-letter-parked', ({ projection, letter }) => {
    engineMetrics()?.deadLetters.add(1, {
      [A.messagingSystem]: MESSAGING_SYSTEM,
      [A.projection]: projection,
      [A.eventType]: letter.eventType,
    });
  });
  const gauges = new WeakSet<object>();
  const observeLag = (): void => {
    const metrics = engineMetrics();
    if (!metrics || gauges.has(metrics)) return;
    gauges.add(metrics);
    let pending: ReturnType<LagSource['lag']> | undefined;
    // Both gauges are read in one collection: one status read serves both.
    const read = () => (pending ??= source.lag().finally(() => (pending = undefined)));
    metrics.lagEvents.addCallback(async (result) => {
      for (const status of await read().catch(() => [])) {
        if (status.eventsBehind !== undefined) {
          result.observe(status.eventsBehind, {
            [A.projection]: status.name,
            [A.projectionKind]: status.kind,
          });
        }
      }
    });
    metrics.lagTime.addCallback(async (result) => {
      for (const status of await read().catch(() => [])) {
        if (status.behindMs !== undefined) {
          result.observe(status.behindMs / 1000, {
            [A.projection]: status.name,
            [A.projectionKind]: status.kind,
          });
        }
      }
    });
  };
  observeLag();
  // A MeterProvider registered after the engine was made: gauges are added on the next commit.
  emitter.on('batch-committed', observeLag);
}
