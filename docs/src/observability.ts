// The code behind docs/guides/observability.md. Run by docs/test/observability.unit.spec.ts.
import { consoleLogger, createRewind, InMemoryEventStore, type RewindLogger } from '@rewind/core';
import {
  InMemoryReadModelStore,
  On,
  Projection,
  ProjectionEngine,
  type ProjectionContext,
} from '@rewind/projections';
import { Cart, ItemAdded } from './gettingStarted';

/** Keeps, per cart, the trace that added its last item: where a support tool links to the trace. */
// #region traceparent
@Projection('cart-traces')
export class CartTraces {
  @On(ItemAdded)
  async itemAdded(event: ItemAdded, ctx: ProjectionContext): Promise<void> {
    // '00-<trace id>-<span id>-01' when the item was added inside a trace, undefined otherwise
    const traceparent = ctx.metadata.traceparent;
    await ctx.collection('carts').put(event.cartId, { traceparent: traceparent ?? null });
  }
}
// #endregion

/** The application of the guide, logging to `logger` (stderr by default). */
export function createObservedShop(logger: RewindLogger = consoleLogger({ level: 'info' })) {
  // #region logger
  // Any pino logger fits (pino(), fastify.log, request.log); consoleLogger() writes lines to stderr.
  const rewind = createRewind({
    eventStore: new InMemoryEventStore(),
    aggregates: [Cart],
    logger, // retried append conflicts
  });
  const projections = new ProjectionEngine({
    eventStore: rewind.eventStore,
    events: rewind.events,
    store: new InMemoryReadModelStore(),
    processors: [CartTraces],
    logger, // parked events, failures, leases taken and lost, rebuilds, dead-letter retries
    telemetry: { maxLinksPerBatch: 32, replaySpans: 'pass' }, // the defaults
  });
  // #endregion
  projections.start();
  return { rewind, projections };
}
