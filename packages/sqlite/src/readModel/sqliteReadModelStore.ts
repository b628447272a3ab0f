import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { ProjectionError, StoreUnavailableError, type Position } from '@rewind/core';
import {
  checkCollectionName,
  compareFound,
  checkKey,
  checkNamespace,
  LockLostError,
  matchesConditions,
  parseFilter,
  parseFindOptions,
  type Collection,
  type CollectionReader,
  type DeadLetter,
  type Document,
  type Filter,
  type FindOptions,
  type Keyed,
  type NamespaceInfo,
  type ParsedCondition,
  type ReadModelStore,
  type ReadModelTransaction,
} from '@rewind/projections';
import { mapSqliteError } from '../eventStore/sqliteErrors';

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

const DELETED = Symbol('deleted');
/** A transaction's pending writes: the JSON text to store (already a private copy), or a deletion. */
type Buffer = Map<string, Map<string, string | typeof DELETED>>;

interface DeadLetterRow {
  id: string;
  namespace: string;
  projection: string;
  event_id: string;
  event_type: string;
  stream_id: string;
  revision: string;
  commit_pos: string;
  prepare_pos: string;
  error: string;
  attempts: number;
  parked_at: number;
}

/**
 * Read models in a SQLite file: the embedded default. Documents are JSON text keyed by (namespace,
 * collection, key); a batch's writes are buffered and written at commit together with the checkpoint,
 * in one `BEGIN IMMEDIATE` transaction, so a crash loses or duplicates nothing. Several processes may
 * share the file (SQLite's write lock serializes them; the projection lock keeps one runner active).
 *
 * @example
 * const store = SqliteReadModelStore.open({ path: '.data/readmodels.db' });
 */
export class SqliteReadModelStore implements ReadModelStore {
  readonly path: string;
  private readonly db: Database.Database;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly s;
  /** @internal documents as last read or committed through this store, validated per transaction. */
  readonly cache: DocumentCache;
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
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS rm_documents (
          namespace TEXT NOT NULL, collection TEXT NOT NULL, key TEXT NOT NULL, doc TEXT NOT NULL,
          PRIMARY KEY (namespace, collection, key)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS rm_checkpoints (
          namespace TEXT PRIMARY KEY, commit_pos TEXT NOT NULL, prepare_pos TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS rm_served (projection TEXT PRIMARY KEY, namespace TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS rm_locks (name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS rm_dead_letters (
          id TEXT PRIMARY KEY, namespace TEXT NOT NULL, projection TEXT NOT NULL, event_id TEXT NOT NULL,
          event_type TEXT NOT NULL, stream_id TEXT NOT NULL, revision TEXT NOT NULL, commit_pos TEXT NOT NULL,
          prepare_pos TEXT NOT NULL, error TEXT NOT NULL, attempts INTEGER NOT NULL, parked_at INTEGER NOT NULL);
      `);
    } catch (error) {
      throw mapSqliteError(error, this.path, 'open the read-model store');
    }
    const db = this.db;
    this.cache = new DocumentCache(options.documentCacheBytes ?? 32 * 2 ** 20);
    this.s = {
      /** Changes by other connections (data_version) and by this one (total_changes). */
      changeCounters: db
        .prepare<[], [number, number]>(
          'SELECT (SELECT data_version FROM pragma_data_version), total_changes()',
        )
        .raw(true),
      get: db
        .prepare<[string, string, string], string>(
          'SELECT doc FROM rm_documents WHERE namespace = ? AND collection = ? AND key = ?',
        )
        .pluck(true),
      put: db.prepare<[string, string, string, string]>(
        'INSERT INTO rm_documents (namespace, collection, key, doc) VALUES (?, ?, ?, ?) ON CONFLICT (namespace, collection, key) DO UPDATE SET doc = excluded.doc',
      ),
      delete: db.prepare<[string, string, string]>(
        'DELETE FROM rm_documents WHERE namespace = ? AND collection = ? AND key = ?',
      ),
      collections: db.prepare<[string], { collection: string }>(
        'SELECT DISTINCT collection FROM rm_documents WHERE namespace = ? ORDER BY collection',
      ),
      getCheckpoint: db.prepare<[string], { commit_pos: string; prepare_pos: string }>(
        'SELECT commit_pos, prepare_pos FROM rm_checkpoints WHERE namespace = ?',
      ),
      setCheckpoint: db.prepare<[string, string, string]>(
        'INSERT INTO rm_checkpoints (namespace, commit_pos, prepare_pos) VALUES (?, ?, ?) ON CONFLICT (namespace) DO UPDATE SET commit_pos = excluded.commit_pos, prepare_pos = excluded.prepare_pos',
      ),
      getServed: db.prepare<[string], { namespace: string }>(
        'SELECT namespace FROM rm_served WHERE projection = ?',
      ),
      setServed: db.prepare<[string, string]>(
        'INSERT INTO rm_served (projection, namespace) VALUES (?, ?) ON CONFLICT (projection) DO UPDATE SET namespace = excluded.namespace',
      ),
      servedBy: db.prepare<[string], { projection: string }>(
        'SELECT projection FROM rm_served WHERE namespace = ?',
      ),
      park: db.prepare<
        [string, string, string, string, string, string, string, string, string, string, number, number]
      >(
        'INSERT INTO rm_dead_letters (id, namespace, projection, event_id, event_type, stream_id, revision, commit_pos, prepare_pos, error, attempts, parked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      unpark: db.prepare<[string]>('DELETE FROM rm_dead_letters WHERE id = ?'),
      letters: db.prepare<[], DeadLetterRow>(
        'SELECT * FROM rm_dead_letters ORDER BY CAST(commit_pos AS INTEGER), CAST(prepare_pos AS INTEGER)',
      ),
      lettersIn: db.prepare<[string], DeadLetterRow>(
        'SELECT * FROM rm_dead_letters WHERE namespace = ? ORDER BY CAST(commit_pos AS INTEGER), CAST(prepare_pos AS INTEGER)',
      ),
      takeLock: db.prepare<[string, string, number, number], { owner: string }>(
        `INSERT INTO rm_locks (name, owner, expires_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
         WHERE rm_locks.owner = excluded.owner OR rm_locks.expires_at <= ? RETURNING owner`,
      ),
      lock: db.prepare<[string], { owner: string; expires_at: number }>(
        'SELECT owner, expires_at FROM rm_locks WHERE name = ?',
      ),
      releaseLock: db.prepare<[string, string]>('DELETE FROM rm_locks WHERE name = ? AND owner = ?'),
    };
  }

  /** Opens (creating if needed) a read-model store file. */
  static open(options: SqliteReadModelStoreOptions | string): SqliteReadModelStore {
    return new SqliteReadModelStore(typeof options === 'string' ? { path: options } : options);
  }

  /**
   * The better-sqlite3 connection (also `tx.native` inside transactions), for your own SQL. Writes
   * made through it are noticed (SQLite's change counter) and drop the document cache.
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
    const run = this.tail.then(async () => {
      // The work (handlers) runs without SQLite's write lock: other processes keep writing and reading.
      // The commit takes the lock briefly, re-checks what the work relied on, and writes everything.
      this.exec('read the change counters', () => this.cache.validate(this.signature()));
      const tx = new SqliteTransaction(namespace, this);
      const result = await work(tx);
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
    this.tail = run.catch(() => undefined);
    return run;
  }

  collection<D extends Document = Document>(namespace: string, name: string): CollectionReader<D> {
    checkNamespace(namespace);
    checkCollectionName(name);
    return this.reader<D>(namespace, name, undefined);
  }

  /** @internal a reader that sees a transaction's buffered writes first. */
  reader<D extends Document>(
    namespace: string,
    name: string,
    tx: SqliteTransaction | undefined,
  ): CollectionReader<D> {
    return {
      get: async (key) => {
        checkKey(key);
        if (!tx) {
          const json = this.exec('read a document', () => this.s.get.get(namespace, name, key));
          return json === undefined ? undefined : (JSON.parse(json) as D);
        }
        const buffered = tx.buffered(name, key);
        if (buffered === DELETED) return undefined;
        if (buffered !== undefined) return JSON.parse(buffered) as D;
        const cached = tx.cached(name);
        let json = cached.get(key);
        if (json === undefined) {
          json = this.exec('read a document', () => this.s.get.get(namespace, name, key)) ?? null;
          this.cache.set(cached, key, json);
        }
        return json === null ? undefined : (JSON.parse(json) as D);
      },
      find: async (filter = {}, options = {}) =>
        this.query<D>(namespace, name, filter, options, tx?.pending(name)),
      count: async (filter = {}) => this.query(namespace, name, filter, {}, tx?.pending(name)).length,
    };
  }

  private query<D extends Document>(
    namespace: string,
    name: string,
    filter: Filter,
    options: FindOptions,
    pending?: ReadonlyMap<string, string | typeof DELETED>,
  ): Keyed<D>[] {
    const conditions = parseFilter(filter);
    const { orderBy, descending, limit } = parseFindOptions(options);
    if (pending && pending.size > 0) {
      // Committed documents, with this transaction's own writes laid over them.
      const merged = this.query<D>(namespace, name, filter, { ...options, limit: undefined }).filter(
        (e) => !pending.has(e.key),
      );
      for (const [key, json] of pending) {
        if (json === DELETED) continue;
        const doc = JSON.parse(json) as D;
        if (matchesConditions(doc, conditions)) merged.push({ key, doc });
      }
      merged.sort(compareFound(orderBy, descending));
      return limit === undefined ? merged : merged.slice(0, limit);
    }
    const pushed: string[] = [];
    const params: (string | number)[] = [namespace, name];
    const rest: ParsedCondition[] = [];
    for (const condition of conditions) {
      const sql = toSql(condition, params);
      if (sql) pushed.push(sql);
      else rest.push(condition);
    }
    let sql = `SELECT key, doc FROM rm_documents WHERE namespace = ? AND collection = ?${pushed.map((p) => ` AND ${p}`).join('')}`;
    if (orderBy) {
      // documents without the field last in either direction; ties by key ascending
      const path = `$.${orderBy.join('.')}`;
      sql += ` ORDER BY COALESCE(json_type(doc, ?), 'null') = 'null', json_extract(doc, ?) ${descending ? 'DESC' : 'ASC'}, key ASC`;
      params.push(path, path);
    } else sql += ' ORDER BY key ASC'; // direction applies to a field only (compareFound)
    if (limit !== undefined && rest.length === 0) {
      sql += ' LIMIT ?';
      params.push(limit);
    }
    const rows = this.exec(
      'find documents',
      () => this.db.prepare(sql).all(...params) as { key: string; doc: string }[],
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

  async listCollections(namespace: string): Promise<string[]> {
    return this.exec('list collections', () => this.s.collections.all(namespace).map((r) => r.collection));
  }

  async servedNamespace(projection: string): Promise<string | undefined> {
    return this.exec('read the served namespace', () => this.s.getServed.get(projection)?.namespace);
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
    await this.transaction(namespace, async () => {
      const served = this.s.servedBy.get(namespace);
      if (served) {
        throw new ProjectionError(
          served.projection,
          `Namespace "${namespace}" is served for projection "${served.projection}"; serve another one before dropping it.`,
        );
      }
      this.db.prepare('DELETE FROM rm_documents WHERE namespace = ?').run(namespace);
      this.db.prepare('DELETE FROM rm_checkpoints WHERE namespace = ?').run(namespace);
      this.db.prepare('DELETE FROM rm_dead_letters WHERE namespace = ?').run(namespace);
      this.cache.forget(namespace);
    });
  }

  async listDeadLetters(namespace?: string): Promise<DeadLetter[]> {
    const rows = this.exec('list dead letters', () =>
      namespace === undefined ? this.s.letters.all() : this.s.lettersIn.all(namespace),
    );
    return rows.map((r) => ({
      id: r.id,
      namespace: r.namespace,
      projection: r.projection,
      eventId: r.event_id,
      eventType: r.event_type,
      streamId: r.stream_id,
      revision: BigInt(r.revision),
      position: { commit: BigInt(r.commit_pos), prepare: BigInt(r.prepare_pos) },
      error: r.error,
      attempts: r.attempts,
      parkedAt: new Date(r.parked_at),
    }));
  }

  async tryAcquireLock(lock: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    return this.exec('take a lock', () => {
      const taken = this.s.takeLock.get(lock, owner, now + ttlMs, now)?.owner === owner;
      if (taken) this.leaseChanges++;
      return taken;
    });
  }

  async releaseLock(lock: string, owner: string): Promise<void> {
    this.exec('release a lock', () => {
      this.leaseChanges += this.s.releaseLock.run(lock, owner).changes;
    });
  }

  /**
   * What changed the file since the cache was filled: commits by other connections (data_version)
   * and rows changed by this one, lock leases aside (total_changes).
   */
  private signature(): string {
    const [dataVersion, changes] = this.s.changeCounters.get()!;
    return `${dataVersion}/${changes - this.leaseChanges}`;
  }

  async lockHolder(lock: string): Promise<{ owner: string; expiresAt: Date } | undefined> {
    const row = this.exec('read a lock', () => this.s.lock.get(lock));
    return row && row.expires_at > Date.now()
      ? { owner: row.owner, expiresAt: new Date(row.expires_at) }
      : undefined;
  }

  async close(): Promise<void> {
    await this.tail;
    if (this.db.open) this.db.close();
  }

  /** @internal */
  exec<T>(action: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw mapSqliteError(error, this.path, action);
    }
  }

  /** @internal */
  get statements() {
    return this.s;
  }
}

/** @internal */
class SqliteTransaction implements ReadModelTransaction {
  private readonly writes: Buffer = new Map();
  private checkpoint: Position | undefined;
  /** What the work read of the checkpoint (re-checked at commit); null = no checkpoint. */
  private checkpointRead: string | null | undefined;
  private readonly served = new Map<string, string>();
  private readonly servedReads = new Map<string, string | null>();
  private readonly parked: DeadLetter[] = [];
  private readonly removed: string[] = [];
  private readonly locks: Array<[string, string]> = [];

  constructor(
    readonly namespace: string,
    private readonly store: SqliteReadModelStore,
  ) {}

  get native(): Database.Database {
    return this.store.database;
  }

  buffered(collection: string, key: string): string | typeof DELETED | undefined {
    return this.writes.get(collection)?.get(key);
  }

  private readonly cachedCollections = new Map<string, Map<string, string | null>>();

  /** The store's cached documents of a collection of this namespace. */
  cached(collection: string): Map<string, string | null> {
    let entries = this.cachedCollections.get(collection);
    if (!entries) {
      entries = this.store.cache.collection(this.namespace, collection);
      this.cachedCollections.set(collection, entries);
    }
    return entries;
  }

  pending(collection: string): ReadonlyMap<string, string | typeof DELETED> | undefined {
    return this.writes.get(collection);
  }

  private readonly collections = new Map<string, Collection<Document>>();

  collection<D extends Document = Document>(name: string): Collection<D> {
    const cached = this.collections.get(name);
    if (cached) return cached as unknown as Collection<D>;
    checkCollectionName(name);
    let writes = this.writes.get(name);
    if (!writes) this.writes.set(name, (writes = new Map()));
    const buffer = writes;
    const base = this.store.reader<D>(this.namespace, name, this);
    const collection: Collection<D> = {
      ...base,
      put: async (key, doc) => {
        checkKey(key);
        buffer.set(key, JSON.stringify(doc));
      },
      patch: async (key, fields) => {
        checkKey(key);
        const current = (await base.get(key)) ?? {};
        buffer.set(key, JSON.stringify({ ...current, ...fields }));
      },
      delete: async (key) => {
        checkKey(key);
        buffer.set(key, DELETED);
      },
    };
    this.collections.set(name, collection as unknown as Collection<Document>);
    return collection;
  }

  private readCheckpoint(): string | null {
    const row = this.store.statements.getCheckpoint.get(this.namespace);
    return row ? `${row.commit_pos}/${row.prepare_pos}` : null;
  }

  async getCheckpoint(): Promise<Position | undefined> {
    if (this.checkpoint) return this.checkpoint;
    const read = this.store.exec('read a checkpoint', () => this.readCheckpoint());
    if (this.checkpointRead === undefined) this.checkpointRead = read;
    if (read === null) return undefined;
    const [commit, prepare] = read.split('/');
    return { commit: BigInt(commit!), prepare: BigInt(prepare!) };
  }

  async setCheckpoint(position: Position): Promise<void> {
    this.checkpoint = position;
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

  async setServed(projection: string, namespace: string): Promise<void> {
    checkNamespace(namespace);
    this.served.set(projection, namespace);
  }

  async parkDeadLetter(letter: Omit<DeadLetter, 'id' | 'namespace' | 'parkedAt'>): Promise<void> {
    this.parked.push({ ...letter, id: randomUUID(), namespace: this.namespace, parkedAt: new Date() });
  }

  async removeDeadLetter(id: string): Promise<void> {
    this.removed.push(id);
  }

  async assertLock(lock: string, owner: string): Promise<void> {
    this.checkLock(lock, owner);
    this.locks.push([lock, owner]);
  }

  private checkLock(lock: string, owner: string): void {
    const row = this.store.statements.lock.get(lock);
    if (!row || row.owner !== owner || row.expires_at <= Date.now()) throw new LockLostError(lock, owner);
  }

  /** After a successful commit: what this transaction wrote is what the file now holds. */
  committed(cache: DocumentCache, signature: string): void {
    for (const [collection, writes] of this.writes) {
      const cached = cache.collection(this.namespace, collection);
      for (const [key, json] of writes) cache.set(cached, key, json === DELETED ? null : json);
    }
    cache.validated(signature);
  }

  /**
   * Runs inside BEGIN IMMEDIATE: re-checks locks and what the work read (the namespace's checkpoint,
   * served pointers), then writes documents, checkpoint, pointers and dead letters.
   * @throws LockLostError, or ProjectionError when another writer changed what this work relied on.
   */
  commit(): void {
    const s = this.store.statements;
    for (const [lock, owner] of this.locks) this.checkLock(lock, owner);
    if (this.checkpointRead !== undefined && this.readCheckpoint() !== this.checkpointRead) {
      throw new ProjectionError(
        this.namespace,
        `Another writer moved the checkpoint of namespace "${this.namespace}" during this transaction; nothing was written. It is retried from the new checkpoint.`,
      );
    }
    for (const [projection, expected] of this.servedReads) {
      if ((s.getServed.get(projection)?.namespace ?? null) !== expected) {
        throw new ProjectionError(
          projection,
          `The served namespace of "${projection}" changed during this transaction; nothing was written.`,
        );
      }
    }
    for (const [collection, writes] of this.writes) {
      for (const [key, json] of writes) {
        if (json === DELETED) s.delete.run(this.namespace, collection, key);
        else s.put.run(this.namespace, collection, key, json);
      }
    }
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
  }
}

/**
 * Document text by (namespace, collection, key); `null` caches "no such document". Bounded by the
 * bytes of text it holds; when full, the longest-cached entries go first. Valid only while the file's
 * change signature (see `validate`) is the one recorded after this store's last commit.
 * @internal
 */
export class DocumentCache {
  /** `namespace \0 collection` → key → text: lookups hash the short key only. */
  private readonly collections = new Map<string, Map<string, string | null>>();
  private bytes = 0;
  private signature: string | undefined;

  constructor(private readonly maxBytes: number) {}

  /** Drops everything when the file changed in a way this cache did not see. */
  validate(signature: string): void {
    if (signature !== this.signature) this.clear();
    this.signature = signature;
  }

  /** Records the signature after this store's own commit (whose writes are already cached). */
  validated(signature: string): void {
    this.signature = signature;
  }

  /** The entries of one collection, to `get` and `set` in (created on first use). */
  collection(namespace: string, collection: string): Map<string, string | null> {
    const id = `${namespace}\u0000${collection}`;
    let entries = this.collections.get(id);
    if (!entries) this.collections.set(id, (entries = new Map()));
    return entries;
  }

  set(entries: Map<string, string | null>, key: string, json: string | null): void {
    if (this.maxBytes <= 0) return;
    const previous = entries.get(key);
    if (previous !== undefined) {
      this.bytes -= cost(key, previous);
      entries.delete(key);
    }
    const size = cost(key, json);
    if (size > this.maxBytes / 16) return; // one huge document must not flush everything else
    entries.set(key, json);
    this.bytes += size;
    if (this.bytes > this.maxBytes) this.evict();
  }

  /** Empties every collection's entries (maps handed out stay attached and valid). */
  clear(): void {
    for (const entries of this.collections.values()) entries.clear();
    this.bytes = 0;
  }

  /** Forgets a namespace's collections altogether (the namespace was dropped). */
  forget(namespace: string): void {
    for (const [id, entries] of this.collections) {
      if (id.startsWith(`${namespace}\u0000`)) {
        for (const [key, json] of entries) this.bytes -= cost(key, json);
        this.collections.delete(id);
      }
    }
  }

  private evict(): void {
    for (const entries of this.collections.values()) {
      for (const [key, json] of entries) {
        entries.delete(key);
        this.bytes -= cost(key, json);
        if (this.bytes <= this.maxBytes * 0.9) return;
      }
    }
  }
}

/** Approximate bytes an entry holds: its text plus Map and string overhead. */
function cost(key: string, json: string | null): number {
  return key.length + (json?.length ?? 0) + 64;
}

/** Pushes a scalar condition into SQL (path and value as parameters); undefined when JS must decide. */
function toSql(condition: ParsedCondition, params: (string | number)[]): string | undefined {
  const path = `$.${condition.path.join('.')}`;
  const scalar = (v: unknown): v is string | number =>
    typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
  const typed = (v: string | number) =>
    typeof v === 'string' ? `json_type(doc, ?) = 'text'` : `json_type(doc, ?) IN ('integer', 'real')`;
  const compare = (op: string, v: string | number) => {
    params.push(path, path, v);
    return `COALESCE((${typed(v)} AND json_extract(doc, ?) ${op} ?), 0)`;
  };
  switch (condition.op) {
    case '$eq':
      return scalar(condition.value) ? compare('=', condition.value) : undefined;
    case '$ne':
      return scalar(condition.value) ? `NOT ${compare('=', condition.value)}` : undefined;
    case '$gt':
      return scalar(condition.value) ? compare('>', condition.value) : undefined;
    case '$gte':
      return scalar(condition.value) ? compare('>=', condition.value) : undefined;
    case '$lt':
      return scalar(condition.value) ? compare('<', condition.value) : undefined;
    case '$lte':
      return scalar(condition.value) ? compare('<=', condition.value) : undefined;
    case '$in': {
      const values = condition.value as unknown[];
      if (values.length === 0) return '0';
      if (!values.every(scalar)) return undefined;
      return `(${values.map((v) => compare('=', v as string | number)).join(' OR ')})`;
    }
  }
}
