import { randomUUID } from 'node:crypto';
import { ProjectionError, StoreError, ValidationError, type Position } from '@rewind/core';
import {
  checkCollectionName,
  checkKey,
  checkNamespace,
  LockLostError,
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
  type ReadModelStore,
  type ReadModelTransaction,
} from '@rewind/projections';
import { Pool, type PoolClient, type PoolConfig, type QueryResultRow } from 'pg';
import { conditionsSql, orderSql, ParameterList } from './filterSql';
import { mapPostgresError, type PostgresTarget } from './postgresErrors';
import { SCHEMA_VERSION, schemaV1, tablesIn, type Tables } from './schema';

/** Options for {@link PostgresReadModelStore.connect}. */
export interface PostgresReadModelStoreOptions {
  /** `postgresql://user:password@host:port/database`; or give `pool` (or `poolConfig`) instead. */
  readonly connectionString?: string;
  /** A pool you own: the store never ends it. */
  readonly pool?: Pool;
  /** Extra `pg` pool settings when the store creates the pool (size, timeouts, ssl...). */
  readonly poolConfig?: PoolConfig;
  /** Schema holding the tables (default `rewind`): lower-case letters, digits and `_`. */
  readonly schema?: string;
  /** Create or upgrade the tables on connect (default true); else call {@link PostgresReadModelStore.migrate}. */
  readonly migrate?: boolean;
  /**
   * Buffered writes in a transaction that are sent to the database at once, without waiting, while the
   * handlers go on (default 500); the rest is sent at commit. Larger batches then overlap the
   * database's work with the handlers'.
   */
  readonly writeBehindRows?: number;
}

/** Anything that runs a parameterized query: the pool or a transaction's client. */
interface Queryable {
  query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
  query<R extends QueryResultRow>(config: {
    name: string;
    text: string;
    values: unknown[];
  }): Promise<{ rows: R[] }>;
}

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
  parked_at: Date;
}

/** A buffered write: a whole document (as JSON text), a shallow merge of fields, or a deletion. */
type Pending =
  | { readonly kind: 'put'; readonly json: string }
  | { readonly kind: 'patch'; readonly fields: Record<string, unknown> }
  | { readonly kind: 'delete' };

/**
 * Read models in PostgreSQL (with `pg`): documents as jsonb rows keyed by (namespace, collection,
 * key) — namespaces and collections are column values, never identifiers — plus checkpoints, served
 * namespaces, leases and dead letters, all in one schema (default `rewind`).
 *
 * A transaction runs on one pooled client. Its writes are buffered (reads see them) and flushed at
 * commit with one multi-row statement per kind (upsert, merge, delete), so a batch of a thousand events
 * costs a handful of round trips, not a thousand. `assertLock` locks the lease row (`FOR UPDATE`), so
 * a takeover waits for the commit and a runner whose lease lapsed can never commit.
 *
 * @example
 * const store = await PostgresReadModelStore.connect({ connectionString: process.env.DATABASE_URL });
 * const engine = new ProjectionEngine({ eventStore, events, store, processors: [OrderSummary] });
 */
export class PostgresReadModelStore implements ReadModelStore {
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly pool: Pool,
    private readonly ownsPool: boolean,
    private readonly t: Tables,
    /** Where the store connects, for error messages. */
    readonly target: PostgresTarget,
    private readonly writeBehindRows: number,
  ) {}

  /**
   * Connects (checking that the server answers) and, unless `migrate: false`, creates or upgrades the
   * tables.
   * @throws StoreUnavailableError when the server cannot be reached, refuses the login or lacks the
   * database, naming host:port/database; ValidationError for a bad schema name.
   */
  static async connect(options: PostgresReadModelStoreOptions): Promise<PostgresReadModelStore> {
    const tables = tablesIn(options.schema ?? 'rewind');
    const writeBehindRows = options.writeBehindRows ?? 500;
    if (!Number.isInteger(writeBehindRows) || writeBehindRows < 1) {
      throw new ValidationError('PostgreSQL read-model store options', [
        { path: 'writeBehindRows', value: writeBehindRows, constraints: { min: 'a whole number from 1' } },
      ]);
    }
    const ownsPool = !options.pool;
    const pool =
      options.pool ??
      new Pool({
        max: 4,
        ...options.poolConfig,
        ...(options.connectionString ? { connectionString: options.connectionString } : {}),
      });
    // An idle client losing its connection must not crash the process: the next query reports it.
    if (ownsPool) pool.on('error', () => undefined);
    const store = new PostgresReadModelStore(
      pool,
      ownsPool,
      tables,
      targetOf(pool, options.connectionString),
      writeBehindRows,
    );
    try {
      if (options.migrate === false) await store.run('connect', (db) => db.query('SELECT 1'));
      else await store.migrate();
    } catch (error) {
      if (ownsPool) await pool.end().catch(() => undefined);
      throw error;
    }
    return store;
  }

  /**
   * Creates the schema and tables when missing and records the schema version; idempotent, and safe
   * when several processes start at once (an advisory lock serializes them).
   * @throws StoreError when the database holds a newer schema version than this code knows.
   */
  async migrate(): Promise<void> {
    await this.withClient('migrate the read-model schema', async (client) => {
      await client.query('BEGIN');
      try {
        await client.query("SELECT pg_advisory_xact_lock(hashtext('rewind-read-models:' || $1))", [
          this.t.schema,
        ]);
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.t.schema}`);
        await client.query(`CREATE TABLE IF NOT EXISTS ${this.t.version} (version integer NOT NULL)`);
        const { rows } = await client.query<{ version: number }>(
          `SELECT max(version) AS version FROM ${this.t.version}`,
        );
        const current = rows[0]?.version ?? 0;
        if (current > SCHEMA_VERSION) {
          throw new StoreError(
            `The read-model schema ${this.t.schema} is at version ${current}, newer than this @rewind/postgres knows (${SCHEMA_VERSION}). Upgrade @rewind/postgres; do not point an older version at it.`,
          );
        }
        if (current < 1) {
          for (const statement of schemaV1(this.t)) await client.query(statement);
          await client.query(`INSERT INTO ${this.t.version} (version) VALUES (1)`);
        }
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  transaction<T>(namespace: string, work: (tx: ReadModelTransaction) => Promise<T>): Promise<T> {
    try {
      checkNamespace(namespace);
      if (this.closed) throw new StoreError('The PostgreSQL read-model store is closed.');
    } catch (error) {
      return Promise.reject(error);
    }
    const run = this.tail.then(() => this.runTransaction(namespace, work));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async runTransaction<T>(
    namespace: string,
    work: (tx: ReadModelTransaction) => Promise<T>,
  ): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw mapPostgresError(error, this.target, 'start a read-model transaction');
    }
    let broken: Error | undefined;
    try {
      try {
        await client.query('BEGIN');
      } catch (error) {
        broken = error as Error;
        throw mapPostgresError(error, this.target, `start a read-model transaction in "${namespace}"`);
      }
      const tx = new PostgresTransaction(namespace, client, this.t, this.target, this.writeBehindRows);
      try {
        const result = await work(tx);
        await tx.commit();
        return result;
      } catch (error) {
        // The work's own errors pass through untouched (the runner tells handler failures apart).
        await tx.settle();
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError as Error;
        });
        throw error;
      }
    } finally {
      client.release(broken);
    }
  }

  collection<D extends Document = Document>(namespace: string, name: string): CollectionReader<D> {
    checkNamespace(namespace);
    checkCollectionName(name);
    return new DbReader<D>(this.pool, this.t, this.target, namespace, name);
  }

  async listCollections(namespace: string): Promise<string[]> {
    const { rows } = await this.run('list collections', (db) =>
      db.query<{ collection: string }>(
        `SELECT DISTINCT collection FROM ${this.t.documents} WHERE namespace = $1 ORDER BY collection`,
        [namespace],
      ),
    );
    return rows.map((r) => r.collection);
  }

  async servedNamespace(projection: string): Promise<string | undefined> {
    const { rows } = await this.run('read the served namespace', (db) =>
      db.query<{ namespace: string }>(`SELECT namespace FROM ${this.t.served} WHERE projection = $1`, [
        projection,
      ]),
    );
    return rows[0]?.namespace;
  }

  async listNamespaces(): Promise<NamespaceInfo[]> {
    const { rows } = await this.run('list namespaces', (db) =>
      db.query<{
        namespace: string;
        commit_pos: string | null;
        prepare_pos: string | null;
        served_for: string | null;
        documents: string;
      }>(
        `WITH names AS (
           SELECT namespace FROM ${this.t.documents}
           UNION SELECT namespace FROM ${this.t.checkpoints}
           UNION SELECT namespace FROM ${this.t.served})
         SELECT n.namespace, c.commit_pos::text AS commit_pos, c.prepare_pos::text AS prepare_pos,
           (SELECT min(s.projection) FROM ${this.t.served} s WHERE s.namespace = n.namespace) AS served_for,
           (SELECT count(*) FROM ${this.t.documents} d WHERE d.namespace = n.namespace)::text AS documents
         FROM names n LEFT JOIN ${this.t.checkpoints} c ON c.namespace = n.namespace
         ORDER BY n.namespace`,
      ),
    );
    return rows.map((r) => ({
      namespace: r.namespace,
      checkpoint: toPosition(r.commit_pos, r.prepare_pos),
      ...(r.served_for !== null ? { servedFor: r.served_for } : {}),
      documents: Number(r.documents),
    }));
  }

  async dropNamespace(namespace: string): Promise<void> {
    await this.transaction(namespace, async (tx) => {
      const client = tx.native as PoolClient;
      const { rows } = await client.query<{ projection: string }>(
        `SELECT projection FROM ${this.t.served} WHERE namespace = $1 ORDER BY projection LIMIT 1 FOR UPDATE`,
        [namespace],
      );
      const projection = rows[0]?.projection;
      if (projection !== undefined) {
        throw new ProjectionError(
          projection,
          `Namespace "${namespace}" is served for projection "${projection}"; serve another one before dropping it.`,
        );
      }
      await client.query(`DELETE FROM ${this.t.documents} WHERE namespace = $1`, [namespace]);
      await client.query(`DELETE FROM ${this.t.checkpoints} WHERE namespace = $1`, [namespace]);
      await client.query(`DELETE FROM ${this.t.deadLetters} WHERE namespace = $1`, [namespace]);
    });
  }

  async listDeadLetters(namespace?: string): Promise<DeadLetter[]> {
    const { rows } = await this.run('list dead letters', (db) =>
      db.query<DeadLetterRow>(
        `SELECT id, namespace, projection, event_id, event_type, stream_id, revision::text AS revision,
           commit_pos::text AS commit_pos, prepare_pos::text AS prepare_pos, error, attempts, parked_at
         FROM ${this.t.deadLetters} WHERE ($1::text IS NULL OR namespace = $1)
         ORDER BY commit_pos, prepare_pos, parked_at, id`,
        [namespace ?? null],
      ),
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
      parkedAt: r.parked_at,
    }));
  }

  async tryAcquireLock(lock: string, owner: string, ttlMs: number): Promise<boolean> {
    const { rows } = await this.run(`acquire the lock "${lock}"`, (db) =>
      db.query<{ owner: string }>(
        `INSERT INTO ${this.t.locks} AS l (name, owner, expires_at)
         VALUES ($1, $2, clock_timestamp() + $3::double precision * interval '1 millisecond')
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
         WHERE l.owner = excluded.owner OR l.expires_at <= clock_timestamp()
         RETURNING owner`,
        [lock, owner, ttlMs],
      ),
    );
    return rows.length === 1;
  }

  async releaseLock(lock: string, owner: string): Promise<void> {
    await this.run(`release the lock "${lock}"`, (db) =>
      db.query(`DELETE FROM ${this.t.locks} WHERE name = $1 AND owner = $2`, [lock, owner]),
    );
  }

  async lockHolder(lock: string): Promise<{ owner: string; expiresAt: Date } | undefined> {
    const { rows } = await this.run(`read the lock "${lock}"`, (db) =>
      db.query<{ owner: string; expires_at: Date }>(
        `SELECT owner, expires_at FROM ${this.t.locks} WHERE name = $1 AND expires_at > clock_timestamp()`,
        [lock],
      ),
    );
    const row = rows[0];
    return row ? { owner: row.owner, expiresAt: row.expires_at } : undefined;
  }

  /** Waits for the running transactions, then ends the pool (unless it was given to `connect`). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail;
    if (this.ownsPool) await this.pool.end();
  }

  private async run<R>(action: string, query: (db: Queryable) => Promise<R>): Promise<R> {
    try {
      return await query(this.pool);
    } catch (error) {
      throw mapPostgresError(error, this.target, action);
    }
  }

  private async withClient<R>(action: string, work: (client: PoolClient) => Promise<R>): Promise<R> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw mapPostgresError(error, this.target, action);
    }
    try {
      return await work(client);
    } catch (error) {
      throw mapPostgresError(error, this.target, action);
    } finally {
      client.release();
    }
  }
}

/** Reads committed documents of one collection (or, on a transaction's client, its own writes too). */
class DbReader<D extends Document> implements CollectionReader<D> {
  constructor(
    protected readonly db: Queryable,
    protected readonly t: Tables,
    protected readonly target: PostgresTarget,
    protected readonly namespace: string,
    protected readonly name: string,
  ) {}

  async get(key: string): Promise<D | undefined> {
    checkKey(key);
    return (await this.load(key)) as D | undefined;
  }

  async find(filter: Filter = {}, options: FindOptions = {}): Promise<Keyed<D>[]> {
    const conditions = parseFilter(filter);
    const parsed = parseFindOptions(options);
    await this.beforeQuery();
    const params = new ParameterList();
    const where = [`namespace = ${params.add(this.namespace)}`, `collection = ${params.add(this.name)}`];
    where.push(...conditionsSql(conditions, params));
    const order = orderSql(parsed, params);
    const { rows } = await this.query<{ key: string; doc: D }>(
      'find documents',
      `SELECT key, doc FROM ${this.t.documents} WHERE ${where.join(' AND ')} ${order}`,
      params.values,
    );
    return rows.map((r) => ({ key: r.key, doc: r.doc }));
  }

  async count(filter: Filter = {}): Promise<number> {
    const conditions = parseFilter(filter);
    await this.beforeQuery();
    const params = new ParameterList();
    const where = [`namespace = ${params.add(this.namespace)}`, `collection = ${params.add(this.name)}`];
    where.push(...conditionsSql(conditions, params));
    const { rows } = await this.query<{ n: number }>(
      'count documents',
      `SELECT count(*)::int AS n FROM ${this.t.documents} WHERE ${where.join(' AND ')}`,
      params.values,
    );
    return rows[0]!.n;
  }

  /** The stored document (a fresh object), or undefined. */
  protected async load(key: string): Promise<Document | undefined> {
    // A named (prepared) statement: parsed and planned once per connection, the hot path of projectors.
    try {
      const { rows } = await this.db.query<{ doc: Document }>({
        name: `rewind-get:${this.t.documents}`,
        text: `SELECT doc FROM ${this.t.documents} WHERE namespace = $1 AND collection = $2 AND key = $3`,
        values: [this.namespace, this.name, key],
      });
      return rows[0]?.doc;
    } catch (error) {
      throw mapPostgresError(error, this.target, `read a document in ${this.namespace}/${this.name}`);
    }
  }

  /** Inside a transaction: writes buffered so far reach the database before a query runs. */
  protected async beforeQuery(): Promise<void> {}

  protected async query<R extends QueryResultRow>(
    action: string,
    text: string,
    values: unknown[],
  ): Promise<{ rows: R[] }> {
    try {
      return await this.db.query<R>(text, values);
    } catch (error) {
      throw mapPostgresError(error, this.target, `${action} in ${this.namespace}/${this.name}`);
    }
  }
}

/** A collection inside a transaction: buffered writes over the transaction's client. */
class TxCollection<D extends Document> extends DbReader<D> implements Collection<D> {
  readonly pending = new Map<string, Pending>();

  constructor(
    private readonly tx: PostgresTransaction,
    db: Queryable,
    t: Tables,
    target: PostgresTarget,
    namespace: string,
    name: string,
  ) {
    super(db, t, target, namespace, name);
  }

  async put(key: string, doc: D): Promise<void> {
    checkKey(key);
    this.pending.set(key, { kind: 'put', json: toJson(doc) });
    this.tx.noteWrite();
  }

  async patch(key: string, fields: Partial<D>): Promise<void> {
    checkKey(key);
    const own = JSON.parse(toJson(fields)) as Record<string, unknown>;
    const current = this.pending.get(key);
    // A field set to undefined is removed, as JSON would: that needs the current document.
    const removes = Object.keys(fields).some((f) => (fields as Record<string, unknown>)[f] === undefined);
    if (current?.kind === 'patch' && !removes) {
      this.pending.set(key, { kind: 'patch', fields: { ...current.fields, ...own } });
    } else if (current === undefined && !removes) {
      // Merged by the database at flush (`doc || fields`): no read, no round trip now.
      this.pending.set(key, { kind: 'patch', fields: own });
    } else {
      const base = (await this.load(key)) ?? {};
      const merged: Record<string, unknown> = { ...base, ...(fields as Record<string, unknown>) };
      this.pending.set(key, { kind: 'put', json: toJson(merged) });
    }
    this.tx.noteWrite();
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    this.pending.set(key, { kind: 'delete' });
    this.tx.noteWrite();
  }

  protected override async load(key: string): Promise<Document | undefined> {
    const buffered = this.pending.get(key);
    if (buffered?.kind === 'delete') return undefined;
    if (buffered?.kind === 'put') return JSON.parse(buffered.json) as Document;
    const stored = await super.load(key);
    if (buffered?.kind === 'patch') {
      const merged = { ...stored, ...buffered.fields };
      this.pending.set(key, { kind: 'put', json: JSON.stringify(merged) });
      return JSON.parse(JSON.stringify(merged)) as Document;
    }
    return stored;
  }

  protected override async beforeQuery(): Promise<void> {
    await this.tx.flush();
  }
}

/** One read-model transaction on a pooled client; see {@link PostgresReadModelStore}. */
class PostgresTransaction implements ReadModelTransaction {
  private readonly collections = new Map<string, TxCollection<Document>>();
  private checkpoint: Position | undefined;
  private readonly served = new Map<string, string>();
  private readonly parked: DeadLetter[] = [];
  private readonly removed: string[] = [];
  private inFlight: Promise<void> = Promise.resolve();
  private failure: unknown;
  private readonly serial: SerialClient;

  constructor(
    readonly namespace: string,
    private readonly client: PoolClient,
    private readonly t: Tables,
    private readonly target: PostgresTarget,
    private readonly writeBehindRows: number,
  ) {
    this.serial = new SerialClient(client);
  }

  /** Resolves once every statement this transaction issued has finished (before a ROLLBACK). */
  settle(): Promise<void> {
    return this.serial.idle();
  }

  /**
   * The transaction's `pg` client, for your own SQL in the same transaction. Document writes are
   * buffered: call `await tx.collection(name).count()` first if your SQL must see them.
   */
  get native(): PoolClient {
    return this.client;
  }

  collection<D extends Document = Document>(name: string): Collection<D> {
    const cached = this.collections.get(name);
    if (cached) return cached as unknown as Collection<D>;
    checkCollectionName(name);
    const collection = new TxCollection<Document>(
      this,
      this.serial,
      this.t,
      this.target,
      this.namespace,
      name,
    );
    this.collections.set(name, collection);
    return collection as unknown as Collection<D>;
  }

  async getCheckpoint(): Promise<Position | undefined> {
    if (this.checkpoint) return this.checkpoint;
    const { rows } = await this.query<{ commit_pos: string; prepare_pos: string }>(
      'read the checkpoint',
      `SELECT commit_pos::text AS commit_pos, prepare_pos::text AS prepare_pos FROM ${this.t.checkpoints} WHERE namespace = $1`,
      [this.namespace],
    );
    const row = rows[0];
    return row ? toPosition(row.commit_pos, row.prepare_pos) : undefined;
  }

  async setCheckpoint(position: Position): Promise<void> {
    this.checkpoint = { commit: position.commit, prepare: position.prepare };
  }

  async getServed(projection: string): Promise<string | undefined> {
    const buffered = this.served.get(projection);
    if (buffered !== undefined) return buffered;
    const { rows } = await this.query<{ namespace: string }>(
      'read the served namespace',
      `SELECT namespace FROM ${this.t.served} WHERE projection = $1`,
      [projection],
    );
    return rows[0]?.namespace;
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
    // Locks the lease row until this transaction ends: a takeover waits for the commit.
    const { rows } = await this.query<{ owner: string; live: boolean }>(
      `check the lock "${lock}"`,
      `SELECT owner, expires_at > clock_timestamp() AS live FROM ${this.t.locks} WHERE name = $1 FOR UPDATE`,
      [lock],
    );
    const row = rows[0];
    if (!row || row.owner !== owner || !row.live) throw new LockLostError(lock, owner);
  }

  /**
   * Write-behind: once this many writes are buffered they are sent at once without waiting, so the
   * database applies them while the handlers go on (reads queue behind them on the same connection).
   */
  noteWrite(): void {
    let pending = 0;
    for (const collection of this.collections.values()) pending += collection.pending.size;
    if (pending >= this.writeBehindRows) this.send();
  }

  /** Sends buffered document writes to the database (still inside the transaction) and waits for them. */
  async flush(): Promise<void> {
    this.send();
    await this.inFlight;
    if (this.failure !== undefined) throw this.failure;
  }

  /**
   * Issues the statements for the buffered writes now, in order, on the transaction's connection, and
   * empties the buffer. Every query is issued synchronously, so a read issued afterwards runs after
   * them; failures are kept for {@link flush}.
   */
  private send(): void {
    const puts: { collections: string[]; keys: string[]; docs: string[] } = {
      collections: [],
      keys: [],
      docs: [],
    };
    const patches: { collections: string[]; keys: string[]; docs: string[] } = {
      collections: [],
      keys: [],
      docs: [],
    };
    const deletes: { collections: string[]; keys: string[] } = { collections: [], keys: [] };
    for (const [name, collection] of this.collections) {
      for (const [key, write] of collection.pending) {
        if (write.kind === 'put') {
          puts.collections.push(name);
          puts.keys.push(key);
          puts.docs.push(write.json);
        } else if (write.kind === 'patch') {
          patches.collections.push(name);
          patches.keys.push(key);
          patches.docs.push(JSON.stringify(write.fields));
        } else {
          deletes.collections.push(name);
          deletes.keys.push(key);
        }
      }
      collection.pending.clear();
    }
    const upsert = (merge: boolean, rows: typeof puts) =>
      this.query(
        merge ? 'merge documents' : 'write documents',
        `INSERT INTO ${this.t.documents} AS d (namespace, collection, key, doc)
         SELECT $1, c, k, v FROM ROWS FROM (unnest($2::text[]), unnest($3::text[]), jsonb_array_elements($4::jsonb)) AS w(c, k, v)
         ON CONFLICT (namespace, collection, key) DO UPDATE SET doc = ${merge ? 'd.doc || excluded.doc' : 'excluded.doc'}`,
        [this.namespace, rows.collections, rows.keys, `[${rows.docs.join(',')}]`],
      );
    const sent: Promise<unknown>[] = [];
    if (deletes.keys.length > 0) {
      sent.push(
        this.query(
          'delete documents',
          `DELETE FROM ${this.t.documents} WHERE namespace = $1
             AND (collection, key) IN (SELECT c, k FROM unnest($2::text[], $3::text[]) AS w(c, k))`,
          [this.namespace, deletes.collections, deletes.keys],
        ),
      );
    }
    if (puts.keys.length > 0) sent.push(upsert(false, puts));
    if (patches.keys.length > 0) sent.push(upsert(true, patches));
    if (sent.length === 0) return;
    const done = Promise.all(sent).then(
      () => undefined,
      (error: unknown) => {
        this.failure ??= error;
      },
    );
    this.inFlight = this.inFlight.then(() => done);
  }

  /** Flushes every buffered write; the caller then COMMITs. */
  async commit(): Promise<void> {
    await this.flush();
    if (this.checkpoint) {
      await this.query(
        'write the checkpoint',
        `INSERT INTO ${this.t.checkpoints} (namespace, commit_pos, prepare_pos, updated_at) VALUES ($1, $2::numeric, $3::numeric, now())
         ON CONFLICT (namespace) DO UPDATE SET commit_pos = excluded.commit_pos, prepare_pos = excluded.prepare_pos, updated_at = now()`,
        [this.namespace, this.checkpoint.commit.toString(), this.checkpoint.prepare.toString()],
      );
    }
    if (this.served.size > 0) {
      await this.query(
        'serve a namespace',
        `INSERT INTO ${this.t.served} (projection, namespace) SELECT * FROM unnest($1::text[], $2::text[])
         ON CONFLICT (projection) DO UPDATE SET namespace = excluded.namespace`,
        [[...this.served.keys()], [...this.served.values()]],
      );
    }
    if (this.parked.length > 0) {
      const column = <K extends keyof DeadLetter>(k: K, f: (v: DeadLetter[K]) => unknown = (v) => v) =>
        this.parked.map((l) => f(l[k]));
      await this.query(
        'park dead letters',
        `INSERT INTO ${this.t.deadLetters} (id, namespace, projection, event_id, event_type, stream_id, revision,
           commit_pos, prepare_pos, error, attempts, parked_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::numeric[],
           $8::numeric[], $9::numeric[], $10::text[], $11::int[], $12::timestamptz[])`,
        [
          column('id'),
          column('namespace'),
          column('projection'),
          column('eventId'),
          column('eventType'),
          column('streamId'),
          column('revision', String),
          column('position', (p) => p.commit.toString()),
          column('position', (p) => p.prepare.toString()),
          column('error'),
          column('attempts'),
          column('parkedAt', (d) => d.toISOString()),
        ],
      );
    }
    if (this.removed.length > 0) {
      await this.query(
        'remove dead letters',
        `DELETE FROM ${this.t.deadLetters} WHERE id = ANY($1::text[])`,
        [this.removed],
      );
    }
    await this.query('commit', 'COMMIT', []);
  }

  private async query<R extends QueryResultRow>(
    action: string,
    text: string,
    values: unknown[],
  ): Promise<{ rows: R[] }> {
    try {
      return await this.serial.query<R>(text, values);
    } catch (error) {
      throw mapPostgresError(error, this.target, `${action} in ${this.namespace}`);
    }
  }
}

/**
 * Runs a client's queries one after another in the order they were issued, so write-behind statements
 * and later reads never overlap on the connection (pg 8 deprecates overlapping queries; pg 9 refuses them).
 */
class SerialClient implements Queryable {
  private last: Promise<unknown> = Promise.resolve();

  constructor(private readonly client: PoolClient) {}

  query<R extends QueryResultRow>(
    textOrConfig: string | { name: string; text: string; values: unknown[] },
    values?: unknown[],
  ): Promise<{ rows: R[] }> {
    const run = this.last.then(() =>
      typeof textOrConfig === 'string'
        ? this.client.query<R>(textOrConfig, values)
        : this.client.query<R>(textOrConfig),
    );
    this.last = run.catch(() => undefined);
    return run;
  }

  /** Resolves once every query issued so far has finished. */
  async idle(): Promise<void> {
    await this.last;
  }
}

function toPosition(commit: string | null, prepare: string | null): Position | undefined {
  return commit === null || prepare === null
    ? undefined
    : { commit: BigInt(commit), prepare: BigInt(prepare) };
}

/** JSON text of a document: a private copy with JSON's meaning (toJSON honoured, undefined dropped). */
function toJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (typeof json !== 'string' || !json.startsWith('{')) {
    throw new StoreError(
      `A read-model document must be a JSON object; got ${json === undefined ? typeof value : json.slice(0, 40)}.`,
    );
  }
  return json;
}

function targetOf(pool: Pool, connectionString: string | undefined): PostgresTarget {
  const options = pool.options as PoolConfig;
  let fromUrl: { host?: string; port?: number; database?: string; user?: string } = {};
  const url = connectionString ?? options.connectionString;
  if (url) {
    try {
      const parsed = new URL(url);
      fromUrl = {
        host: decodeURIComponent(parsed.hostname) || undefined,
        port: parsed.port ? Number(parsed.port) : undefined,
        database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || undefined,
        user: decodeURIComponent(parsed.username) || undefined,
      };
    } catch {
      // not a URL (key=value form): fall back to the pool's settings and libpq's defaults
    }
  }
  const user = fromUrl.user ?? options.user ?? process.env.PGUSER;
  return {
    host: fromUrl.host ?? options.host ?? process.env.PGHOST ?? 'localhost',
    port: fromUrl.port ?? options.port ?? (Number(process.env.PGPORT) || 5432),
    database: fromUrl.database ?? options.database ?? process.env.PGDATABASE ?? user ?? 'postgres',
    ...(user ? { user } : {}),
  };
}
