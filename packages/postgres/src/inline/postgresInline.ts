import { ConfigurationError, type EventStore, type Position, type RecordedEvent } from '@rewind/core';
import {
  defaultNamespace,
  InlineHandlerFailure,
  type InlineAttachRequest,
  type InlineLogReader,
  type InlineProjection,
  type ReadModelTransaction,
} from '@rewind/projections';
import type { Pool, PoolClient } from 'pg';
import {
  InlineBacklogError,
  InlineRejectedError,
  type InlineApplier,
  type InlineSession,
} from '../eventStore/inlineProjections';
import { inlineLockKey } from '../eventStore/statements';
import { internalsOf, maybeInternalsOf, type EventStoreInternals } from '../eventStore/storeInternals';
import type { PostgresTarget } from '../postgresErrors';
import { PostgresTransaction } from '../postgresTransaction';
import type { Tables } from '../schema';

/** What an inline applier needs of the read-model store. */
export interface ReadModelSide {
  readonly pool: Pool;
  readonly t: Tables;
  readonly target: PostgresTarget;
  readonly writeBehindRows: number;
  readonly preparedStatements: boolean;
}

/** Events read per page when an inline projection catches up. */
const PAGE = 1000;

/**
 * Attaches inline projections (see `ReadModelStore.attachInline`): checks that the event store is a
 * PostgresEventStore in this store's database, drops the projections now run asynchronously from the
 * registry, then registers each inline one, catches it up and has the event store apply it.
 * @throws ConfigurationError for another kind of event store, or another database.
 */
export async function attachInline(side: ReadModelSide, request: InlineAttachRequest): Promise<void> {
  const internals = maybeInternalsOf(request.eventStore);
  if (!internals) {
    if (request.inline.length === 0) return; // nothing inline, and no registry to tidy
    throw new ConfigurationError(
      `The inline projection(s) ${names(request.inline)} need the PostgreSQL event store ` +
        `(PostgresEventStore) in the same database as the read models; the event store is a ` +
        `${request.eventStore.constructor.name}. Use PostgresEventStore, or remove \`inline: true\`.`,
    );
  }
  await checkSameDatabase(side, internals, request.inline);
  await internals.inline.detach(request.asynchronous);
  for (const projection of request.inline) {
    const applier = new PostgresInlineApplier(side, internals, projection);
    await internals.inline.attach(applier);
    await applier.catchUp();
  }
}

/**
 * Takes inline projection `projection`'s lock in a read-model transaction (a rebuild's swap), and
 * gives a reader of the log on that transaction's connection.
 */
export async function lockInline(
  tx: ReadModelTransaction,
  eventStore: EventStore,
  projection: string,
): Promise<InlineLogReader> {
  const internals = internalsOf(eventStore, 'An inline projection');
  const client = tx.native as PoolClient;
  await client.query(`SELECT pg_advisory_xact_lock(${inlineLockKey(internals.tables, '$1::text')})`, [
    projection,
  ]);
  return internals.inline.session(client).read;
}

/**
 * The read models must live where the append's transaction can write them: the same database (same
 * server, same database, the very same tables seen from both pools).
 */
async function checkSameDatabase(
  side: ReadModelSide,
  internals: EventStoreInternals,
  inline: readonly InlineProjection[],
): Promise<void> {
  const probe = `SELECT current_database() AS db, pg_postmaster_start_time()::text AS started,
                        to_regclass($1)::oid::text AS checkpoints`;
  const fromEvents = await internals.inline.withClient('compare the databases', async (client) => {
    return (await client.query<Probe>(probe, [side.t.checkpoints])).rows[0]!;
  });
  const client = await side.pool.connect();
  let fromReadModels: Probe;
  try {
    fromReadModels = (await client.query<Probe>(probe, [side.t.checkpoints])).rows[0]!;
  } finally {
    client.release();
  }
  if (
    fromEvents.checkpoints === null ||
    fromEvents.db !== fromReadModels.db ||
    fromEvents.started !== fromReadModels.started ||
    fromEvents.checkpoints !== fromReadModels.checkpoints
  ) {
    throw new ConfigurationError(
      `The inline projection(s) ${names(inline)} write their read models in the append's transaction, so the ` +
        `event store and the read-model store must share one database; the event store is in database ` +
        `"${fromEvents.db}" and the read models in "${fromReadModels.db}" at ${side.target.host}:${side.target.port}` +
        `${fromEvents.db === fromReadModels.db ? ' (another server, or another schema not visible from the event store)' : ''}. ` +
        'Point both at the same database, or remove `inline: true`.',
    );
  }
}

interface Probe {
  readonly db: string;
  readonly started: string;
  readonly checkpoints: string | null;
}

function names(inline: readonly InlineProjection[]): string {
  return inline.map((p) => `"${p.name}"`).join(', ');
}

/** One inline projection, applied by the event store in its appends and by catch-ups of its own. */
class PostgresInlineApplier implements InlineApplier {
  readonly name: string;
  readonly eventTypes: readonly string[];

  constructor(
    private readonly side: ReadModelSide,
    private readonly internals: EventStoreInternals,
    private readonly projection: InlineProjection,
  ) {
    this.name = projection.name;
    this.eventTypes = projection.eventTypes;
  }

  async apply(session: InlineSession): Promise<void> {
    // Detached while this append waited for the lock: the asynchronous runner has it now.
    const { rows } = await session.client.query(
      `SELECT 1 FROM ${this.internals.tables.inline} WHERE name = $1`,
      [this.name],
    );
    if (rows.length === 0) return;
    await this.applyPending(session, undefined, false);
  }

  async catchUp(): Promise<void> {
    let park: InlineBacklogError | undefined;
    for (;;) {
      const parking = park;
      park = undefined;
      let more: boolean;
      try {
        more = await this.internals.inline.runLocked(this.name, (session) =>
          this.applyPending(session, parking, true),
        );
      } catch (error) {
        if (!(error instanceof InlineBacklogError)) throw error;
        park = error;
        more = true;
        const { event, cause } = error;
        this.internals.logger.warn(
          {
            projection: this.name,
            streamId: event.streamId,
            revision: event.revision.toString(),
            position: `${event.position.commit}/${event.position.prepare}`,
            type: event.type,
            error: cause instanceof Error ? cause.message : String(cause),
          },
          `rewind: the inline projection "${this.name}" failed on an event appended by a process that does not run it; parked as a dead letter`,
        );
      }
      if (!more) return;
    }
  }

  /**
   * Applies what the read model lacks, in the session's transaction. `park`: an event that failed
   * before, applied up to and parked as a dead letter. `onePage`: stop after a page (a catch-up's
   * transactions stay small). @returns whether there may be more to apply.
   */
  private async applyPending(
    session: InlineSession,
    park: InlineBacklogError | undefined,
    onePage: boolean,
  ): Promise<boolean> {
    const { client } = session;
    const { rows } = await client.query<{ namespace: string }>(
      `SELECT namespace FROM ${this.side.t.served} WHERE projection = $1`,
      [this.name],
    );
    const served = rows[0]?.namespace;
    const namespace = served ?? defaultNamespace('projection', this.name, this.projection.version);
    const tx = new PostgresTransaction(
      namespace,
      client,
      this.side.t,
      this.side.target,
      this.side.writeBehindRows,
      this.side.preparedStatements,
    );
    if (!served) await tx.setServed(this.name, namespace);
    let after: Position | undefined = await tx.getCheckpoint();
    for (;;) {
      const events = await session.read(after, this.eventTypes, PAGE);
      const stop = park ? events.findIndex((e) => e.id === park!.event.id) : -1;
      const batch = stop >= 0 ? events.slice(0, stop) : events;
      if (batch.length > 0) {
        await this.applyBatch(tx, batch, session.ownTransaction);
        after = batch[batch.length - 1]!.position;
        await tx.setCheckpoint(after);
      }
      if (park && stop >= 0) {
        const { event, cause } = park;
        await tx.parkDeadLetter({
          projection: this.name,
          eventId: event.id,
          eventType: event.type,
          streamId: event.streamId,
          revision: event.revision,
          position: event.position,
          error: cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause),
          attempts: 1,
        });
        await tx.setCheckpoint(event.position);
        await tx.writeAll();
        return true;
      }
      if (events.length < PAGE) break;
      if (onePage) {
        await tx.writeAll();
        return true;
      }
    }
    await tx.writeAll();
    return false;
  }

  private async applyBatch(
    tx: PostgresTransaction,
    events: readonly RecordedEvent[],
    ownTransaction: bigint | undefined,
  ): Promise<void> {
    try {
      await this.projection.apply(tx, events);
    } catch (error) {
      if (!(error instanceof InlineHandlerFailure)) throw error;
      const { event, original } = error;
      if (ownTransaction !== undefined && event.position.commit === ownTransaction) {
        throw new InlineRejectedError(this.name, event, original);
      }
      throw new InlineBacklogError(this.name, event, original);
    }
  }
}
