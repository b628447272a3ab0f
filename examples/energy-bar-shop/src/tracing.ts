import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';

/** Where the shop's spans go. */
export type TracingExporter = 'console' | 'otlp' | 'memory';

/** Tracing that is on: its spans (for `memory`) and how to stop it. */
export interface Tracing {
  readonly exporter: TracingExporter;
  /** Finished spans, for the `memory` exporter (empty for the others). */
  spans(): ReadableSpan[];
  /** Flushes and unregisters the SDK. */
  shutdown(): Promise<void>;
}

/**
 * Turns tracing on with the OpenTelemetry SDK when `REWIND_TRACING` (or `OTEL_TRACES_EXPORTER`) says
 * `console` (spans printed to stdout) or `otlp` (sent to `OTEL_EXPORTER_OTLP_ENDPOINT`, default
 * http://localhost:4318, e.g. Jaeger); does nothing otherwise. Rewind needs no more than this: it
 * creates its spans through `@opentelemetry/api` once an SDK is registered.
 *
 * @example
 * const tracing = startTracing(process.env.REWIND_TRACING);
 */
export function startTracing(
  exporter = process.env['REWIND_TRACING'] ?? process.env['OTEL_TRACES_EXPORTER'],
): Tracing | undefined {
  if (exporter !== 'console' && exporter !== 'otlp' && exporter !== 'memory') return undefined;
  const memory = new InMemorySpanExporter();
  // #region sdk
  const target: SpanExporter =
    exporter === 'console' ? new ConsoleSpanExporter() : exporter === 'otlp' ? otlpExporter() : memory;
  const provider = new BasicTracerProvider({
    spanProcessors: [exporter === 'otlp' ? new BatchSpanProcessor(target) : new SimpleSpanProcessor(target)],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  // #endregion
  return {
    exporter,
    spans: () => memory.getFinishedSpans(),
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
}

/** The OTLP/HTTP exporter, loaded only when asked for. */
function otlpExporter(): SpanExporter {
  type Otlp = typeof import('@opentelemetry/exporter-trace-otlp-http');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const otlp = require('@opentelemetry/exporter-trace-otlp-http') as Otlp;
  return new otlp.OTLPTraceExporter();
}

/**
 * The spans of one trace as an indented tree (children under their parent, in start order), with the
 * attributes that say what each did: how the README's sample trace is printed.
 */
export function printTrace(spans: readonly ReadableSpan[], traceId: string): string {
  const inTrace = spans
    .filter((s) => s.spanContext().traceId === traceId)
    .sort((a, b) => hrtimeMs(a.startTime) - hrtimeMs(b.startTime));
  const ids = new Set(inTrace.map((s) => s.spanContext().spanId));
  const children = new Map<string | undefined, ReadableSpan[]>();
  for (const span of inTrace) {
    const parent = span.parentSpanContext?.spanId;
    const key = parent && ids.has(parent) ? parent : undefined;
    children.set(key, [...(children.get(key) ?? []), span]);
  }
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    for (const span of children.get(parent) ?? []) {
      lines.push(`${'  '.repeat(depth)}${span.name}${describe(span)}`);
      walk(span.spanContext().spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join('\n');
}

const SHOWN = [
  'rewind.command.type',
  'rewind.aggregate.type',
  'rewind.projection',
  'rewind.event.type',
  'messaging.destination.name',
  'rewind.events_read',
  'messaging.batch.message_count',
];

function describe(span: ReadableSpan): string {
  const shown = SHOWN.filter((key) => span.attributes[key] !== undefined).map(
    (key) => `${key.replace(/^(rewind|messaging)\./, '')}=${String(span.attributes[key])}`,
  );
  const links = span.links.length > 0 ? [`links=${span.links.length}`] : [];
  return shown.length + links.length > 0 ? `  (${[...shown, ...links].join(', ')})` : '';
}

function hrtimeMs([seconds, nanos]: [number, number]): number {
  return seconds * 1000 + nanos / 1e6;
}
