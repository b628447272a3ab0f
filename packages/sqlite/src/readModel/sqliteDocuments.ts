import {
  checkKey,
  cloneJson,
  compareFound,
  matchesConditions,
  parseFilter,
  parseFindOptions,
  type CollectionReader,
  type Document,
  type Filter,
  type FindOptions,
  type Keyed,
  type TransactionQueue,
} from '@rewind/projections';
import type Database from 'better-sqlite3';
import type { CachedDocument, DocumentCache } from './documentCache';
import { findSql } from './filterSql';
import type { ReadModelStatements } from './readModelStatements';

/** A buffered deletion in a transaction. */
export const DELETED = Symbol('deleted');

/** A transaction's pending writes of one collection: a private JSON copy of each document, or a deletion. */
export type PendingWrites = ReadonlyMap<string, Document | typeof DELETED>;

/** What readers need of the store. @internal */
export interface SqliteReadContext {
  readonly db: Database.Database;
  readonly statements: ReadModelStatements;
  readonly cache: DocumentCache;
  /** The store's transactions, run one at a time. */
  readonly queue: TransactionQueue;
  exec<T>(action: string, fn: () => T): T;
}

/** What readers need of a transaction, when they read inside one. @internal */
export interface TransactionView {
  buffered(collection: string, key: string): Document | typeof DELETED | undefined;
  pending(collection: string): PendingWrites | undefined;
  /** The store's cached documents of a collection of this namespace (null: no such document). */
  cached(collection: string): Map<string, CachedDocument | null>;
}

/**
 * A reader of one collection. Outside a transaction it reads committed documents; inside one it sees
 * the transaction's own buffered writes first, and reads documents through the store's cache.
 * @internal
 */
export function documentReader<D extends object>(
  store: SqliteReadContext,
  namespace: string,
  name: string,
  tx: TransactionView | undefined,
): CollectionReader<D> {
  const read = (key: string) =>
    store.exec('read a document', () => store.statements.get.get(namespace, name, key));
  return {
    get: async (key) => {
      checkKey(key);
      if (!tx) {
        const json = read(key);
        return json === undefined ? undefined : (JSON.parse(json) as D);
      }
      // Buffered and cached documents are private: the handler gets a copy to do with as it likes.
      const buffered = tx.buffered(name, key);
      if (buffered === DELETED) return undefined;
      if (buffered !== undefined) return cloneJson(buffered) as D;
      const cached = tx.cached(name);
      let entry = cached.get(key);
      if (entry === undefined) {
        const json = read(key);
        entry = json === undefined ? null : { doc: JSON.parse(json) as Document, size: json.length };
        store.cache.set(cached, key, entry);
      }
      return entry === null ? undefined : (cloneJson(entry.doc) as D);
    },
    find: async (filter = {}, options = {}) =>
      findDocuments<D>(store, namespace, name, filter, options, tx?.pending(name)),
    count: async (filter = {}) => findDocuments(store, namespace, name, filter, {}, tx?.pending(name)).length,
  };
}

/** Runs a find: in SQL, with a transaction's own pending writes laid over the committed documents. */
function findDocuments<D extends object>(
  store: SqliteReadContext,
  namespace: string,
  name: string,
  filter: Filter,
  options: FindOptions,
  pending?: PendingWrites,
): Keyed<D>[] {
  const conditions = parseFilter(filter);
  const { orderBy, descending, limit } = parseFindOptions(options);
  if (pending && pending.size > 0) {
    const merged = findDocuments<D>(store, namespace, name, filter, { ...options, limit: undefined }).filter(
      (e) => !pending.has(e.key),
    );
    for (const [key, pendingDoc] of pending) {
      if (pendingDoc === DELETED) continue;
      if (matchesConditions(pendingDoc, conditions)) merged.push({ key, doc: cloneJson(pendingDoc) as D });
    }
    merged.sort(compareFound(orderBy, descending));
    return limit === undefined ? merged : merged.slice(0, limit);
  }
  const { sql, params, rest } = findSql(namespace, name, conditions, orderBy, descending, limit);
  const rows = store.exec(
    'find documents',
    () => store.db.prepare(sql).all(...params) as { key: string; doc: string }[],
  );
  const out: Keyed<D>[] = [];
  for (const row of rows) {
    if (limit !== undefined && out.length >= limit) break;
    const doc = JSON.parse(row.doc) as D;
    if (rest.length && !matchesConditions(doc, rest)) continue;
    out.push({ key: row.key, doc });
  }
  return out;
}
