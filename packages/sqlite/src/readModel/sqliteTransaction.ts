import { ProjectionError, type Position } from '@rewind/core';
import {
  BufferedBookkeeping,
  checkCollectionName,
  checkIncrements,
  checkKey,
  checkNamespace,
  incrementDocument,
  jsonCopy,
  LockLostError,
  overwriteFlat,
  TransactionConflictError,
  type Collection,
  type Document,
  type ReadModelTransaction,
  type TransactionPressure,
} from '@rewind/projections';
import type { CachedDocument, DocumentCache } from './documentCache';
import { DELETED, documentReader, type SqliteReadContext, type TransactionView } from './sqliteDocuments';

/**
 * One read-model transaction on SQLite. The work (the handlers) runs first, without SQLite's write
 * lock, buffering every write; {@link commit} then runs inside `BEGIN IMMEDIATE`: it re-checks what the
 * work read (locks, checkpoints, served pointers) and writes everything at once.
 * @internal
 */
export class SqliteTransaction extends BufferedBookkeeping implements ReadModelTransaction, TransactionView {
  private readonly writes = new Map<string, Map<string, Document | typeof DELETED>>();
  private readonly collections = new Map<string, Collection<Document>>();
  private readonly cachedCollections = new Map<string, Map<string, CachedDocument | null>>();
  /** The length of each text {@link commit} wrote, in the order of `writes` (-1: a deletion). */
  private writtenSizes: number[] = [];
  /** Checkpoints the work read (re-checked at commit), by namespace; null = none. */
  private readonly checkpointReads = new Map<string, string | null>();
  private readonly servedReads = new Map<string, string | null>();
  private readonly locks: Array<[string, string]> = [];

  constructor(
    namespace: string,
    private readonly store: SqliteReadContext,
  ) {
    super(namespace);
  }

  /**
   * Not available: the handlers run before SQLite's write transaction begins, so raw SQL here would
   * commit on its own, outside the batch. Use `tx.collection(...)`, or the PostgreSQL read-model store
   * for raw SQL inside the transaction.
   * @throws ProjectionError always.
   */
  get native(): never {
    throw new ProjectionError(
      this.namespace,
      'tx.native is not available on the SQLite read-model store: handlers run before its write ' +
        'transaction begins, so raw SQL would commit on its own, outside the batch (and stay when the ' +
        'batch rolls back). Use tx.collection(...) — its writes commit with the checkpoint —, ' +
        'store.database for your own SQL outside handlers, or the PostgreSQL read-model store, whose ' +
        'tx.native runs inside the transaction.',
    );
  }

  pressure(): TransactionPressure {
    let pendingDocuments = 0;
    for (const writes of this.writes.values()) pendingDocuments += writes.size;
    return { pendingDocuments, waitingTransactions: this.store.queue.waiting };
  }

  buffered(collection: string, key: string): Document | typeof DELETED | undefined {
    return this.writes.get(collection)?.get(key);
  }

  pending(collection: string): ReadonlyMap<string, Document | typeof DELETED> | undefined {
    return this.writes.get(collection);
  }

  cached(collection: string): Map<string, CachedDocument | null> {
    let entries = this.cachedCollections.get(collection);
    if (!entries) {
      entries = this.store.cache.collection(this.namespace, collection);
      this.cachedCollections.set(collection, entries);
    }
    return entries;
  }

  collection<D extends object = Document>(name: string): Collection<D> {
    const existing = this.collections.get(name);
    if (existing) return existing as unknown as Collection<D>;
    checkCollectionName(name);
    let buffer = this.writes.get(name);
    if (!buffer) this.writes.set(name, (buffer = new Map()));
    const writes = buffer;
    const base = documentReader<D>(this.store, this.namespace, name, this);
    const collection: Collection<D> = {
      ...base,
      // Kept as private JSON copies (the text is made once, at commit): what JSON.stringify would
      // refuse (a bigint, a cycle) fails the put, in the handler, as it always did.
      put: async (key, doc) => {
        checkKey(key);
        const previous = writes.get(key);
        if (previous === undefined || previous === DELETED) {
          writes.set(key, jsonCopy(doc) as Document);
        } else if (!overwriteFlat(previous, doc)) {
          const copy = jsonCopy(doc) as Document;
          if (!overwrite(previous, copy)) writes.set(key, copy);
        }
      },
      patch: async (key, fields) => {
        checkKey(key);
        const current = (await base.get(key)) ?? {};
        writes.set(key, jsonCopy({ ...current, ...fields }) as Document);
      },
      increment: async (key, deltas) => {
        checkKey(key);
        checkIncrements(deltas);
        const current = (await base.get(key)) as Document | undefined;
        writes.set(key, jsonCopy(incrementDocument(current, deltas, key)) as Document);
      },
      delete: async (key) => {
        checkKey(key);
        writes.set(key, DELETED);
      },
    };
    this.collections.set(name, collection as unknown as Collection<Document>);
    return collection;
  }

  private readCheckpoint(namespace: string): string | null {
    const row = this.store.statements.getCheckpoint.get(namespace);
    return row ? `${row.commit_pos}/${row.prepare_pos}` : null;
  }

  async getCheckpoint(namespace: string = this.namespace): Promise<Position | undefined> {
    if (namespace === this.namespace && this.checkpoint) return this.checkpoint;
    checkNamespace(namespace);
    const read = this.store.exec('read a checkpoint', () => this.readCheckpoint(namespace));
    if (!this.checkpointReads.has(namespace)) this.checkpointReads.set(namespace, read);
    if (read === null) return undefined;
    const [commit, prepare] = read.split('/');
    return { commit: BigInt(commit!), prepare: BigInt(prepare!) };
  }

  async getServed(projection: string): Promise<string | undefined> {
    const buffered = this.served.get(projection);
    if (buffered) return buffered;
    const read = this.store.exec(
      'read the served namespace',
      () => this.store.statements.getServed.get(projection)?.namespace ?? null,
    );
    if (!this.servedReads.has(projection)) this.servedReads.set(projection, read);
    return read ?? undefined;
  }

  async assertLock(lock: string, owner: string): Promise<void> {
    this.checkLock(lock, owner);
    this.locks.push([lock, owner]);
  }

  private checkLock(lock: string, owner: string): void {
    const row = this.store.statements.lock.get(lock);
    if (!row || row.owner !== owner || row.expires_at <= Date.now()) throw new LockLostError(lock, owner);
  }

  /** True when committing would write something (a read-only transaction commits nothing and checks nothing). */
  get writesSomething(): boolean {
    for (const writes of this.writes.values()) if (writes.size > 0) return true;
    return this.bookkeepingPending;
  }

  /**
   * Runs inside BEGIN IMMEDIATE: re-checks the locks asserted and what the work read (checkpoints,
   * served pointers), then writes documents, checkpoint, pointers and dead letters.
   * @throws LockLostError, or TransactionConflictError when another writer changed what the work
   * relied on (nothing is written).
   */
  commit(): void {
    const s = this.store.statements;
    for (const [lock, owner] of this.locks) this.checkLock(lock, owner);
    for (const [namespace, read] of this.checkpointReads) {
      if (this.readCheckpoint(namespace) !== read) {
        throw new TransactionConflictError(
          namespace,
          `Another writer moved the checkpoint of namespace "${namespace}" while this transaction (in "${this.namespace}") ran; nothing was written. Retry with the new checkpoint.`,
        );
      }
    }
    for (const [projection, expected] of this.servedReads) {
      if ((s.getServed.get(projection)?.namespace ?? null) !== expected) {
        throw new TransactionConflictError(
          projection,
          `The served namespace of "${projection}" changed while this transaction (in "${this.namespace}") ran; nothing was written. Retry with the new one.`,
        );
      }
    }
    const sizes: number[] = [];
    for (const [collection, writes] of this.writes) {
      for (const [key, doc] of writes) {
        if (doc === DELETED) {
          s.delete.run(this.namespace, collection, key);
          sizes.push(-1);
        } else {
          const json = JSON.stringify(doc);
          s.put.run(this.namespace, collection, key, json);
          sizes.push(json.length);
        }
      }
    }
    this.writtenSizes = sizes;
    if (this.checkpoint)
      s.setCheckpoint.run(
        this.namespace,
        this.checkpoint.commit.toString(),
        this.checkpoint.prepare.toString(),
      );
    for (const [projection, namespace] of this.served) s.setServed.run(projection, namespace);
    for (const letter of this.parked) {
      s.park.run(
        letter.id,
        this.namespace,
        letter.projection,
        letter.eventId,
        letter.eventType,
        letter.streamId,
        letter.revision.toString(),
        letter.position.commit.toString(),
        letter.position.prepare.toString(),
        letter.error,
        letter.attempts,
        letter.parkedAt.getTime(),
      );
    }
    for (const id of this.removed) s.unpark.run(id);
    for (const [id, error] of this.retried) s.retried.run(error, id);
  }

  /** After a successful commit: what this transaction wrote is what the file now holds. */
  committed(cache: DocumentCache, signature: string): void {
    const sizes = this.writtenSizes;
    let i = 0;
    for (const [collection, writes] of this.writes) {
      if (writes.size === 0) continue;
      const entries = cache.collection(this.namespace, collection);
      for (const [key, doc] of writes) {
        const size = sizes[i++]!;
        cache.committed(entries, key, doc === DELETED ? null : doc, size);
      }
    }
    cache.validated(signature);
  }
}

/**
 * Writes `next`'s fields over `buffered` when both are plain objects with the same fields in the same
 * order (a handler putting a document again with new values, the usual case), and says whether it did.
 * The buffered copy is private to the transaction (readers get copies of it), so changing it is
 * unobservable; keeping it rather than buffering `next` means a document put many times in a long
 * transaction is one long-lived object, not a new one per put that survives young collections only
 * to die in the old generation. `next` is the put's private copy, discarded afterwards.
 */
function overwrite(buffered: Document, next: Document): boolean {
  if (Array.isArray(buffered) || Array.isArray(next)) return false;
  const fields = Object.keys(next);
  let i = 0;
  for (const field in buffered) {
    if (fields[i] !== field || field === '__proto__') return false;
    i++;
  }
  if (i !== fields.length) return false;
  for (const field of fields) buffered[field] = next[field];
  return true;
}
