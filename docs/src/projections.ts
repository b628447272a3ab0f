// The code behind docs/guides/projections-and-read-models.md, rebuilds.md and operations.md.
// Run by docs/test/projections.unit.spec.ts and docs/test/projections.int.spec.ts.
import { hostname } from 'node:os';
import {
  createRewind,
  InMemoryEventStore,
  serializePosition,
  type EventStore,
  type Type,
} from '@rewind/core';
import {
  InMemoryReadModelStore,
  On,
  Projection,
  ProjectionEngine,
  Reactor,
  type ProjectionContext,
  type ReactorContext,
  type ReadModelStore,
} from '@rewind/projections';
import { SqliteEventStore, SqliteReadModelStore } from '@rewind/sqlite';
import { Cart, CheckedOut, ItemAdded } from './gettingStarted';

/** A stand-in for a service with side effects (mail, payment gateway...). */
export class Mailer {
  readonly sent = new Map<string, string>();
  /** Sends once per key: a redelivered event does not mail twice. */
  async send(idempotencyKey: string, text: string): Promise<void> {
    if (!this.sent.has(idempotencyKey)) this.sent.set(idempotencyKey, text);
  }
}

/** Lets the docs' tests break and then fix the projector. */
export const faults = { rejectSku: undefined as string | undefined };

// #region projector
@Projection('sales-per-sku', { version: 1, onError: 'park', retries: 2, retryBackoffMs: 10 })
export class SalesPerSkuProjection {
  @On(ItemAdded)
  async itemAdded(event: ItemAdded, ctx: ProjectionContext): Promise<void> {
    if (event.sku === faults.rejectSku) throw new Error(`sku ${event.sku} is not for sale`);
    const sales = ctx.collection<{ sku: string; units: number }>('sales');
    const current = await sales.get(event.sku);
    await sales.put(event.sku, { sku: event.sku, units: (current?.units ?? 0) + event.quantity });
  }
}
// #endregion

// #region reactor
@Reactor('checkout-mailer', { startFrom: 'now' })
export class CheckoutMailer {
  constructor(private readonly mailer: Mailer) {}

  @On(CheckedOut)
  async checkedOut(event: CheckedOut, ctx: ReactorContext): Promise<void> {
    await this.mailer.send(ctx.idempotencyKey, `Cart ${event.cartId} is checked out.`);
  }
}
// #endregion

/** Wires an in-memory shop with both processors; `owner` names this process in locks. */
export function createShop(
  options: { eventStore?: EventStore; store?: ReadModelStore; owner?: string } = {},
) {
  const mailer = new Mailer();
  // #region engine
  const rewind = createRewind({
    eventStore: options.eventStore ?? new InMemoryEventStore(),
    aggregates: [Cart],
  });
  const projections = new ProjectionEngine({
    eventStore: rewind.eventStore,
    events: rewind.events, // the same registry: projections decode with the same upcasters
    store: options.store ?? new InMemoryReadModelStore(),
    processors: [SalesPerSkuProjection, CheckoutMailer],
    resolve: (processor: Type) =>
      processor === CheckoutMailer ? new CheckoutMailer(mailer) : new SalesPerSkuProjection(),
    owner: options.owner ?? `${hostname()}-${process.pid}`, // names this process in locks and status
    lockTtlMs: 2_000, // a standby takes over this long after a crash (default 10 s)
  });
  projections.start();
  // #endregion
  return { rewind, projections, mailer };
}

/** The same application on SQLite: one file for the log, one for read models. */
export function createSqliteShop(dir: string) {
  // #region sqlite
  const eventStore = SqliteEventStore.open({ path: `${dir}/events.db` }); // synchronous=FULL
  const store = SqliteReadModelStore.open({ path: `${dir}/read-models.db` }); // rebuildable: NORMAL
  // #endregion
  return createShop({ eventStore, store });
}

/** Queries the projection the way an API would. */
export async function topSellers(projections: ProjectionEngine) {
  // #region query
  const sales = projections.query('sales-per-sku').collection<{ sku: string; units: number }>('sales');
  const top = await sales.find({ units: { $gte: 2 } }, { orderBy: 'units', direction: 'desc', limit: 10 });
  // [{ key: 'energy-bar', doc: { sku: 'energy-bar', units: 3 } }, ...]
  // #endregion
  return top;
}

/** What an operator does: status, dead letters, pause/resume. */
export async function operate(projections: ProjectionEngine) {
  // #region status
  const [sales] = await projections.status('sales-per-sku');
  // sales.state: 'running' | 'catching-up' | 'standby' | 'paused' | 'failed' | ...
  // sales.checkpoint / sales.head: positions; sales.eventsBehind: handled events still to apply
  // sales.deadLetters: parked events; sales.lockHolder: which process runs it
  // #endregion

  // #region dead-letters
  const letters = await projections.deadLetters('sales-per-sku');
  // [{ id, eventType: 'cart.item-added', streamId, revision, position, error, attempts, parkedAt, ... }]
  for (const letter of letters) {
    await projections.retryDeadLetter(letter.id); // apply it again after the fix; stays parked if it still fails
    // or: await projections.skipDeadLetter(letter.id);
  }
  // #endregion
  return { sales, letters };
}

/** Where an application sends what the engine does: a logger, metrics. */
export interface Telemetry {
  info(message: string, fields: object): void;
  warn(message: string, fields: object): void;
}

/** Reports the engine's events to `telemetry`; returns the function that stops reporting. */
export function observe(projections: ProjectionEngine, telemetry: Telemetry): () => void {
  // #region events
  const unsubscribes = [
    projections.on('state-changed', ({ projection, previous, state, lastError }) =>
      telemetry.info('projection state', { projection, previous, state, lastError }),
    ),
    projections.on('batch-committed', ({ projection, count, checkpoint, durationMs, replay }) =>
      telemetry.info('batch committed', {
        projection,
        count, // 0: only the checkpoint moved, past events this projection does not handle
        position: serializePosition(checkpoint),
        durationMs,
        replay, // true for a rebuild's batches
      }),
    ),
    projections.on('dead-letter-parked', ({ projection, letter }) =>
      telemetry.warn('event parked', {
        projection,
        position: serializePosition(letter.position),
        error: letter.error,
      }),
    ),
    projections.on('lease-lost', ({ projection, reason }) =>
      telemetry.warn('lease lost', { projection, reason }),
    ),
    projections.on('runner-error', ({ projection, error, retryInMs }) =>
      telemetry.warn('runner error, retrying', { projection, error: String(error), retryInMs }),
    ),
  ];
  const stopObserving = () => unsubscribes.forEach((unsubscribe) => unsubscribe()); // each on() returns one
  // #endregion
  return stopObserving;
}
