import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { ProjectionError, StoreUnavailableError, type Position } from '@rewind/core';
import {
  checkCollectionName,
  checkDroppable,
  checkNamespace,
  NamespaceNotFoundError,
  TransactionQueue,
  type CollectionReader,
  type DeadLetter,
  type Document,
  type NamespaceInfo,
  type ReadModelStore,
  type ReadModelTransaction,
} from '@rewind/projections';
import { mapSqliteError } from '../eventStore/sqliteErrors';
import { checkReadModelFile } from '../fileOwnership';
import { DocumentCache } from './documentCache';
import {
  prepareReadModelStatements,
  READ_MODEL_TABLES,
  toDeadLetter,
  type ReadModelStatements,
} from './readModelStatements';
import { documentReader } from './sqliteDocuments';
import { SqliteTransaction } from './sqliteTransaction';

/** Options for {@link SqliteReadModelStore.open}. */
export interface SqliteReadModelStoreOptions {
  /** The database file (its directory must exist). Keep it apart from the event store's file. */
  readonly path: string;
  /** `'normal'` (default for read models: they can always be rebuilt from the log) or `'full'`. */
  readonly synchronous?: 'full' | 'normal';
  readonly busyTimeoutMs?: number;
  /**
   * Bytes of document text kept in memory for reads inside transactions (default 32 MiB; 0 turns the
   * cache off). A projector reads a document before it writes it; with the cache that read costs a
   * `Map` lookup instead of a SQLite query. The cache is dropped whenever anyone else wrote to the
   * file (another connection or process, or your own SQL through `database`/`tx.native`), so reads
   * never see less than they would without it.
   */
  readonly documentCacheBytes?: number;
}

/**
 * Read models in a SQLite file: the embedded default. Documents are JSON text keyed by (namespace,
 * collection, key); a batch's writes are buffered and written at commit together with the checkpoint,
 * in one `BEGIN IMMEDIATE` transaction, so a crash loses or duplicates nothing. Several processes may
 * share the file (SQLite's write lock serializes them; the projection lock keeps one runner active).
 * Handlers cannot run raw SQL inside a batch (`tx.native` throws): they run before the write
 * transaction begins.
 *
 * @example
 * const store = SqliteReadModelStore.open({ path: '.data/readmodels.db' });
 */
export class SqliteReadModelStore implements ReadModelStore {
  readonly path: string;
  /** @internal */
  readonly db: Database.Database;
  /** @internal */
  readonly statements: ReadModelStatements;
  /** @internal documents as last read or committed through this store, validated per transaction. */
  readonly cache: DocumentCache;
  /** @internal transactions run one at a time; the ones waiting end a long catch-up window early. */
  readonly queue = new TransactionQueue();
  /** Rows this connection changed outside documents (lock leases), left out of the change signature. */
  private leaseChanges = 0;

  private constructor(options: SqliteReadModelStoreOptions) {
    this.path = resolve(options.path);
    if (!existsSync(dirname(this.path))) {
      throw new StoreUnavailableError(
        `Cannot open the SQLite read-model store "${this.path}": the directory "${dirname(this.path)}" does not exist. Create it first.`,
      );
    }
    try {
      this.db = new Database(this.path, { timeout: options.busyTimeoutMs ?? 5000 });
    } catch (error) {
      throw mapSqliteError(error, this.path, 'open it', 'read-model store');
    }
    try {
      // Nothing is written (not even the switch to WAL) before the file is known to be one for read models.
      checkReadModelFile(this.db, this.path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      this.db.exec(READ_MODEL_TABLES);
    } catch (error) {
      this.db.close();
      throw mapSqliteError(error, this.path, 'open it', 'read-model store');
    }
    this.cache = new DocumentCache(options.documentCacheBytes ?? 32 * 2 ** 20);
    this.statements = prepareReadModelStatements(this.db);
  }

  /**
   * Opens (creating if needed) a read-model store file.
   * @throws StoreUnavailableError when the directory is missing, or the file is unreadable, corrupt
   * or another application's (refused before anything is written to it).
   */
  static open(options: SqliteReadModelStoreOptions | string): SqliteReadModelStore {
    return new SqliteReadModelStore(typeof options === 'string' ? { path: options } : options);
  }

  /**
   * The better-sqlite3 connection, for your own SQL outside projection handlers (reports, indexes).
   * Writes made through it are noticed (SQLite's change counter) and drop the document cache.
   */
  get database(): Database.Database {
    return this.db;
  }

  transaction<T>(namespace: string, work: (tx: ReadModelTransaction) => Promise<T>): Promise<T> {
    try {
      checkNamespace(namespace);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.queue.run(async () => {
      // The work (handlers) runs without SQLite's write lock: other processes keep writing and reading.
      // The commit takes the lock briefly, re-checks what the work relied on, and writes everything.
      this.exec('read the change counters', () => this.cache.validate(this.signature()));
      const tx = new SqliteTransaction(namespace, this);
      const result = await work(tx);
      if (!tx.writesSomething) return result; // a read-only transaction: nothing to commit or re-check
      const signature = this.exec('commit', () =>
        this.db
          .transaction(() => {
            // Holding the write lock: nobody else can commit until this one has, so what the cache
            // holds is known to match the file once this transaction's own writes are laid over it.
            this.cache.validate(this.signature());
            tx.commit();
            return this.signature();
          })
          .immediate(),
      );
      tx.committed(this.cache, signature);
      return result;
    });
  }

  collection<D extends object = Document>(namespace: string, name: string): CollectionReader<D> {
    checkNamespace(namespace);
    checkCollectionName(name);
    return documentReader<D>(this, namespace, name, undefined);
  }

  async getCheckpoint(namespace: string): Promise<Position | undefined> {
    checkNamespace(namespace);
    const row = this.exec('read a checkpoint', () => this.statements.getCheckpoint.get(namespace));
    return row ? { commit: BigInt(row.commit_pos), prepare: BigInt(row.prepare_pos) } : undefined;
  }

  async listCollections(namespace: string): Promise<string[]> {
    return this.exec('list collections', () =>
      this.statements.collections.all(namespace).map((r) => r.collection),
    );
  }

  async servedNamespace(projection: string): Promise<string | undefined> {
    return this.exec('read the served namespace', () => this.statements.getServed.get(projection)?.namespace);
  }

  async listNamespaces(): Promise<NamespaceInfo[]> {
    return this.exec('list namespaces', () => {
      const counts = this.db
        .prepare('SELECT namespace, COUNT(*) AS n FROM rm_documents GROUP BY namespace')
        .all() as { namespace: string; n: number }[];
      const checkpoints = this.db
        .prepare('SELECT namespace, commit_pos, prepare_pos FROM rm_checkpoints')
        .all() as { namespace: string; commit_pos: string; prepare_pos: string }[];
      const served = this.db.prepare('SELECT projection, namespace FROM rm_served').all() as {
        projection: string;
        namespace: string;
      }[];
      const names = new Set([
        ...counts.map((c) => c.namespace),
        ...checkpoints.map((c) => c.namespace),
        ...served.map((s) => s.namespace),
      ]);
      return [...names].sort().map((namespace) => {
        const checkpoint = checkpoints.find((c) => c.namespace === namespace);
        const servedFor = served.find((s) => s.namespace === namespace)?.projection;
        return {
          namespace,
          checkpoint: checkpoint
            ? { commit: BigInt(checkpoint.commit_pos), prepare: BigInt(checkpoint.prepare_pos) }
            : undefined,
          ...(servedFor ? { servedFor } : {}),
          documents: counts.find((c) => c.namespace === namespace)?.n ?? 0,
        };
      });
    });
  }

  async dropNamespace(namespace: string): Promise<void> {
    checkNamespace(namespace);
    checkDroppable(namespace);
    const s = this.statements;
    const drop = this.db.transaction(() => {
      const served = s.servedBy.get(namespace);
      if (served) {
        throw new ProjectionError(
          served.projection,
          `Namespace "${namespace}" is served for projection "${served.projection}"; serve another one before dropping it.`,
        );
      }
      if (!s.namespaceExists.get(namespace, namespace, namespace))
        throw new NamespaceNotFoundError(namespace);
      s.dropDocuments.run(namespace);
      s.dropCheckpoint.run(namespace);
      s.dropLetters.run(namespace);
    });
    // In the transaction queue, so no transaction of this store is half-way through the namespace.
    await this.queue.run(() => {
      this.exec(`drop the namespace "${namespace}"`, () => drop.immediate());
      this.cache.forget(namespace);
    });
  }

  async listDeadLetters(namespace?: string): Promise<DeadLetter[]> {
    const rows = this.exec('list dead letters', () =>
      namespace === undefined ? this.statements.letters.all() : this.statements.lettersIn.all(namespace),
    );
    return rows.map(toDeadLetter);
  }

  async tryAcquireLock(lock: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    return this.exec('take a lock', () => {
      const taken = this.statements.takeLock.get(lock, owner, now + ttlMs, now)?.owner === owner;
      if (taken) this.leaseChanges++;
      return taken;
    });
  }

  async releaseLock(lock: string, owner: string): Promise<void> {
    this.exec('release a lock', () => {
      this.leaseChanges += this.statements.releaseLock.run(lock, owner).changes;
    });
  }

  async lockHolder(lock: string): Promise<{ owner: string; expiresAt: Date } | undefined> {
    const row = this.exec('read a lock', () => this.statements.lock.get(lock));
    return row && row.expires_at > Date.now()
      ? { owner: row.owner, expiresAt: new Date(row.expires_at) }
      : undefined;
  }

  async close(): Promise<void> {
    await this.queue.drained();
    if (this.db.open) this.db.close();
  }

  /**
   * What changed the file since the cache was filled: commits by other connections (data_version)
   * and rows changed by this one, lock leases aside (total_changes).
   */
  private signature(): string {
    const [dataVersion, changes] = this.statements.changeCounters.get()!;
    return `${dataVersion}/${changes - this.leaseChanges}`;
  }

  /** @internal runs `fn`, translating SQLite's errors (naming this store and `action`). */
  exec<T>(action: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw mapSqliteError(error, this.path, action, 'read-model store');
    }
  }
}
