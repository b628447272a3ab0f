import {
  ProjectionError,
  silentLogger,
  StoreError,
  ValidationError,
  type EventStore,
  type Position,
  type RewindLogger,
} from '@rewind/core';
import {
  type InlineAttachRequest,
  type InlineLogReader,
  checkCollectionName,
  checkDroppable,
  checkNamespace,
  NamespaceNotFoundError,
  type CollectionReader,
  type DeadLetter,
  type Document,
  type NamespaceInfo,
  type ReadModelStore,
  type ReadModelTransaction,
} from '@rewind/projections';
import { Pool, type PoolClient, type PoolConfig } from 'pg';
import { checkoutClient, connectionLost } from './checkoutClient';
import { targetOf } from './connectionTarget';
import { attachInline, lockInline } from './inline/postgresInline';
import { DocumentCache } from './documentCache';
import { DbReader, type Queryable } from './postgresDocuments';
import { mapPostgresError, type PostgresTarget } from './postgresErrors';
import { PostgresTransaction, toPosition } from './postgresTransaction';
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
  /**
   * Whether the store may use named (prepared) statements, which `pg` prepares once per connection
   * (default true). Set false behind a pooler in transaction mode that does not track them
   * (PgBouncer before 1.21, or 1.21+ with `max_prepared_statements = 0`; RDS Proxy, Supavisor...):
   * the store then sends only unnamed statements, each parsed and planned again. Every other
   * construct the store uses already works in transaction mode: no session advisory locks, no
   * session `SET`, no `LISTEN`; leases are rows checked inside each commit's transaction.
   */
  readonly preparedStatements?: boolean;
  /**
   * Budget in bytes of the document cache (default 32 MiB; 0 disables it): documents this store read
   * or committed, kept across its transactions, so a handler's `get` of a document written in an
   * earlier batch costs no round trip. Never stale: the first cached read of a transaction checks, in
   * the database, that the namespace's checkpoint row is still the version this store left (every
   * transaction that changes documents, in any process, writes or touches that row); otherwise the
   * namespace's entries are dropped. A transaction that handed out `tx.native` drops the whole cache.
   * Reads outside transactions (`store.collection(...)`) always go to the database.
   */
  readonly documentCacheBytes?: number;
  /**
   * Where the store logs what it did to the database (tables created): a pino logger or anything with
   * its methods ({@link RewindLogger}). Silent by default.
   */
  readonly logger?: RewindLogger;
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
    private readonly preparedStatements: boolean,
    private readonly logger: RewindLogger = silentLogger,
    private readonly cache?: DocumentCache,
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
    const cacheBytes = options.documentCacheBytes ?? 32 * 1024 * 1024;
    if (!Number.isInteger(cacheBytes) || cacheBytes < 0) {
      throw new ValidationError('PostgreSQL read-model store options', [
        {
          path: 'documentCacheBytes',
          value: cacheBytes,
          constraints: { min: 'a whole number from 0 (0 disables the cache)' },
        },
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
      options.preparedStatements ?? true,
      options.logger,
      cacheBytes > 0 ? new DocumentCache(cacheBytes) : undefined,
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
        if (current < SCHEMA_VERSION) {
          this.logger.info(
            { schema: this.t.schema, from: current, to: SCHEMA_VERSION },
            `rewind: created the read-model tables in schema ${this.t.schema}`,
          );
        }
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
    const action = `run a read-model transaction in "${namespace}"`;
    const checkedOut = await checkoutClient(this.pool, this.target, action);
    const { client } = checkedOut;
    let broken: Error | undefined;
    try {
      try {
        await client.query('BEGIN');
      } catch (error) {
        broken = error as Error;
        throw mapPostgresError(error, this.target, `start a read-model transaction in "${namespace}"`);
      }
      const tx = new PostgresTransaction(
        namespace,
        client,
        this.t,
        this.target,
        this.writeBehindRows,
        this.preparedStatements,
        this.cache,
      );
      let committing = false;
      try {
        const result = await work(tx);
        committing = true;
        await tx.commit();
        tx.committed();
        return result;
      } catch (error) {
        // A failed commit may have committed (the connection lost during COMMIT): the cache forgets
        // the namespace. A rolled-back transaction's writes never reach it.
        if (committing || tx.nativeHandedOut) tx.uncertain();
        await tx.settle();
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError as Error;
        });
        // A lost connection is the store's failure, whatever the work threw once its queries failed;
        // the work's own errors pass through untouched (the runner tells handler failures apart).
        const lost = checkedOut.lost();
        if (lost) throw connectionLost(lost, this.target, action);
        // So is a pooler that breaks named statements: the runner fails, saying so, instead of parking
        // every event whose handler read a document.
        if (tx.configurationError) throw tx.configurationError;
        throw error;
      }
    } finally {
      checkedOut.release(broken);
    }
  }

  /**
   * Applies inline projections in the transactions of the PostgresEventStore's appends (the engine
   * calls it for projections declared with `inline: true`): both stores must use one database.
   * @throws ConfigurationError for another event store or another database.
   */
  attachInline(request: InlineAttachRequest): Promise<void> {
    return attachInline(
      {
        pool: this.pool,
        t: this.t,
        target: this.target,
        writeBehindRows: this.writeBehindRows,
        preparedStatements: this.preparedStatements,
      },
      request,
    );
  }

  /** Holds off the appends of an inline projection for the rest of `tx` (a rebuild's swap). */
  lockInline(tx: ReadModelTransaction, eventStore: EventStore, projection: string): Promise<InlineLogReader> {
    return lockInline(tx, eventStore, projection);
  }

  collection<D extends object = Document>(namespace: string, name: string): CollectionReader<D> {
    checkNamespace(namespace);
    checkCollectionName(name);
    return new DbReader<D>(this.pool, this.t, this.target, namespace, name, this.preparedStatements);
  }

  async getCheckpoint(namespace: string): Promise<Position | undefined> {
    checkNamespace(namespace);
    const { rows } = await this.run('read a checkpoint', (db) =>
      db.query<{ commit_pos: string; prepare_pos: string }>(
        `SELECT commit_pos::text AS commit_pos, prepare_pos::text AS prepare_pos FROM ${this.t.checkpoints} WHERE namespace = $1`,
        [namespace],
      ),
    );
    const row = rows[0];
    return row ? toPosition(row.commit_pos, row.prepare_pos) : undefined;
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
    checkNamespace(namespace);
    checkDroppable(namespace);
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
      const removed = await client.query<{ n: number }>(
        `WITH d AS (DELETE FROM ${this.t.documents} WHERE namespace = $1 RETURNING 1),
              c AS (DELETE FROM ${this.t.checkpoints} WHERE namespace = $1 RETURNING 1),
              l AS (DELETE FROM ${this.t.deadLetters} WHERE namespace = $1 RETURNING 1)
         SELECT (SELECT count(*) FROM d) + (SELECT count(*) FROM c) + (SELECT count(*) FROM l) AS n`,
        [namespace],
      );
      if (Number(removed.rows[0]?.n ?? 0) === 0) throw new NamespaceNotFoundError(namespace);
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
    const checkedOut = await checkoutClient(this.pool, this.target, action);
    try {
      return await work(checkedOut.client);
    } catch (error) {
      const lost = checkedOut.lost();
      throw lost ? connectionLost(lost, this.target, action) : mapPostgresError(error, this.target, action);
    } finally {
      checkedOut.release();
    }
  }
}
