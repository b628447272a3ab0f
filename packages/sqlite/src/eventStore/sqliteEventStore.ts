import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import {
  AppendNotifier,
  catchUpSubscription,
  silentLogger,
  type RewindLogger,
  sequencePosition,
  StoreUnavailableError,
  StreamNotFoundError,
  validateStreamName,
  type LogPage,
  type AppendOptions,
  type AppendResult,
  type EventFilter,
  type EventStore,
  type EventToAppend,
  type Position,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type StreamInfo,
  type SubscribeToAllOptions,
  type Subscription,
  prepareAppend,
} from '@rewind/core';
import { writeAppends, type PendingAppend, type WrittenBatch } from './appendBatch';
import { GroupCommit, type BatchOutcome } from './groupCommit';
import { KnownRevisions } from './knownRevisions';
import { checkSchema, migrate } from './schema';
import { mapSqliteError } from './sqliteErrors';
import { decodeRows, fromPackedPage, type DecodedPage } from './eventPages';
import { ForwardLogCursor, type LogCursorState } from './logCursor';
import { FilterDensity, LogStatements, normalizeFilter } from './logStatements';
import { packedRange, type PackedPage } from './packedPage';
import type { ReadAheadWorkerData } from './readAhead.worker';
import { prepareStatements, type EventRow, type EventStatements } from './statements';

/**
 * The compiled read-ahead worker: beside this file in dist/; when this file runs from its TypeScript
 * source (the repository's own tests), the package's build of it. Missing (e.g. bundled into one
 * file): reads stay on the calling thread.
 */
const READ_AHEAD_WORKER = [
  join(__dirname, 'readAhead.worker.js'),
  join(__dirname, '..', '..', 'dist', 'eventStore', 'readAhead.worker.js'),
].find((path) => existsSync(path));

/**
 * The read-ahead worker's own heap limits. Its garbage (rows, page texts) dies young, so a small young
 * generation serves it as fast as V8's default (16 MB semi-spaces) and saves most of the ~30 MB the
 * default lets it grow to. Its old generation is left to V8: a page holds whatever the events hold,
 * and a bound there would fail reads of large events.
 */
const READ_AHEAD_LIMITS = { maxYoungGenerationSizeMb: 4 };
/**
 * Bytes of text per read-ahead page (at most `pageSize` rows), and pages kept ready. Small pages: a
 * reader decodes a page at a time, and every event of it lives until the page is consumed; pages of
 * about 64 KB let a catch-up pass apply and drop them while they are still in the young generation
 * (1000 events of 460 bytes had them promoted, which cost 15% of a 1M-event replay in garbage
 * collection and 30 MB of peak RSS), without cutting small events into needlessly many pages.
 */
const READ_AHEAD_PAGE_BYTES = 64 * 1024;
const READ_AHEAD_DEPTH = 16;

/** What the read-ahead worker posts. */
type ReadAheadMessage =
  | PackedPage
  | { readonly done: true }
  | { readonly closed: true }
  | { readonly error: { readonly message: string; readonly code?: string } };

/** Options for {@link SqliteEventStore.open}. */
export interface SqliteEventStoreOptions {
  /** The database file. Its directory must exist. */
  readonly path: string;
  /**
   * Durability of an acknowledged append (the file is always in WAL mode):
   * - `'full'` (default): every commit is fsynced before `append()` resolves; an acknowledged append
   *   survives a process crash, an OS crash and a power loss.
   * - `'normal'`: commits are fsynced only at WAL checkpoints. About 4x cheaper per commit; a process
   *   crash (even SIGKILL) still loses nothing and the file is never corrupted, but an OS crash or
   *   power loss can lose the last acknowledged appends. For data you can rebuild, tests and demos.
   */
  readonly synchronous?: 'full' | 'normal';
  /**
   * How long a write waits for another process's write lock (default 5000 ms); the wait blocks the
   * event loop (better-sqlite3 is synchronous). Past it, the batch fails with StoreUnavailableError.
   */
  readonly busyTimeoutMs?: number;
  /** How often live subscriptions look for appends made by other processes (default 100 ms). */
  readonly pollIntervalMs?: number;
  /**
   * Rows per page when reading and catching up (default 1000). Pages read ahead by the worker (see
   * `readAheadAfter`) hold about 64 KB of event text, and at most this many rows.
   */
  readonly pageSize?: number;
  /**
   * Events a forward read of `$all` returns before it hands the reading to a worker thread that keeps
   * the next pages ready (default 10,000; `Infinity`: never). Long reads (rebuilds, catching up a
   * projection) then step SQLite on one core while events are applied on the other. The worker opens
   * its own read-only connection to the file.
   */
  readonly readAheadAfter?: number;
  /** Most appends gathered into one commit (default 1024). */
  readonly maxBatch?: number;
  /** The clock for recorded time (tests). */
  readonly clock?: () => Date;
  /**
   * Where the store logs what it did to the file (created it, upgraded its schema): a pino logger or
   * anything with its methods ({@link RewindLogger}). Silent by default.
   */
  readonly logger?: RewindLogger;
}

/**
 * The embedded, durable event store: one SQLite file in WAL mode. Concurrent appends are gathered
 * into one transaction and one fsync (group commit), each checked against its own expected revision.
 * Several processes may share the file: writes take SQLite's write lock (`BEGIN IMMEDIATE`, with a
 * busy timeout) and revisions are always read inside that transaction.
 *
 * @example
 * const store = SqliteEventStore.open({ path: '.data/events.db' });
 * await store.append('order-1', events, { expectedRevision: 'no_stream' });
 * @throws StoreUnavailableError when the file cannot be opened, is not a Rewind store, or is newer.
 */
export class SqliteEventStore implements EventStore {
  /** The absolute path of the database file. */
  readonly path: string;
  private readonly db: Database.Database;
  private readonly notifier = new AppendNotifier();
  private readonly pollIntervalMs: number;
  private readonly pageSize: number;
  private readonly scanWindow: number;
  private readonly readAheadAfter: number;
  /** Read-ahead workers of reads in progress, ended by close(). */
  private readonly readers = new Set<Worker>();
  private readonly clock: () => number;
  private readonly commits: GroupCommit<PendingAppend, AppendResult>;
  private readonly statements: EventStatements;
  private readonly log: LogStatements;
  private readonly writeBatch: Database.Transaction<
    (batch: readonly PendingAppend[], written: WrittenBatch) => BatchOutcome<AppendResult>[]
  >;
  /** Stream revisions this connection wrote, trusted while no other connection commits. */
  private readonly known = new KnownRevisions();
  private closed = false;

  private constructor(options: SqliteEventStoreOptions) {
    this.path = resolve(options.path);
    this.pollIntervalMs = options.pollIntervalMs ?? 100;
    this.pageSize = options.pageSize ?? 1000;
    this.scanWindow = Math.max(this.pageSize, 65_536);
    this.readAheadAfter = READ_AHEAD_WORKER ? (options.readAheadAfter ?? 10_000) : Infinity;
    const clock = options.clock;
    this.clock = clock ? () => clock().getTime() : Date.now;
    if (!existsSync(dirname(this.path))) {
      throw new StoreUnavailableError(
        `Cannot open the SQLite event store "${this.path}": the directory "${dirname(this.path)}" does not exist. Create it first.`,
      );
    }
    try {
      this.db = new Database(this.path, { timeout: options.busyTimeoutMs ?? 5000 });
    } catch (error) {
      throw mapSqliteError(error, this.path, 'open it');
    }
    try {
      // Nothing is written (not even the switch to WAL) before the file is known to be ours.
      checkSchema(this.db, this.path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
      const migrated = migrate(this.db, this.path);
      if (migrated.from < migrated.to) {
        (options.logger ?? silentLogger).info(
          { path: this.path, from: migrated.from, to: migrated.to },
          migrated.from === 0
            ? `rewind: created the event store in ${this.path}`
            : `rewind: upgraded the event store in ${this.path} from schema ${migrated.from} to ${migrated.to}`,
        );
      }
      this.statements = prepareStatements(this.db);
      this.log = new LogStatements(this.db);
      this.writeBatch = this.db.transaction((batch: readonly PendingAppend[], written: WrittenBatch) =>
        writeAppends(this.statements, batch, this.clock, this.known, written),
      );
    } catch (error) {
      this.db.close();
      throw mapSqliteError(error, this.path, 'open it');
    }
    this.commits = new GroupCommit<PendingAppend, AppendResult>(
      (batch) => {
        const written: WrittenBatch = { revisions: new Map(), recordedAt: 0 };
        let outcomes: BatchOutcome<AppendResult>[];
        try {
          outcomes = this.writeBatch.immediate(batch, written);
        } catch (error) {
          this.known.forget(); // rolled back: what the batch wrote is not in the file
          throw error;
        }
        this.known.committed(written.revisions, written.recordedAt);
        // Committed: wake same-process subscribers now (never before the commit).
        this.notifier.notify();
        return outcomes;
      },
      (error, batch) => mapSqliteError(error, this.path, `append to ${batch.length} stream(s)`),
      options.maxBatch ?? 1024,
    );
  }

  /**
   * Opens (creating if needed) an event store file. See {@link SqliteEventStoreOptions}.
   * @throws StoreUnavailableError when the directory is missing, or the file is read-only, corrupt,
   * not a Rewind store or written by a newer Rewind; the message names the path and what to do.
   */
  static open(options: SqliteEventStoreOptions | string): SqliteEventStore {
    return new SqliteEventStore(typeof options === 'string' ? { path: options } : options);
  }

  /** The underlying better-sqlite3 connection, for tools and tests; do not write to Rewind's tables. */
  get database(): Database.Database {
    return this.db;
  }

  /** How many group commits (write transactions) this store has made, and how many appends they held. */
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

  async *readStream(streamId: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    for await (const page of this.readStreamPages(streamId, options)) yield* page;
  }

  async *readStreamPages(
    streamId: string,
    options: ReadStreamOptions = {},
  ): AsyncIterable<readonly RecordedEvent[]> {
    validateStreamName(streamId, 'read');
    this.ensureOpen();
    const backwards = options.direction === 'backwards';
    let remaining = options.maxCount ?? Infinity;
    let from =
      options.fromRevision === undefined
        ? backwards
          ? Number.MAX_SAFE_INTEGER
          : 0
        : Number(options.fromRevision);
    let bound =
      options.toRevision === undefined
        ? backwards
          ? 0
          : Number.MAX_SAFE_INTEGER
        : Number(options.toRevision);
    const exists = () =>
      this.run('read a stream', () => this.statements.streamRevision.get(streamId)) !== undefined;
    if (options.until) {
      // recorded_at never decreases along a stream: the last revision at that moment bounds the read.
      const until = options.until.getTime();
      const last = this.run('read a stream', () => this.statements.revisionAt.get(streamId, until));
      if (last === undefined) {
        if (!exists()) throw new StreamNotFoundError(streamId);
        return;
      }
      if (backwards) from = Math.min(from, last);
      else bound = Math.min(bound, last);
    }
    const statement = backwards ? this.statements.streamBackwards : this.statements.streamForwards;
    let first = true;
    for (;;) {
      const limit = Math.min(this.pageSize, remaining);
      if (limit <= 0) return;
      const rows = this.run('read a stream', () => statement.all(streamId, from, bound, limit)) as EventRow[];
      if (first && rows.length === 0 && !exists()) throw new StreamNotFoundError(streamId);
      first = false;
      yield* delivered(this.decode(rows));
      remaining -= rows.length;
      if (rows.length < limit) return;
      from = rows[rows.length - 1]![2] + (backwards ? -1 : 1);
    }
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    for await (const page of this.readAllPages(options)) yield* page;
  }

  async *readAllPages(options: ReadAllOptions = {}): AsyncIterable<readonly RecordedEvent[]> {
    this.ensureOpen();
    const filter = normalizeFilter(options.filter);
    // Unfiltered reads page by position alone; filtered ones scan bounded windows (see LogStatements).
    const window = filter ? this.scanWindow : Number.MAX_SAFE_INTEGER;
    const maxCount = options.maxCount ?? Infinity;
    if (options.direction === 'backwards') {
      let remaining = maxCount;
      const head = this.run('read $all', () => this.statements.head.get()) ?? 0;
      let before = Math.min(options.before ? Number(options.before.commit) : Infinity, head + 1);
      const density = new FilterDensity();
      while (remaining > 0 && before > 1) {
        const limit = Math.min(this.pageSize, remaining);
        const above = Math.max(0, before - 1 - window);
        const rows = this.run('read $all', () =>
          this.log.backwards(above, before, filter, limit, density.access),
        );
        if (rows.length > 0) yield* delivered(this.decode(rows));
        remaining -= rows.length;
        const next = rows.length === limit ? rows[rows.length - 1]![0] : above + 1;
        density.observe(rows.length, before - next);
        before = next;
      }
      return;
    }
    const cursor = new ForwardLogCursor(
      this.log,
      () => this.statements.head.get() ?? 0,
      filter,
      this.pageSize,
      window,
      { after: options.after ? Number(options.after.commit) : 0, remaining: maxCount, access: 'index' },
    );
    let returned = 0;
    for (;;) {
      if (returned >= this.readAheadAfter) {
        // A long read: the rest comes from a worker that reads ahead (same cursor, same SQL).
        yield* this.readAhead(cursor.state, filter, window);
        return;
      }
      const rows = this.run('read $all', () => cursor.next());
      if (!rows) return;
      yield* delivered(this.decode(rows));
      returned += rows.length;
    }
  }

  /**
   * The rest of a forward read of `$all`, from a worker thread (readAhead.worker.ts) that runs the
   * same cursor on its own read-only connection and keeps up to eight pages ready. Ending the
   * iteration early, or closing the store, ends the worker. The worker keeps the process alive only
   * while this read waits for it.
   *
   * Pages come on a channel of their own that this read pulls from (`receiveMessageOnPort`) when it
   * needs the next page, not as events: a page waiting its turn stays serialized outside this thread's
   * heap, and is made into an object only when it is decoded (see {@link PackedPage}). The worker's
   * messages on `parentPort` only wake a read that waits.
   */
  private async *readAhead(
    start: LogCursorState,
    filter: EventFilter | undefined,
    window: number,
  ): AsyncIterable<readonly RecordedEvent[]> {
    const { port1: pages, port2: pagesOfWorker } = new MessageChannel();
    const waiting = new Int32Array(new SharedArrayBuffer(4));
    const workerData: ReadAheadWorkerData = {
      path: this.path,
      filter,
      pageSize: this.pageSize,
      pageBytes: READ_AHEAD_PAGE_BYTES,
      window,
      depth: READ_AHEAD_DEPTH,
      pages: pagesOfWorker,
      waiting,
      ...start,
    };
    const worker = new Worker(READ_AHEAD_WORKER!, {
      workerData,
      transferList: [pagesOfWorker],
      resourceLimits: READ_AHEAD_LIMITS,
    });
    worker.unref();
    this.readers.add(worker);
    let ended: ReadAheadMessage | undefined;
    let wake: (() => void) | undefined;
    const end = (message: ReadAheadMessage) => {
      ended ??= message;
      wake?.();
    };
    worker.on('message', () => wake?.());
    worker.on('error', (error) => end({ error: { message: error.message } }));
    worker.on('exit', () =>
      end(
        this.closed
          ? { closed: true }
          : { error: { message: 'the read-ahead worker stopped before the read was done' } },
      ),
    );
    const next = () => (receiveMessageOnPort(pages)?.message as ReadAheadMessage | undefined) ?? ended;
    // Pages taken and not yet given back to the worker as credits: returned half a depth at a time.
    let taken = 0;
    try {
      for (;;) {
        this.ensureOpen();
        let message = next();
        if (message === undefined) {
          if (taken > 0) worker.postMessage(taken);
          taken = 0;
          // Flagged before the queue is checked again: the worker nudges only a reader that waits.
          Atomics.store(waiting, 0, 1);
          worker.ref();
          while ((message = next()) === undefined) await new Promise<void>((resolve) => (wake = resolve));
          worker.unref();
          Atomics.store(waiting, 0, 0);
          wake = undefined;
        }
        if ('numbers' in message) {
          if (++taken >= READ_AHEAD_DEPTH / 2) {
            worker.postMessage(taken);
            taken = 0;
          }
          yield* delivered(this.decodePacked(message, filter));
        } else if ('done' in message) return;
        else if ('closed' in message) this.ensureOpen();
        else {
          const error = Object.assign(new Error(message.error.message), { code: message.error.code });
          throw mapSqliteError(error, this.path, 'read $all');
        }
      }
    } finally {
      this.readers.delete(worker);
      worker.removeAllListeners();
      pages.close();
      await worker.terminate();
    }
  }

  /**
   * One page of the log for a subscription: matching events after `after`, how far it looked, and
   * whether that is the head. With a filter it scans a bounded window of positions, so a sparse
   * filter still moves its checkpoint forward page by page. A row that cannot be decoded ends the
   * page: the events before it are delivered, then its error (see {@link LogPage}).
   */
  private readPage(after: number, filter: EventFilter | undefined, density: FilterDensity): LogPage {
    return this.run('read $all', () => {
      const head = this.statements.head.get() ?? 0;
      if (head <= after) return { events: [], scannedTo: undefined, reachedHead: true };
      const upTo = filter ? Math.min(head, after + this.scanWindow) : head;
      const rows = this.log.forwards(after, upTo, filter, this.pageSize, density.access);
      const { events, failure } = this.decode(rows);
      if (failure) return { events, scannedTo: undefined, reachedHead: false, failure };
      const scanned = rows.length === this.pageSize ? rows[rows.length - 1]![0] : upTo;
      density.observe(rows.length, scanned - after);
      return { events, scannedTo: sequencePosition(scanned), reachedHead: scanned >= head };
    });
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): Subscription {
    this.ensureOpen();
    const filter = normalizeFilter(options.filter);
    const density = new FilterDensity();
    return catchUpSubscription(
      {
        readPage: (after) => this.readPage(after ? Number(after.commit) : 0, filter, density),
        waitForAppend: (after, signal) => this.waitForAppend(after ? Number(after.commit) : 0, signal),
      },
      options.after,
    );
  }

  /**
   * Resolves once the head has moved past `after`: at once for appends made through this store,
   * otherwise on a poll of the head position (one index lookup) every `pollIntervalMs`, which is how
   * appends by other processes are seen. Never busy-loops.
   */
  private async waitForAppend(after: number, signal: AbortSignal): Promise<void> {
    while (!signal.aborted && !this.closed) {
      if ((this.run('poll the head position', () => this.statements.head.get()) ?? 0) > after) return;
      await this.notifier.wait(signal, this.pollIntervalMs);
    }
  }

  async headPosition(): Promise<Position | undefined> {
    this.ensureOpen();
    const head = this.run('read the head position', () => this.statements.head.get()) ?? null;
    return head === null ? undefined : sequencePosition(head);
  }

  async *listStreams(options: { prefix?: string; limit?: number } = {}): AsyncIterable<StreamInfo> {
    this.ensureOpen();
    const prefix = options.prefix ?? '';
    let remaining = options.limit ?? Infinity;
    let after = '';
    while (remaining > 0) {
      const limit = Math.min(this.pageSize, remaining);
      const rows = this.run('list streams', () =>
        this.statements.listStreams.all(after, prefix, prefix, limit),
      );
      for (const row of rows) yield { streamId: row.stream_id, revision: BigInt(row.revision) };
      remaining -= rows.length;
      if (rows.length < limit) return;
      after = rows[rows.length - 1]!.stream_id;
    }
  }

  async countEvents(options: { after?: Position; filter?: EventFilter } = {}): Promise<number> {
    this.ensureOpen();
    const after = options.after ? Number(options.after.commit) : 0;
    const filter = normalizeFilter(options.filter);
    const types = filter?.eventTypes ?? [];
    const prefixes = filter?.streamPrefixes ?? [];
    const clauses = [
      ...(types.length ? [`type IN (${types.map(() => '?').join(', ')})`] : []),
      ...prefixes.map(() => 'substr(stream_id, 1, length(?)) = ?'),
    ];
    const sql =
      'SELECT COUNT(*) AS n FROM rewind_events WHERE position > ?' +
      (clauses.length ? ` AND (${clauses.join(' OR ')})` : '');
    const params: (string | number)[] = [after, ...types, ...prefixes.flatMap((p) => [p, p])];
    return this.run('count events', () => (this.db.prepare(sql).get(...params) as { n: number }).n);
  }

  /** Reads a stream's last revision (undefined when it does not exist), e.g. for tools. */
  streamRevision(streamId: string): bigint | undefined {
    this.ensureOpen();
    const row = this.run('read a stream revision', () => this.statements.streamRevision.get(streamId));
    return row ? BigInt(row.revision) : undefined;
  }

  /** Commits the appends still queued, ends live subscriptions' waits, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.commits.flush();
    this.closed = true;
    for (const reader of this.readers) void reader.terminate();
    this.notifier.notify();
    this.db.close();
  }

  /** Rows to events, up to the first that cannot be decoded (see {@link DecodedPage}). */
  private decode(rows: readonly EventRow[]): DecodedPage {
    return decodeRows(rows);
  }

  /**
   * A read-ahead page to events. When one of its rows is not JSON, the page's rows are read again on
   * this thread and decoded one by one, so the error names that row and the rows before it still count.
   */
  private decodePacked(page: PackedPage, filter: EventFilter | undefined): DecodedPage {
    try {
      return { events: fromPackedPage(page) };
    } catch {
      const { first, last } = packedRange(page);
      const count = page.numbers.length / 4;
      const rows = this.run('read $all', () => this.log.forwards(first - 1, last, filter, count, 'index'));
      return this.decode(rows);
    }
  }

  private ensureOpen(): void {
    if (this.closed) {
      throw new StoreUnavailableError(
        `The SQLite event store "${this.path}" is closed. Open it again with SqliteEventStore.open().`,
      );
    }
  }

  private run<T>(action: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw mapSqliteError(error, this.path, action);
    }
  }
}

/** A decoded page's events (when there are any), then its failure: the events before a bad row count. */
function* delivered(page: DecodedPage): Generator<RecordedEvent[]> {
  if (page.events.length > 0) yield page.events;
  if (page.failure) throw page.failure;
}
