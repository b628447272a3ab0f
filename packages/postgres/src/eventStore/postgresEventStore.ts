import {
  AppendNotifier,
  AppendOutcomeUnknownError,
  catchUpSubscription,
  decideAppend,
  isAfter,
  silentLogger,
  StoreError,
  StoreUnavailableError,
  StreamNotFoundError,
  ValidationError,
  validateStreamName,
  type AppendOptions,
  type AppendResult,
  type LogPage,
  type RewindLogger,
  type EventFilter,
  type EventStore,
  type EventToAppend,
  type Position,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type StoredEventId,
  type StoredEventMetadata,
  type StreamInfo,
  type SubscribeToAllOptions,
  type Subscription,
  prepareAppend,
  type PreparedAppend,
} from '@rewind/core';
import {
  Client,
  Pool,
  type ClientConfig,
  type PoolClient,
  type PoolConfig,
  type QueryConfig,
  type QueryResult,
} from 'pg';
import { checkoutClient, connectionLost } from '../checkoutClient';
import { targetOf } from '../connectionTarget';
import { mapPostgresError, type PostgresTarget } from '../postgresErrors';
import {
  checkServerVersion,
  eventStoreTablesIn,
  migrateEventStore,
  type EventStoreTables,
} from './eventStoreSchema';
import { AsyncGroupCommit, type BatchOutcome } from './groupCommit';
import {
  InlineBacklogError,
  InlineRejectedError,
  type InlineApplier,
  type InlineSession,
} from './inlineProjections';
import { EventStatements, inlineLockKey, type EventRow } from './statements';
import { registerInternals } from './storeInternals';

/** Options for {@link PostgresEventStore.connect}. */
export interface PostgresEventStoreOptions {
  /** `postgresql://user:password@host:port/database`; or give `pool` (or `poolConfig`) instead. */
  readonly connectionString?: string;
  /** A pool you own: the store never ends it. */
  readonly pool?: Pool;
  /** Extra `pg` pool settings when the store creates the pool (size, timeouts, ssl...). */
  readonly poolConfig?: PoolConfig;
  /** Schema holding the tables (default `rewind`, shared with the read-model store without clashes). */
  readonly schema?: string;
  /** Create or upgrade the tables on connect (default true). */
  readonly migrate?: boolean;
  /**
   * Use named (server-side prepared) statements for hot queries (default true). `false` sends only
   * unnamed statements: needed behind PgBouncer before 1.21 in transaction mode.
   */
  readonly preparedStatements?: boolean;
  /**
   * Wake live subscriptions with LISTEN/NOTIFY (default true): one dedicated connection per store, opened
   * by the first subscription. `false` (behind a transaction-mode pooler, where LISTEN does not work):
   * subscriptions poll every `pollIntervalMs`.
   */
  readonly notifications?: boolean;
  /**
   * How often a waiting subscription looks at the head of the log anyway, so a lost notification (or
   * the end of a long transaction that held readers back) never stalls it. Default 1000 ms with
   * notifications, 100 ms without.
   */
  readonly pollIntervalMs?: number;
  /** Most appends committed in one transaction (group commit, default 256). */
  readonly maxBatch?: number;
  /**
   * Group commits in flight at once (default 2), each on its own pooled connection; appends to one
   * stream are never in two at once. Keep it below the pool size (default 8) so reads find a client.
   */
  readonly maxConcurrentCommits?: number;
  /** Rows per page when reading and catching up (default 1000). */
  readonly pageSize?: number;
  /**
   * Where the store logs what happens beside the calls it answers: tables created or upgraded, the
   * LISTEN connection lost (subscriptions then poll) and back, inline projections attached and events
   * they parked. A pino logger or anything with its methods ({@link RewindLogger}); silent by default.
   */
  readonly logger?: RewindLogger;
}

/** A raw log position as the SQL sees it. */
interface RawPosition {
  readonly tx: string;
  readonly seq: string;
}

const START: RawPosition = { tx: '0', seq: '0' };
const END: RawPosition = { tx: '18446744073709551615', seq: '9223372036854775807' };

/** An append waiting for its group commit, already serialized. */
type PendingAppend = PreparedAppend;

/** A stream row this process knew of is gone: the batch is rolled back and written again. */
class StaleStreamCache extends Error {}

/** Thrown by the first decision pass when an append needs stored ids not fetched yet. */
class NeedIds {
  constructor(
    readonly from: bigint,
    readonly to: bigint,
  ) {}
}

/**
 * The event store in PostgreSQL (13 or newer), with `pg`.
 *
 * **Ordering.** Positions are `{ commit: transaction id, prepare: seq }`: every event row carries the
 * id of the transaction that wrote it (`xid8`, `pg_current_xact_id()`) and a global identity `seq`, and
 * the log's order is `(transaction_id, seq)`. A plain sequence is not enough: sequence values are drawn
 * at insert but become visible at commit, so a reader that saw seq 11 could later find seq 10 (its
 * transaction committed late) behind its checkpoint and skip it for good. Readers here only read rows
 * whose `transaction_id` is below `pg_snapshot_xmin(pg_current_snapshot())`: every transaction below
 * that horizon has ended, so no row can ever appear behind what a reader has seen. This is the approach
 * of Emmett's PostgreSQL store; Marten instead has a daemon compute a "high-water mark" after waiting
 * out gaps in the sequence (a timeout that can skip a slow transaction), and Message DB serializes
 * writers with a table lock. The transaction-id approach needs no daemon, no timeout, and never skips;
 * its price: a long-running transaction anywhere in the cluster (one that has an xid) holds readers
 * (subscriptions, `readAll`, `headPosition`) back until it ends — it delays them, never breaks order.
 * Reads of one stream (`readStream`) are not held back: a stream's appends are serialized by its row.
 *
 * **Appends.** Concurrent appends in one process share one transaction (group commit): stream rows are
 * created and locked in one sorted order (`INSERT … ON CONFLICT DO NOTHING`, then `SELECT … FOR
 * UPDATE`: row locks only, so no deadlock and no session state), each append is decided alone
 * against its stream (`decideAppend`: optimistic concurrency, idempotent retries) so a bad one fails
 * alone, then all events are inserted, the revisions set and `pg_notify` called (delivered at commit)
 * in one statement. Up to `maxConcurrentCommits` batches are in flight, never two with one stream.
 * Many processes may append at once.
 *
 * @example
 * const store = await PostgresEventStore.connect({ connectionString: process.env.DATABASE_URL });
 * await store.append('order-1', events, { expectedRevision: 'no_stream' });
 */
export class PostgresEventStore implements EventStore {
  /** The schema holding the tables. */
  readonly schema: string;
  /** Where the store connects (host, port, database, user; never the password), for messages. */
  readonly target: PostgresTarget;
  private readonly statements: EventStatements;
  private readonly notifier = new AppendNotifier();
  private readonly commits: AsyncGroupCommit<PendingAppend, AppendResult>;
  private readonly pollIntervalMs: number;
  private readonly pageSize: number;
  /** Log rows a filtered subscription page scans at most (ten pages). */
  private readonly scanWindow: number;
  private listener: Listener | undefined;
  private closed = false;
  /**
   * Streams this process saw committed with a revision: their rows exist for good (only placeholder
   * rows of failed appends are ever deleted), so a group commit does not insert them again.
   */
  private readonly knownStreams = new Set<string>();
  /** Where this store logs (see the `logger` option). */
  readonly logger: RewindLogger;
  /** Inline projections this process applies in its appends' transactions, by name. */
  private readonly inline = new Map<string, InlineApplier>();

  private constructor(
    private readonly pool: Pool,
    private readonly ownsPool: boolean,
    private readonly t: EventStoreTables,
    target: PostgresTarget,
    private readonly options: PostgresEventStoreOptions,
  ) {
    this.schema = t.schemaName;
    this.logger = options.logger ?? silentLogger;
    registerInternals(this, {
      logger: this.logger,
      tables: t,
      preparedStatements: options.preparedStatements !== false,
      query: (action, config) => this.query(action, config),
      inline: {
        attach: (applier) => this.attachInline(applier),
        detach: (names) => this.detachInline(names),
        runLocked: (name, work) => this.runLocked(name, work),
        withClient: (action, work) => this.withClient(action, work),
        session: (client) => this.inlineSession(client, undefined),
      },
    });
    this.target = target;
    this.statements = new EventStatements(t, options.preparedStatements !== false);
    this.pollIntervalMs = options.pollIntervalMs ?? (options.notifications === false ? 100 : 1000);
    this.pageSize = options.pageSize ?? 1000;
    this.scanWindow = this.pageSize * 10;
    this.commits = new AsyncGroupCommit<PendingAppend, AppendResult>(
      (batch) => this.writeBatch(batch),
      (error, batch) => (item) => this.batchError(error, batch.length, item),
      (item) => item.streamId,
      options.maxBatch ?? 256,
      options.maxConcurrentCommits ?? 2,
    );
  }

  /**
   * Connects, checks the server (PostgreSQL 13 or newer) and, unless `migrate: false`, creates or
   * upgrades the tables.
   * @throws StoreUnavailableError when the server cannot be reached, refuses the login or lacks the
   * database, naming host:port/database; ConfigurationError for a server older than 13 or a table of
   * the same name that Rewind did not create; ValidationError for a bad schema name or option.
   */
  static async connect(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
    const tables = eventStoreTablesIn(options.schema ?? 'rewind');
    for (const key of ['maxBatch', 'maxConcurrentCommits', 'pageSize', 'pollIntervalMs'] as const) {
      const value = options[key];
      if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
        throw new ValidationError('PostgreSQL event store options', [
          { path: key, value, constraints: { min: 'a whole number from 1' } },
        ]);
      }
    }
    const ownsPool = !options.pool;
    const pool =
      options.pool ??
      new Pool({
        max: 8,
        ...options.poolConfig,
        ...(options.connectionString ? { connectionString: options.connectionString } : {}),
      });
    // An idle client losing its connection must not crash the process: the next query reports it.
    if (ownsPool) pool.on('error', () => undefined);
    const target = targetOf(pool, options.connectionString);
    const store = new PostgresEventStore(pool, ownsPool, tables, target, options);
    try {
      await store.withClient('connect the event store', async (client) => {
        const { rows } = await client.query<{ server_version_num?: string }>('SHOW server_version_num');
        checkServerVersion(
          rows[0]?.server_version_num,
          `The server at ${target.host}:${target.port}, database "${target.database}"`,
        );
        if (options.migrate !== false) {
          const { from, to } = await migrateEventStore(
            client,
            tables,
            `Cannot set up the event store at ${target.host}:${target.port}, database "${target.database}"`,
          );
          if (from < to) {
            store.logger.info(
              { schema: tables.schemaName, database: target.database, from, to },
              from === 0
                ? `rewind: created the event store's tables in schema "${tables.schemaName}"`
                : `rewind: upgraded the event store's tables in schema "${tables.schemaName}" from version ${from} to ${to}`,
            );
          }
        }
      });
    } catch (error) {
      if (ownsPool) await pool.end().catch(() => undefined);
      throw error;
    }
    return store;
  }

  /** How many group commits (transactions) this store has made, and how many appends they held. */
  get commitStats(): { readonly commits: number; readonly appends: number } {
    const { batches, items } = this.commits.stats;
    return { commits: batches, appends: items };
  }

  append(
    streamId: string,
    events: readonly EventToAppend[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    let pending: PendingAppend;
    try {
      pending = prepareAppend(streamId, events, options);
      this.ensureOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.commits.submit(pending);
  }

  /**
   * Writes one group commit. An append whose inline projection rejects one of its events fails alone:
   * the transaction rolls back and the others are written again without it. An inline projection that
   * fails on an older event (appended by a process that does not run it) first parks that event in a
   * catch-up of its own.
   */
  private async writeBatch(batch: readonly PendingAppend[]): Promise<BatchOutcome<AppendResult>[]> {
    const outcomes: Array<BatchOutcome<AppendResult>> = new Array(batch.length);
    let remaining = batch.map((_, index) => index);
    let catchUps = 0;
    while (remaining.length > 0) {
      try {
        const written = await this.writeOnce(remaining.map((index) => batch[index]!));
        written.forEach((outcome, i) => (outcomes[remaining[i]!] = outcome));
        return outcomes;
      } catch (error) {
        if (error instanceof InlineRejectedError) {
          const failed = remaining.find((index) => batch[index]!.streamId === error.event.streamId);
          if (failed === undefined) throw error;
          outcomes[failed] = { ok: false, error };
          remaining = remaining.filter((index) => index !== failed);
        } else if (error instanceof InlineBacklogError && catchUps++ < 10) {
          await this.inline.get(error.projection)!.catchUp();
        } else if (error instanceof StaleStreamCache && catchUps++ < 10) {
          // written again below, with every stream row created as needed
        } else {
          throw error instanceof InlineBacklogError ? error.cause : error;
        }
      }
    }
    return outcomes;
  }

  /** One transaction for the batch, each append decided on its own. */
  private async writeOnce(batch: readonly PendingAppend[]): Promise<BatchOutcome<AppendResult>[]> {
    const checkedOut = await checkoutClient(this.pool, this.target, `append to ${batch.length} stream(s)`);
    const { client } = checkedOut;
    let committing = false;
    let released = false;
    try {
      const s = this.statements;
      const streamIds = batch.map((p) => p.streamId).sort();
      const types = [...new Set(batch.flatMap((p) => p.rows.map((row) => row[1])))];
      const create = streamIds.filter((id) => !this.knownStreams.has(id));
      const results = (await client.query(s.beginAndLock(streamIds, types, create))) as unknown as Array<
        QueryResult<{ name: string } & { stream_id: string; revision: string }>
      >;
      const inlineNames = results[1]!.rows.map((row) => row.name);
      const locked = results[results.length - 1]!.rows;
      if (locked.length !== streamIds.length && create.length !== streamIds.length) {
        // A stream this process thought existed has no row (the tables were emptied under it): forget
        // what it knew and write the batch again, creating rows.
        this.knownStreams.clear();
        throw new StaleStreamCache();
      }
      if (locked.length !== streamIds.length) {
        // Never expected (stream rows are never deleted once committed): refuse rather than guess.
        throw new StoreError(
          `Cannot append: ${streamIds.length - locked.length} stream row(s) of the batch vanished while being locked in ${this.t.streams}. Retry the append.`,
        );
      }
      const actual = new Map(locked.map((row) => [row.stream_id, BigInt(row.revision)]));
      const revisionOf = (id: string) => {
        const revision = actual.get(id);
        return revision === undefined || revision < 0n ? undefined : revision;
      };
      // Decide every append; those that need stored ids (a possible retry) get them in one query.
      const stored = new Map<string, StoredEventId>();
      const decide = (pending: PendingAppend, fetching: boolean) =>
        decideAppend(
          pending.streamId,
          pending.expected,
          revisionOf(pending.streamId),
          pending.rows.map(([id]) => (pending.idsGiven ? id : undefined)),
          (from, to) => {
            if (fetching) throw new NeedIds(from, to);
            const out: StoredEventId[] = [];
            for (let r = from; r <= to; r++) {
              out.push(
                stored.get(`${pending.streamId}\u0000${r}`) ?? {
                  id: '',
                  position: { commit: -1n, prepare: -1n },
                },
              );
            }
            return out;
          },
        );
      const needs: Array<[string, bigint, bigint]> = [];
      for (const pending of batch) {
        try {
          decide(pending, true);
        } catch (error) {
          if (error instanceof NeedIds) needs.push([pending.streamId, error.from, error.to]);
        }
      }
      if (needs.length > 0) {
        const { rows } = await client.query<{
          stream_id: string;
          revision: string;
          event_id: string;
          tx: string;
          seq: string;
        }>(
          s.storedIds(
            needs.map((n) => n[0]),
            needs.map((n) => n[1].toString()),
            needs.map((n) => n[2].toString()),
          ),
        );
        for (const row of rows) {
          stored.set(`${row.stream_id}\u0000${row.revision}`, {
            id: row.event_id,
            position: { commit: BigInt(row.tx), prepare: BigInt(row.seq) },
          });
        }
      }
      const outcomes: Array<BatchOutcome<AppendResult> | undefined> = [];
      const columns: [string[], string[], string[], string[], string[], string[]] = [[], [], [], [], [], []];
      const written: number[] = [];
      const nextRevisions = new Map<string, bigint>();
      batch.forEach((pending, index) => {
        try {
          const decision = decide(pending, false);
          if (decision.kind === 'already-written') {
            outcomes.push({ ok: true, value: decision.result });
            return;
          }
        } catch (error) {
          outcomes.push({ ok: false, error });
          return;
        }
        let revision = revisionOf(pending.streamId) ?? -1n;
        for (const [id, type, data, metadata] of pending.rows) {
          revision++;
          columns[0].push(pending.streamId);
          columns[1].push(revision.toString());
          columns[2].push(id);
          columns[3].push(type);
          columns[4].push(data);
          columns[5].push(metadata);
        }
        nextRevisions.set(pending.streamId, revision);
        written.push(index);
        outcomes.push(undefined);
      });
      // Streams created for appends that failed go again; the others get their new revision.
      const update = streamIds.filter((id) => nextRevisions.has(id) || revisionOf(id) === undefined);
      const revisions = update.map((id) => (nextRevisions.get(id) ?? -1n).toString());
      if (written.length > 0) {
        const { rows } = await client.query<{ stream_id: string; revision: string; tx: string; seq: string }>(
          s.write(columns, update, revisions),
        );
        const last = new Map<string, Position>();
        for (const row of rows) {
          const position = { commit: BigInt(row.tx), prepare: BigInt(row.seq) };
          const before = last.get(row.stream_id);
          if (!before || isAfter(position, before)) last.set(row.stream_id, position);
        }
        for (const index of written) {
          const id = batch[index]!.streamId;
          outcomes[index] = {
            ok: true,
            value: { nextExpectedRevision: nextRevisions.get(id)!, position: last.get(id)! },
          };
        }
        // Inline projections this process runs, under their locks (taken by beginAndLock).
        const ownTransaction = BigInt(rows[0]!.tx);
        for (const name of inlineNames) {
          await this.inline.get(name)?.apply(this.inlineSession(client, ownTransaction));
        }
      } else if (update.length > 0) {
        await client.query(s.updateStreams(update, revisions));
      }
      committing = true;
      await client.query('COMMIT');
      if (this.knownStreams.size > 100_000) this.knownStreams.clear(); // a bound, not a cache policy
      for (const row of locked) if (!row.revision.startsWith('-')) this.knownStreams.add(row.stream_id);
      for (const id of nextRevisions.keys()) this.knownStreams.add(id);
      if (written.length > 0) this.notifier.notify();
      return outcomes as BatchOutcome<AppendResult>[];
    } catch (error) {
      if (!committing) await client.query('ROLLBACK').catch(() => undefined);
      if (
        (error instanceof InlineRejectedError ||
          error instanceof InlineBacklogError ||
          error instanceof StaleStreamCache) &&
        !checkedOut.lost()
      ) {
        throw error; // rolled back; the client is fine and goes back to the pool
      }
      const lost = checkedOut.lost();
      released = true;
      checkedOut.release(lost ?? (error as Error));
      throw Object.assign(new BatchFailure(error, lost), { committing });
    } finally {
      if (!released) checkedOut.release();
    }
  }

  /** Reads for an inline projection on a client whose transaction holds the projection's lock. */
  private inlineSession(client: PoolClient, ownTransaction: bigint | undefined): InlineSession {
    return {
      client,
      ownTransaction,
      read: async (after, types, limit) => {
        // No horizon: every writer of these types took the lock before getting its transaction id.
        const config = this.statements.readLog(false, after ? raw(after) : START, END.tx, types, [], limit);
        return (await client.query<EventRow>(config)).rows.map(toEvent);
      },
    };
  }

  /**
   * Registers an inline projection (idempotent): records it in the registry every appender reads, then
   * waits until every transaction that began before the registry knew it has ended, so all later
   * appends of its types take its lock. Then this process applies it in its appends.
   */
  private async attachInline(applier: InlineApplier): Promise<void> {
    const registered = await this.query<{ tx: string }>('register an inline projection', {
      text: `WITH r AS (INSERT INTO ${this.t.inline} (name, event_types) VALUES ($1, $2::text[])
               ON CONFLICT (name) DO UPDATE SET event_types = excluded.event_types
               WHERE ${this.t.inline}.event_types IS DISTINCT FROM excluded.event_types RETURNING 1)
             SELECT pg_current_xact_id()::text AS tx FROM r`,
      values: [applier.name, [...applier.eventTypes].sort()],
    });
    const tx = registered[0]?.tx;
    if (tx !== undefined) {
      // Wait out the appenders that read the registry before this commit (they hold no lock for it).
      for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
        const [row] = await this.query<{ passed: boolean }>('wait for older appends to end', {
          text: `SELECT ${'pg_snapshot_xmin(pg_current_snapshot())'} > $1::xid8 AS passed`,
          values: [tx],
        });
        if (row?.passed) break;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
    this.inline.set(applier.name, applier);
    this.logger.info(
      { projection: applier.name, eventTypes: applier.eventTypes },
      `rewind: the projection "${applier.name}" is applied inline, in the transactions of the appends of its events`,
    );
  }

  /** Stops applying projections inline here and removes them from the registry (they run asynchronously now). */
  private async detachInline(names: readonly string[]): Promise<void> {
    for (const name of names) this.inline.delete(name);
    if (names.length === 0) return;
    await this.query('unregister inline projections', {
      text: `DELETE FROM ${this.t.inline} WHERE name = ANY($1::text[])`,
      values: [[...names]],
    });
  }

  /** Runs `work` in a transaction that first takes inline projection `name`'s lock. */
  private async runLocked<T>(name: string, work: (session: InlineSession) => Promise<T>): Promise<T> {
    let backlog: InlineBacklogError | undefined;
    try {
      return await this.withClient(`catch up the inline projection "${name}"`, async (client) => {
        await client.query('BEGIN');
        try {
          await client.query(`SELECT pg_advisory_xact_lock(${inlineLockKey(this.t, '$1::text')})`, [name]);
          const result = await work(this.inlineSession(client, undefined));
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          if (error instanceof InlineBacklogError) backlog = error;
          throw error;
        }
      });
    } catch (error) {
      // A handler's failure goes back to the caller as it is (it parks the event); the rest is mapped.
      throw backlog ?? error;
    }
  }

  /** The error one append of a failed batch gets: unavailable, unknown outcome (lost at commit), or a StoreError. */
  private batchError(error: unknown, size: number, item: PendingAppend): unknown {
    const failure = error instanceof BatchFailure ? error : new BatchFailure(error, undefined);
    const action = `append to "${item.streamId}"`;
    const mapped = failure.lost
      ? connectionLost(failure.lost, this.target, action)
      : mapPostgresError(failure.error, this.target, action);
    if ((error as { committing?: boolean }).committing && mapped instanceof StoreUnavailableError) {
      return new AppendOutcomeUnknownError(
        item.streamId,
        item.expected,
        item.rows.map(([id]) => id),
        `the connection to PostgreSQL at ${this.target.host}:${this.target.port} was lost while the commit of ${size} append(s) was under way`,
        { cause: mapped },
      );
    }
    return mapped;
  }

  async *readStream(streamId: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    for await (const page of this.readStreamPages(streamId, options)) yield* page;
  }

  /** {@link readStream} a page (at most `pageSize` events) at a time; never an empty page. */
  async *readStreamPages(
    streamId: string,
    options: ReadStreamOptions = {},
  ): AsyncIterable<readonly RecordedEvent[]> {
    validateStreamName(streamId, 'read');
    this.ensureOpen();
    const backwards = options.direction === 'backwards';
    let remaining = options.maxCount ?? Infinity;
    // [low, high] inclusive; forwards walks up from low, backwards down from high.
    let low = backwards ? (options.toRevision ?? 0n) : (options.fromRevision ?? 0n);
    let high = backwards ? (options.fromRevision ?? END_REVISION) : (options.toRevision ?? END_REVISION);
    let first = true;
    while (remaining > 0 && low <= high) {
      const limit = Math.min(this.pageSize, remaining);
      const rows = await this.query<EventRow>(
        'read a stream',
        this.statements.readStream(
          backwards,
          streamId,
          low.toString(),
          high.toString(),
          options.until ?? null,
          limit,
        ),
      );
      if (first && rows.length === 0) {
        const exists = await this.query('read a stream', this.statements.streamRevision(streamId));
        if (exists.length === 0) throw new StreamNotFoundError(streamId);
      }
      first = false;
      const page: RecordedEvent[] = [];
      try {
        for (const row of rows) page.push(toEvent(row));
      } catch (error) {
        // A row that cannot be decoded: the events before it are delivered first, then its error.
        if (page.length > 0) yield page;
        throw error;
      }
      if (page.length > 0) yield page;
      remaining -= rows.length;
      if (rows.length < limit) return;
      const last = BigInt(rows[rows.length - 1]!.revision);
      if (backwards) high = last - 1n;
      else low = last + 1n;
    }
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    for await (const page of this.readAllPages(options)) yield* page;
  }

  /** {@link readAll} a page (at most `pageSize` events) at a time; never an empty page. */
  async *readAllPages(options: ReadAllOptions = {}): AsyncIterable<readonly RecordedEvent[]> {
    this.ensureOpen();
    const { types, prefixes } = filterLists(options.filter);
    const backwards = options.direction === 'backwards';
    let remaining = options.maxCount ?? Infinity;
    let from = backwards
      ? options.before
        ? raw(options.before)
        : END
      : options.after
        ? raw(options.after)
        : START;
    // One horizon for the whole read: rows below it are final, so pages never miss or repeat a row.
    const { xmin } = await this.head();
    while (remaining > 0) {
      const limit = Math.min(this.pageSize, remaining);
      const rows = await this.query<EventRow>(
        'read $all',
        this.statements.readLog(backwards, from, xmin, types, prefixes, limit),
      );
      if (rows.length > 0) yield rows.map(toEvent);
      remaining -= rows.length;
      if (rows.length < limit) return;
      const last = rows[rows.length - 1]!;
      from = { tx: last.tx, seq: last.seq };
    }
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): Subscription {
    this.ensureOpen();
    const { types, prefixes } = filterLists(options.filter);
    if (this.options.notifications !== false) this.startListener();
    // Survives the server going away: a page read that fails with StoreUnavailableError is read again
    // (backing off up to 2 s) from the last position delivered, so nothing is skipped or repeated.
    return catchUpSubscription(
      {
        readPage: async (after): Promise<LogPage> => {
          const head = await this.head();
          const from = after ? raw(after) : START;
          const filtered = types.length > 0 || prefixes.length > 0;
          // A filtered page scans a bounded stretch of the log, so a rare filter still advances page by page.
          const end = filtered
            ? (
                await this.query<RawPosition>(
                  'read $all for a subscription',
                  this.statements.windowEnd(from, head.xmin, this.scanWindow),
                )
              )[0]
            : undefined;
          const rows = await this.query<EventRow>(
            'read $all for a subscription',
            this.statements.readLog(false, from, head.xmin, types, prefixes, this.pageSize, end),
          );
          const events = rows.map(toEvent);
          if (rows.length === this.pageSize) {
            return { events, scannedTo: events[events.length - 1]!.position, reachedHead: false };
          }
          if (end) {
            return {
              events,
              scannedTo: { commit: BigInt(end.tx), prepare: BigInt(end.seq) },
              reachedHead: false,
            };
          }
          // Everything below the horizon was scanned: a sparse filter still moves its checkpoint.
          return { events, scannedTo: head.position, reachedHead: true };
        },
        waitForAppend: (_, signal) => this.notifier.wait(signal, this.pollIntervalMs),
        retryable: (error) => error instanceof StoreUnavailableError,
        closed: () => this.closed,
      },
      options.after,
    );
  }

  async headPosition(): Promise<Position | undefined> {
    this.ensureOpen();
    return (await this.head()).position;
  }

  /** The visibility horizon and the newest event below it, read in one snapshot. */
  private async head(): Promise<{ xmin: string; position: Position | undefined }> {
    const rows = await this.query<{ xmin: string; tx: string | null; seq: string | null }>(
      'read the head position',
      this.statements.head(),
    );
    const row = rows[0]!;
    return {
      xmin: row.xmin,
      position:
        row.tx === null || row.seq === null
          ? undefined
          : { commit: BigInt(row.tx), prepare: BigInt(row.seq) },
    };
  }

  async *listStreams(options: { prefix?: string; limit?: number } = {}): AsyncIterable<StreamInfo> {
    this.ensureOpen();
    const prefix = options.prefix ?? '';
    let remaining = options.limit ?? Infinity;
    let after = '';
    while (remaining > 0) {
      const limit = Math.min(this.pageSize, remaining);
      const rows = await this.query<{ stream_id: string; revision: string }>(
        'list streams',
        this.statements.listStreams(after, prefix, limit),
      );
      for (const row of rows) yield { streamId: row.stream_id, revision: BigInt(row.revision) };
      remaining -= rows.length;
      if (rows.length < limit) return;
      after = rows[rows.length - 1]!.stream_id;
    }
  }

  async countEvents(options: { after?: Position; filter?: EventFilter } = {}): Promise<number> {
    this.ensureOpen();
    const { types, prefixes } = filterLists(options.filter);
    const rows = await this.query<{ n: string }>(
      'count events',
      this.statements.count(options.after ? raw(options.after) : START, types, prefixes),
    );
    return Number(rows[0]!.n);
  }

  /** Commits the appends still queued, ends live subscriptions' waits, closes the listener and (if it is the store's) the pool. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.commits.idle();
    this.closed = true;
    this.notifier.notify();
    await this.listener?.close();
    if (this.ownsPool) await this.pool.end().catch(() => undefined);
  }

  /** Runs work on a pooled client; a lost connection becomes a StoreUnavailableError. */
  private async withClient<T>(action: string, work: (client: PoolClient) => Promise<T>): Promise<T> {
    const checkedOut = await checkoutClient(this.pool, this.target, action);
    try {
      return await work(checkedOut.client);
    } catch (error) {
      const lost = checkedOut.lost();
      if (lost) throw connectionLost(lost, this.target, action);
      throw mapPostgresError(error, this.target, action);
    } finally {
      checkedOut.release();
    }
  }

  /** One statement on a pooled client, errors mapped to the Rewind family. */
  private query<R extends object>(action: string, config: QueryConfig): Promise<R[]> {
    this.ensureOpen();
    return this.withClient(action, async (client) => (await client.query<R>(config)).rows);
  }

  /** Opens the LISTEN connection (once); it reconnects by itself while the store is open. */
  private startListener(): void {
    if (this.listener) return;
    const config: ClientConfig = { ...(this.pool.options as ClientConfig) };
    this.listener = new Listener(
      config,
      this.t.channel,
      () => this.notifier.notify(),
      this.logger,
      this.pollIntervalMs,
    );
  }

  private ensureOpen(): void {
    if (this.closed) {
      throw new StoreUnavailableError(
        `The PostgreSQL event store (schema "${this.schema}" at ${this.target.host}:${this.target.port}) is closed. ` +
          'Connect again with PostgresEventStore.connect().',
      );
    }
  }
}

const END_REVISION = 2n ** 63n - 1n;

/** A failed group-commit transaction, with the connection error seen meanwhile. */
class BatchFailure extends Error {
  constructor(
    readonly error: unknown,
    readonly lost: Error | undefined,
  ) {
    super((error as Error | undefined)?.message ?? String(error));
  }
}

function raw(position: Position): RawPosition {
  return { tx: position.commit.toString(), seq: position.prepare.toString() };
}

function filterLists(filter: EventFilter | undefined): {
  types: readonly string[];
  prefixes: readonly string[];
} {
  return { types: filter?.eventTypes ?? [], prefixes: filter?.streamPrefixes ?? [] };
}

function toEvent(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    streamId: row.stream_id,
    revision: BigInt(row.revision),
    position: { commit: BigInt(row.tx), prepare: BigInt(row.seq) },
    type: row.type,
    data: row.data,
    metadata: row.metadata as StoredEventMetadata,
    recordedAt: row.recorded_at,
  };
}

/**
 * The store's LISTEN connection: a dedicated client (never from the pool, whose clients come and go).
 * When it drops (a server restart), it reconnects with backoff and wakes every waiter, since
 * notifications sent meanwhile are lost.
 */
class Listener {
  private client: Client | undefined;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;

  /** Whether the connection is down (logged once per outage). */
  private down = false;

  constructor(
    private readonly config: ClientConfig,
    private readonly channel: string,
    private readonly wake: () => void,
    private readonly logger: RewindLogger,
    private readonly pollIntervalMs: number,
  ) {
    this.connecting = this.connect(50);
  }

  private connecting: Promise<void>;

  private async connect(backoff: number): Promise<void> {
    if (this.closed) return;
    const client = new Client(this.config);
    let failed = false;
    const fail = (error?: unknown) => {
      if (failed) return;
      failed = true;
      if (!this.down && !this.closed) {
        this.down = true;
        this.logger.warn(
          { channel: this.channel, error: error instanceof Error ? error.message : error },
          `rewind: the LISTEN connection to PostgreSQL is lost; live subscriptions poll every ${this.pollIntervalMs} ms until it is back`,
        );
      }
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
      if (this.client === client) this.client = undefined;
      this.wake();
      if (!this.closed) {
        this.timer = setTimeout(() => {
          this.connecting = this.connect(Math.min(backoff * 2, 2000));
        }, backoff);
        this.timer.unref();
      }
    };
    client.on('error', fail);
    client.on('end', fail);
    client.on('notification', () => this.wake());
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
    } catch (error) {
      fail(error);
      return;
    }
    if (this.closed) {
      failed = true;
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    if (this.down) {
      this.down = false;
      this.logger.info({ channel: this.channel }, 'rewind: the LISTEN connection to PostgreSQL is back');
    }
    // Connected (again): notifications may have been missed meanwhile.
    this.wake();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.connecting;
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners('end');
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
    }
  }
}
