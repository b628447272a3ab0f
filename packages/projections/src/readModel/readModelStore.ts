import type { EventStore, Position, RecordedEvent } from '@rewind/core';
import type { Increments } from './incrementDocument';

/** A JSON document in a read-model collection. */
export type Document = Record<string, unknown>;

/** A comparison on one field. */
export interface FieldCondition {
  readonly $eq?: unknown;
  readonly $ne?: unknown;
  readonly $gt?: number | string;
  readonly $gte?: number | string;
  readonly $lt?: number | string;
  readonly $lte?: number | string;
  readonly $in?: readonly unknown[];
}

/**
 * A simple filter: field path (dots for nesting, e.g. `'customer.city'`) → value (equality) or a
 * {@link FieldCondition}. All conditions must hold. Field paths are validated and values are always
 * passed as parameters: nothing in a filter ever reaches SQL as code.
 *
 * Values are JSON scalars (string, finite number, boolean, null) and never match across types (`1` is
 * not `"1"`); `null` matches a null or missing field; `$ne` matches everything else, missing fields
 * included; range operators take a string or number and match fields of that type only, strings by
 * code unit; `$in: []` matches nothing. `describeReadModelStoreContract` pins all of this down.
 */
export type Filter = Readonly<Record<string, unknown>>;

/** Options for {@link Collection.find}. */
export interface FindOptions {
  readonly limit?: number;
  /**
   * Field path to sort by; ascending unless `direction` says otherwise. Default: by key. Numbers sort
   * numerically, strings by code unit; documents without the field come last in either direction;
   * ties are broken by key, ascending.
   */
  readonly orderBy?: string;
  readonly direction?: 'asc' | 'desc';
}

/** A document and its key. */
export interface Keyed<D extends object = Document> {
  readonly key: string;
  readonly doc: D;
}

/** Read access to one collection. */
export interface CollectionReader<D extends object = Document> {
  get(key: string): Promise<D | undefined>;
  find(filter?: Filter, options?: FindOptions): Promise<Keyed<D>[]>;
  count(filter?: Filter): Promise<number>;
}

/**
 * A collection inside a transaction. Documents are JSON: what `put` stores is a copy (later changes to
 * the object given have no effect), and documents returned are read-only snapshots (deeply frozen in
 * the in-memory store, fresh copies elsewhere): build a new object and `put` it, or `patch` fields.
 */
export interface Collection<D extends object = Document> extends CollectionReader<D> {
  put(key: string, doc: D): Promise<void>;
  /** Shallow-merges fields into an existing document; creates it from the fields when missing. */
  patch(key: string, fields: Partial<D>): Promise<void>;
  /**
   * Adds numbers to top-level numeric fields (`{ sold: 1, revenue: 2500 }`), creating the document
   * from the deltas when it is missing; a missing or null field counts as 0, other fields are kept.
   * The counter of a read-modify-write projection without the read: stores that can apply it in the
   * database (PostgreSQL) do not fetch the document at all.
   * @throws ValidationError for deltas that are not finite numbers; the increment (or the transaction's
   * commit, where the store applies it there) fails when a field holds something other than a number.
   */
  increment(key: string, deltas: Increments): Promise<void>;
  delete(key: string): Promise<void>;
}

/** A read model as it is stored: a namespace holds one build of one projection. */
export interface NamespaceInfo {
  readonly namespace: string;
  /** Position up to which the namespace reflects the log (undefined: nothing applied yet). */
  readonly checkpoint: Position | undefined;
  /** The projection this namespace is served for, if it is the served one. */
  readonly servedFor?: string;
  readonly documents: number;
}

/** An event a projector could not apply, parked so the runner could go on. */
export interface DeadLetter {
  readonly id: string;
  readonly namespace: string;
  readonly projection: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly streamId: string;
  readonly revision: bigint;
  readonly position: Position;
  readonly error: string;
  readonly attempts: number;
  readonly parkedAt: Date;
}

/** The work done in one read-model transaction: documents, checkpoint, served pointer, dead letters. */
export interface ReadModelTransaction {
  readonly namespace: string;
  collection<D extends object = Document>(name: string): Collection<D>;
  /**
   * The namespace's checkpoint, as committed (or as set earlier in this transaction). Given another
   * namespace, that one's committed checkpoint, which then cannot change before this transaction
   * commits (the store locks it or re-checks it at commit, failing the transaction): a rebuild reads
   * the served model's checkpoint and swaps in the same transaction.
   */
  getCheckpoint(namespace?: string): Promise<Position | undefined>;
  /** Moves the namespace's checkpoint; commits together with the documents. */
  setCheckpoint(position: Position): Promise<void>;
  /** Which namespace a projection is served from. */
  getServed(projection: string): Promise<string | undefined>;
  /** Serves a projection from another namespace: readers see the switch when this commits. */
  setServed(projection: string, namespace: string): Promise<void>;
  parkDeadLetter(letter: Omit<DeadLetter, 'id' | 'namespace' | 'parkedAt'>): Promise<void>;
  removeDeadLetter(id: string): Promise<void>;
  /** A retry of a parked event failed again: counts the attempt and keeps the newest error. */
  recordDeadLetterAttempt(id: string, error: string): Promise<void>;
  /**
   * Fencing: throws {@link LockLostError} when `owner` no longer holds `lock`, so a runner whose
   * lease expired can never commit over its successor. The check must hold until the commit: a store
   * with concurrent writers keeps the lock row locked for the rest of the transaction (e.g.
   * `SELECT ... FOR UPDATE` in PostgreSQL; SQLite's write transaction already excludes other writers),
   * so a takeover cannot commit in between.
   */
  assertLock(lock: string, owner: string): Promise<void>;
  /**
   * The store's native handle inside this transaction, for raw SQL that must commit or roll back with
   * it (PostgreSQL: the transaction's `pg` client). A store that cannot make raw SQL part of the
   * transaction throws a `ProjectionError` here instead of handing out a handle whose writes would
   * escape it (SQLite: handlers run before its write transaction begins). The in-memory store has none.
   */
  readonly native: unknown;
  /**
   * Optional: how much this transaction holds and holds up — what a catch-up window (one transaction
   * that many batches are applied into) reads to decide whether to go on past `catchUpCommitMs`.
   * Stores that run one transaction at a time give it (SQLite, in memory, with a
   * a `TransactionQueue`); without it a window always commits at `catchUpCommitMs`.
   */
  pressure?(): TransactionPressure;
}

/** See {@link ReadModelTransaction.pressure}. */
export interface TransactionPressure {
  /** Documents the transaction would write (or delete) if it committed now. */
  readonly pendingDocuments: number;
  /** Transactions of the same store waiting for this one to end. */
  readonly waitingTransactions: number;
}

/**
 * A projection applied inline — in the transaction of the append that wrote its events — as the engine
 * hands it to a store that can share that transaction (`PostgresReadModelStore` with the
 * `PostgresEventStore` in the same database).
 */
export interface InlineProjection {
  readonly name: string;
  readonly version: number;
  /** The event types its handlers take. */
  readonly eventTypes: readonly string[];
  /**
   * Applies events through the projection's handlers in `tx` (not a replay).
   * @throws InlineHandlerFailure naming the event whose handler threw.
   */
  apply(tx: ReadModelTransaction, events: readonly RecordedEvent[]): Promise<void>;
}

/** An inline projection's handler threw on `event`; `original` is what it threw. */
export class InlineHandlerFailure extends Error {
  constructor(
    readonly event: RecordedEvent,
    readonly original: unknown,
  ) {
    super(`handler failed on ${event.type} at ${event.streamId}@${event.revision}`);
  }
}

/** Reads events of `types` after a position (from the start when undefined), in log order, at most `limit`. */
export type InlineLogReader = (
  after: Position | undefined,
  types: readonly string[],
  limit: number,
) => Promise<RecordedEvent[]>;

/** What {@link ReadModelStore.attachInline} is given. */
export interface InlineAttachRequest {
  readonly eventStore: EventStore;
  /** Projections to apply inline from now on, in every process that appends their events. */
  readonly inline: readonly InlineProjection[];
  /** Projections this engine runs asynchronously: applied inline no more, anywhere. */
  readonly asynchronous: readonly string[];
}

/**
 * The port read-model stores implement: in-memory (tests), SQLite (embedded), PostgreSQL. Every store
 * passes `describeReadModelStoreContract` from `@rewind/testing`.
 */
export interface ReadModelStore {
  /**
   * Runs `work` in one transaction in `namespace`; commits when it resolves, rolls back when it throws.
   * Transactions on one store are serialized.
   */
  transaction<T>(namespace: string, work: (tx: ReadModelTransaction) => Promise<T>): Promise<T>;
  /** Reads a namespace outside the runner (queries, tools). */
  collection<D extends object = Document>(namespace: string, name: string): CollectionReader<D>;
  /** A namespace's committed checkpoint, read outside any transaction (status, tools). */
  getCheckpoint(namespace: string): Promise<Position | undefined>;
  listCollections(namespace: string): Promise<string[]>;
  /** The namespace a projection is served from. */
  servedNamespace(projection: string): Promise<string | undefined>;
  listNamespaces(): Promise<NamespaceInfo[]>;
  /**
   * Deletes a namespace — documents, checkpoint, dead letters — in one transaction.
   * @throws ProjectionError while it is served, and for the system namespace (`rewind_system`).
   * @throws NamespaceNotFoundError when it holds nothing.
   */
  dropNamespace(namespace: string): Promise<void>;
  listDeadLetters(namespace?: string): Promise<DeadLetter[]>;
  /** Takes or renews a lease; false when another owner holds an unexpired one. */
  tryAcquireLock(lock: string, owner: string, ttlMs: number): Promise<boolean>;
  releaseLock(lock: string, owner: string): Promise<void>;
  /** Who holds a lock now, if anyone. */
  lockHolder(lock: string): Promise<{ owner: string; expiresAt: Date } | undefined>;
  /**
   * Optional: applies projections inline, in the append's transaction (stores that can share it with
   * the event store implement it), after catching each one up with the log.
   * @throws ConfigurationError when the event store is not one this store can share a transaction with.
   */
  attachInline?(request: InlineAttachRequest): Promise<void>;
  /**
   * Optional, with {@link attachInline}: makes `tx` wait for, then exclude, the appends that apply
   * inline projection `projection` (a rebuild's swap holds it, so no inline write lands in the old
   * namespace after the swap, nor goes missing from the new one).
   * @returns a reader of the log on `tx`'s own connection that sees every committed event of the
   * projection (a transaction that holds the lock must not wait for another connection: the appends
   * it holds off may hold every connection a pooler has).
   */
  lockInline?(tx: ReadModelTransaction, eventStore: EventStore, projection: string): Promise<InlineLogReader>;
  close(): Promise<void>;
}
