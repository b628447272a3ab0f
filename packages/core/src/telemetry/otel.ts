import type * as Api from '@opentelemetry/api';
import { TRACEPARENT_KEY, TRACESTATE_KEY } from './telemetryNames';

/** @internal The OpenTelemetry API module, when the application installed it. */
type OtelApi = typeof Api;

/**
 * Span attributes. The telemetry helpers below are shared by Rewind's packages (they are not meant for
 * applications, which use `@opentelemetry/api` directly); their types are Rewind's own so that the
 * published declarations need no `@opentelemetry/api`.
 */
export type TelemetryAttributes = Readonly<Record<string, string | number | boolean | undefined>>;

/** The part of an OpenTelemetry span Rewind's packages use. */
export interface TelemetrySpan {
  setAttribute(key: string, value: string | number | boolean): unknown;
  setAttributes(attributes: TelemetryAttributes): unknown;
  addEvent(name: string, attributes?: TelemetryAttributes): unknown;
  addLinks(links: TelemetryLink[]): unknown;
}

/** A span context read from an event's metadata (an OpenTelemetry `SpanContext`). */
export interface TelemetrySpanContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
}

/** A link from a span to another span's context. */
export interface TelemetryLink {
  readonly context: TelemetrySpanContext;
  readonly attributes?: TelemetryAttributes;
}

/** An OpenTelemetry context (opaque). */
export type TelemetryContext = object;

/** The part of an OpenTelemetry meter Rewind's packages use. */
export interface TelemetryMeter {
  createCounter(
    name: string,
    options?: { unit?: string; description?: string },
  ): { add(value: number, attributes?: TelemetryAttributes): void };
  createHistogram(
    name: string,
    options?: { unit?: string; description?: string },
  ): { record(value: number, attributes?: TelemetryAttributes): void };
  createObservableGauge(
    name: string,
    options?: { unit?: string; description?: string },
  ): {
    addCallback(
      callback: (result: {
        observe(value: number, attributes?: TelemetryAttributes): void;
      }) => void | Promise<void>,
    ): void;
  };
}

/** Options that turn Rewind's spans and metrics on or off. */
export interface TelemetryOptions {
  /**
   * `false` turns every span and metric of Rewind off. Default `true`: they are produced when the
   * application registered an OpenTelemetry SDK, and cost next to nothing when it did not.
   */
  readonly enabled?: boolean;
}

let loaded: OtelApi | null | undefined;

/**
 * The OpenTelemetry API, loaded on first use; undefined when `@opentelemetry/api` is not installed (it
 * is an optional peer dependency: Rewind works without it).
 * @internal
 */
function otelApi(): OtelApi | undefined {
  if (loaded === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      loaded = require('@opentelemetry/api') as OtelApi;
    } catch {
      loaded = null;
    }
  }
  return loaded ?? undefined;
}

/**
 * Whether `@opentelemetry/api` could be loaded (it is looked for once, on first use). Rewind's
 * telemetry is inert without it.
 */
export function telemetryApiAvailable(): boolean {
  return otelApi() !== undefined;
}

/** For tests: forget whether the API was found (the next use looks again). */
export function resetTelemetryApi(): void {
  loaded = undefined;
  tracer = undefined;
  tracerOf = undefined;
}

let tracer: Api.Tracer | undefined;
let tracerOf: unknown;
let noopProvider: unknown;

/**
 * Rewind's tracer, from the global provider (got again when the global provider is replaced);
 * undefined when no SDK is registered (the global proxy delegates to the no-op provider), so that
 * no span object is made at all.
 */
function rewindTracer(): Api.Tracer | undefined {
  const api = otelApi();
  if (!api) return undefined;
  const provider = api.trace.getTracerProvider();
  noopProvider ??= new api.ProxyTracerProvider().getDelegate();
  if (provider instanceof api.ProxyTracerProvider && provider.getDelegate() === noopProvider)
    return undefined;
  if (provider !== tracerOf || !tracer) {
    tracerOf = provider;
    tracer = provider.getTracer('rewind');
  }
  return tracer;
}

/** What {@link startSpan} takes. */
export interface SpanStart {
  readonly kind?: 'internal' | 'producer' | 'consumer' | 'client' | 'server';
  readonly links?: readonly TelemetryLink[];
  /** Parent; default the active context. */
  readonly parent?: TelemetryContext;
  /** Built only when the span records. */
  readonly attributes?: () => TelemetryAttributes;
}

/**
 * Starts a span, or returns undefined when nothing would record it (no API, no SDK): callers then
 * skip every attribute. End it with {@link endSpan}.
 */
export function startSpan(name: string, start: SpanStart = {}): TelemetrySpan | undefined {
  const t = rewindTracer();
  if (!t) return undefined;
  const api = otelApi()!;
  const span = t.startSpan(
    name,
    {
      kind: spanKind(api, start.kind),
      ...(start.links && start.links.length > 0 ? { links: [...start.links] as Api.Link[] } : {}),
    },
    (start.parent as Api.Context | undefined) ?? api.context.active(),
  );
  if (!span.isRecording()) {
    span.end();
    return undefined;
  }
  if (start.attributes) span.setAttributes(start.attributes());
  return span;
}

/** Ends a span from {@link startSpan}, failed by `error` when one is given. */
export function endSpan(span: TelemetrySpan, error?: unknown): void {
  if (error !== undefined) failSpan(span, error);
  (span as Api.Span).end();
}

function spanKind(api: OtelApi, kind: SpanStart['kind']): Api.SpanKind {
  switch (kind) {
    case 'producer':
      return api.SpanKind.PRODUCER;
    case 'consumer':
      return api.SpanKind.CONSUMER;
    case 'client':
      return api.SpanKind.CLIENT;
    case 'server':
      return api.SpanKind.SERVER;
    default:
      return api.SpanKind.INTERNAL;
  }
}

/**
 * Whether spans would be recorded now: `@opentelemetry/api` is installed and an SDK registered a
 * tracer provider. Hot paths check it first, so that without an SDK they add nothing, not even a
 * promise.
 */
export function tracingActive(): boolean {
  return rewindTracer() !== undefined;
}

/**
 * Runs `fn` inside a span (the active one while it runs), ending it after; an error is recorded on it
 * (`error.type`, status ERROR) and rethrown. Without a recording span, just calls `fn`.
 */
export function inSpan<T>(
  name: string,
  start: SpanStart,
  fn: (span: TelemetrySpan | undefined) => Promise<T>,
): Promise<T> {
  const started = startSpan(name, start);
  if (!started) return fn(undefined);
  return runInSpan(started as Api.Span, start, fn);
}

async function runInSpan<T>(
  span: Api.Span,
  start: SpanStart,
  fn: (span: TelemetrySpan | undefined) => Promise<T>,
): Promise<T> {
  const api = otelApi()!;
  const parent = (start.parent as Api.Context | undefined) ?? api.context.active();
  try {
    return await api.context.with(api.trace.setSpan(parent, span), () => fn(span));
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** Marks a span failed by `error` (status ERROR, `error.type`, the exception as an event). */
export function failSpan(telemetrySpan: TelemetrySpan, error: unknown): void {
  const span = telemetrySpan as Api.Span;
  const api = otelApi()!;
  span.setStatus({ code: api.SpanStatusCode.ERROR, message: (error as Error)?.message ?? String(error) });
  span.setAttribute('error.type', (error as Error)?.name ?? typeof error);
  if (error instanceof Error) span.recordException(error);
}

/**
 * The W3C trace context of the active span, as the `$traceparent` / `$tracestate` metadata of an
 * event appended now; undefined when no span is recording (no SDK, or outside any trace).
 *
 * @example
 * const carrier = currentTraceMetadata(); // { $traceparent: '00-4bf9…-00f0…-01' } inside a traced request
 */
export function currentTraceMetadata(): Record<string, string> | undefined {
  const api = otelApi();
  if (!api) return undefined;
  const spanContext = api.trace.getSpanContext(api.context.active());
  if (!spanContext || !api.isSpanContextValid(spanContext)) return undefined;
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, '0');
  const traceState = spanContext.traceState?.serialize();
  return {
    [TRACEPARENT_KEY]: `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`,
    ...(traceState ? { [TRACESTATE_KEY]: traceState } : {}),
  };
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The span context an event's metadata names, or undefined (absent, malformed, no API). */
export function spanContextOf(metadata: Readonly<Record<string, unknown>>): TelemetrySpanContext | undefined {
  const traceparent = metadata[TRACEPARENT_KEY];
  if (typeof traceparent !== 'string') return undefined;
  const api = otelApi();
  const match = TRACEPARENT.exec(traceparent);
  if (!api || !match || match[1] === 'ff') return undefined;
  const tracestate = metadata[TRACESTATE_KEY];
  const spanContext: Api.SpanContext = {
    traceId: match[2]!,
    spanId: match[3]!,
    traceFlags: parseInt(match[4]!, 16) & 1,
    isRemote: true,
    ...(typeof tracestate === 'string' ? { traceState: api.createTraceState(tracestate) } : {}),
  };
  return api.isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** A context whose parent is the span that appended the event (for a reactor's span). */
export function contextOfEvent(metadata: Readonly<Record<string, unknown>>): TelemetryContext | undefined {
  const spanContext = spanContextOf(metadata);
  if (!spanContext) return undefined;
  const api = otelApi()!;
  return api.trace.setSpanContext(api.ROOT_CONTEXT, spanContext as Api.SpanContext);
}

/**
 * Instruments created from the global MeterProvider, created again when another provider is
 * registered (the API has no proxy meter). `create` runs once per provider; undefined without the API
 * or without a registered MeterProvider.
 */
export function meterInstruments<T>(create: (meter: TelemetryMeter) => T): () => T | undefined {
  let provider: unknown;
  let instruments: T | undefined;
  return () => {
    const api = otelApi();
    if (!api) return undefined;
    const current = api.metrics.getMeterProvider();
    if (current !== provider) {
      provider = current;
      const meter = current.getMeter('rewind');
      // No MeterProvider registered: the no-op meter; callers skip measuring altogether.
      instruments = meter === api.createNoopMeter() ? undefined : create(meter as unknown as TelemetryMeter);
    }
    return instruments;
  };
}
