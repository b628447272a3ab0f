import { ConfigurationError, type Position } from '@rewind/core';
import {
  BufferedBookkeeping,
  checkCollectionName,
  checkNamespace,
  LockLostError,
  type Collection,
  type DeadLetter,
  type Document,
  type ReadModelTransaction,
} from '@rewind/projections';
import type { PoolClient, QueryResultRow } from 'pg';
import { CACHE_TOKEN_SQL, documentId, type DocumentCache, type StagedDocument } from './documentCache';
import { TxCollection, type Queryable, type WriteBehind } from './postgresDocuments';
import { mapPostgresError, type PostgresTarget } from './postgresErrors';
import type { Tables } from './schema';

/** One read-model transaction on a pooled client; see {@link PostgresReadModelStore}. */
export class PostgresTransaction extends BufferedBookkeeping implements ReadModelTransaction, WriteBehind {
  private readonly collections = new Map<string, TxCollection<Document>>();
  private inFlight: Promise<void> = Promise.resolve();
  private failure: unknown;
  private misconfigured: ConfigurationError | undefined;
  private readonly serial: SerialClient;
  /** What this transaction read or wrote, by {@link documentId}: handed to the cache after COMMIT. */
  private readonly staged = new Map<string, StagedDocument>();
  /** The checkpoint row's token read at the first cached read (null: no row); undefined: not read. */
  private baseline: string | null | undefined;
  private validating: Promise<boolean> | undefined;
  /** The tokens the checkpoint write (or touch) replaced and left; undefined: it did not run. */
  private tokens: { prior: string | null; token: string | null } | undefined;
  private documentsWritten = false;
  private nativeUsed = false;

  constructor(
    namespace: string,
    private readonly client: PoolClient,
    private readonly t: Tables,
    private readonly target: PostgresTarget,
    private readonly writeBehindRows: number,
    private readonly preparedStatements: boolean,
    /** The store's document cache, when it keeps one (never for inline projections). */
    private readonly storeCache?: DocumentCache,
  ) {
    super(namespace);
    this.serial = new SerialClient(client);
    // Only namespaces whose handlers read documents use it: a write-only rebuild pays nothing.
    this.cache = storeCache?.wants(namespace) ? storeCache : undefined;
  }

  /** The store's cache when this transaction uses it. */
  private readonly cache: DocumentCache | undefined;

  /**
   * A ConfigurationError one of its statements failed with (a pooler that breaks named statements),
   * whatever the work made of it: the store reports it instead of the work's error, so that a handler
   * that caught or wrapped it cannot turn a misconfiguration into a dead letter.
   */
  get configurationError(): ConfigurationError | undefined {
    return this.misconfigured;
  }

  failed(error: unknown): void {
    if (error instanceof ConfigurationError) this.misconfigured ??= error;
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
    this.nativeUsed = true;
    return this.client;
  }

  /**
   * A document this transaction already knows — written or read by it, or cached by the store and
   * still valid (checked once per transaction in the database) — or undefined: read it.
   */
  async known(collection: string, key: string): Promise<{ json: string | null } | undefined> {
    // Raw SQL through `native` may have changed any document since: read the database.
    if (!this.cache) this.storeCache?.want(this.namespace);
    if (!this.cache || this.nativeUsed) return undefined;
    const id = documentId(collection, key);
    const staged = this.staged.get(id);
    if (staged) return staged.json === undefined ? undefined : { json: staged.json };
    if (!(await this.validate())) return undefined;
    const json = this.cache.get(this.namespace, id);
    return json === undefined ? undefined : { json };
  }

  /** A document read from the database in this transaction (`null`: absent). */
  noteRead(collection: string, key: string, json: string | null): void {
    if (!this.cache) return;
    const id = documentId(collection, key);
    if (!this.staged.has(id)) this.staged.set(id, { json, written: false });
  }

  /** Checks once, in the database, that the cached documents of the namespace are still current. */
  private validate(): Promise<boolean> {
    this.validating ??= this.query<{ token: string }>(
      'check the document cache',
      `SELECT ${CACHE_TOKEN_SQL} AS token FROM ${this.t.checkpoints} AS cp WHERE namespace = $1`,
      [this.namespace],
    ).then(({ rows }) => {
      this.baseline = rows[0]?.token ?? null;
      return this.cache!.validate(this.namespace, this.baseline);
    });
    return this.validating;
  }

  /**
   * The transaction committed: its writes (and, if nothing else changed the namespace meanwhile, its
   * reads) enter the store's cache. Raw SQL through {@link native} may have changed any namespace:
   * the whole cache is dropped.
   */
  committed(): void {
    if (this.nativeUsed) {
      this.storeCache?.clear();
      return;
    }
    if (!this.cache) return;
    const reference =
      this.baseline !== undefined ? (this.baseline ?? undefined) : this.cache.token(this.namespace);
    if (this.tokens) {
      this.cache.committed(this.namespace, this.staged, reference, this.tokens.prior, this.tokens.token);
    } else if (this.baseline !== undefined) {
      this.cache.read(this.namespace, this.staged, reference);
    }
  }

  /** Whether {@link native} was handed out (raw SQL may have run). */
  get nativeHandedOut(): boolean {
    return this.nativeUsed;
  }

  /** The outcome of the COMMIT is unknown (or raw SQL ran before a rollback): forget the namespace. */
  uncertain(): void {
    if (this.nativeUsed) this.storeCache?.clear();
    else this.storeCache?.reset(this.namespace);
  }

  collection<D extends object = Document>(name: string): Collection<D> {
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
      this.preparedStatements,
    );
    this.collections.set(name, collection);
    return collection as unknown as Collection<D>;
  }

  async getCheckpoint(namespace: string = this.namespace): Promise<Position | undefined> {
    if (namespace === this.namespace && this.checkpoint) return this.checkpoint;
    checkNamespace(namespace);
    // Another namespace's checkpoint is locked until this transaction ends (a rebuild's swap reads
    // the served model's and serves its own: the live runner cannot move it in between).
    const { rows } = await this.query<{ commit_pos: string; prepare_pos: string }>(
      'read the checkpoint',
      `SELECT commit_pos::text AS commit_pos, prepare_pos::text AS prepare_pos FROM ${this.t.checkpoints} WHERE namespace = $1${namespace === this.namespace ? '' : ' FOR SHARE'}`,
      [namespace],
    );
    const row = rows[0];
    return row ? toPosition(row.commit_pos, row.prepare_pos) : undefined;
  }

  async getServed(projection: string): Promise<string | undefined> {
    const buffered = this.served.get(projection);
    if (buffered !== undefined) return buffered;
    // Locked until this transaction ends, so a runner's commit and a rebuild's swap take turns (and
    // always lock the served row before any checkpoint row: no deadlock).
    const { rows } = await this.query<{ namespace: string }>(
      'read the served namespace',
      `SELECT namespace FROM ${this.t.served} WHERE projection = $1 FOR UPDATE`,
      [projection],
    );
    return rows[0]?.namespace;
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
    const increments: { collections: string[]; keys: string[]; docs: string[] } = {
      collections: [],
      keys: [],
      docs: [],
    };
    const deletes: { collections: string[]; keys: string[] } = { collections: [], keys: [] };
    for (const [name, collection] of this.collections) {
      for (const [key, write] of collection.pending) {
        this.documentsWritten = true;
        if (this.cache) {
          this.staged.set(documentId(name, key), {
            json: write.kind === 'put' ? write.json : write.kind === 'delete' ? null : undefined,
            written: true,
          });
        }
        if (write.kind === 'put') {
          puts.collections.push(name);
          puts.keys.push(key);
          puts.docs.push(write.json);
        } else if (write.kind === 'patch') {
          patches.collections.push(name);
          patches.keys.push(key);
          patches.docs.push(JSON.stringify(write.fields));
        } else if (write.kind === 'increment') {
          increments.collections.push(name);
          increments.keys.push(key);
          increments.docs.push(JSON.stringify(write.deltas));
        } else {
          deletes.collections.push(name);
          deletes.keys.push(key);
        }
      }
      collection.pending.clear();
    }
    // An increment adds each delta to the stored number (missing or null: 0); any other stored value
    // fails the cast, and with it the transaction, as the other stores refuse it.
    const added = `(SELECT jsonb_object_agg(e.key, to_jsonb(CASE
         WHEN d.doc -> e.key IS NULL OR jsonb_typeof(d.doc -> e.key) = 'null' THEN 0
         WHEN jsonb_typeof(d.doc -> e.key) = 'number' THEN (d.doc ->> e.key)::numeric
         ELSE ('field "' || e.key || '" is not a number and cannot be incremented')::numeric
       END + (e.value)::numeric)) FROM jsonb_each_text(excluded.doc) AS e)`;
    const upsert = (kind: 'put' | 'patch' | 'increment', rows: typeof puts) =>
      this.query(
        kind === 'put' ? 'write documents' : kind === 'patch' ? 'merge documents' : 'increment documents',
        `INSERT INTO ${this.t.documents} AS d (namespace, collection, key, doc)
         SELECT $1, c, k, v FROM ROWS FROM (unnest($2::text[]), unnest($3::text[]), jsonb_array_elements($4::jsonb)) AS w(c, k, v)
         ON CONFLICT (namespace, collection, key) DO UPDATE SET doc = ${
           kind === 'put' ? 'excluded.doc' : kind === 'patch' ? 'd.doc || excluded.doc' : `d.doc || ${added}`
         }`,
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
    if (puts.keys.length > 0) sent.push(upsert('put', puts));
    if (patches.keys.length > 0) sent.push(upsert('patch', patches));
    if (increments.keys.length > 0) sent.push(upsert('increment', increments));
    if (sent.length === 0) return;
    const done = Promise.all(sent).then(
      () => undefined,
      (error: unknown) => {
        this.failure ??= error;
      },
    );
    this.inFlight = this.inFlight.then(() => done);
  }

  /** Writes everything buffered, then COMMITs. */
  async commit(): Promise<void> {
    await this.writeAll();
    await this.query('commit', 'COMMIT', []);
  }

  /**
   * Writes everything buffered — documents, checkpoint, served pointers, dead letters — without ending
   * the transaction (an inline projection's writes, in the transaction of the append).
   */
  async writeAll(): Promise<void> {
    await this.flush();
    if (this.checkpoint) {
      const conflict = `ON CONFLICT (namespace) DO UPDATE SET commit_pos = excluded.commit_pos, prepare_pos = excluded.prepare_pos, updated_at = now()`;
      const values = [this.namespace, this.checkpoint.commit.toString(), this.checkpoint.prepare.toString()];
      if (!this.cache) {
        await this.query(
          'write the checkpoint',
          `INSERT INTO ${this.t.checkpoints} AS cp (namespace, commit_pos, prepare_pos, updated_at) VALUES ($1, $2::numeric, $3::numeric, now()) ${conflict}`,
          values,
        );
      } else {
        // The version of the row it replaces tells whether another transaction changed the namespace
        // since this store's cache was valid; the one it leaves is the cache's next token.
        const { rows } = await this.query<{ prior: string | null; token: string }>(
          'write the checkpoint',
          // The join makes the CTE run (and lock the row) before the upsert changes it.
          `WITH prior AS (SELECT ${CACHE_TOKEN_SQL} AS token FROM ${this.t.checkpoints} AS cp WHERE namespace = $1 FOR UPDATE)
           INSERT INTO ${this.t.checkpoints} AS cp (namespace, commit_pos, prepare_pos, updated_at)
           SELECT $1, $2::numeric, $3::numeric, now() FROM (VALUES (1)) AS one (x) LEFT JOIN prior ON true
           ${conflict} RETURNING (SELECT token FROM prior) AS prior, ${CACHE_TOKEN_SQL} AS token`,
          values,
        );
        this.tokens = { prior: rows[0]?.prior ?? null, token: rows[0]?.token ?? null };
      }
    } else if (this.documentsWritten || this.nativeUsed) {
      // Documents changed without a checkpoint (a dead letter retried, a system record, raw SQL): a new
      // version of the checkpoint row tells every store's document cache (see CACHE_TOKEN_SQL).
      const { rows } = await this.query<{ prior: string | null; token: string }>(
        'mark the namespace changed',
        `WITH prior AS (SELECT ${CACHE_TOKEN_SQL} AS token FROM ${this.t.checkpoints} AS cp WHERE namespace = $1 FOR UPDATE)
         UPDATE ${this.t.checkpoints} AS cp SET updated_at = clock_timestamp() FROM prior WHERE namespace = $1
         RETURNING prior.token AS prior, ${CACHE_TOKEN_SQL} AS token`,
        [this.namespace],
      );
      this.tokens = { prior: rows[0]?.prior ?? null, token: rows[0]?.token ?? null };
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
    if (this.retried.size > 0) {
      await this.query(
        'count dead-letter retries',
        `UPDATE ${this.t.deadLetters} AS l SET attempts = l.attempts + 1, error = r.error
         FROM unnest($1::text[], $2::text[]) AS r(id, error) WHERE l.id = r.id`,
        [[...this.retried.keys()], [...this.retried.values()]],
      );
    }
  }

  private async query<R extends QueryResultRow>(
    action: string,
    text: string,
    values: unknown[],
  ): Promise<{ rows: R[] }> {
    try {
      return await this.serial.query<R>(text, values);
    } catch (error) {
      const mapped = mapPostgresError(error, this.target, `${action} in ${this.namespace}`);
      this.failed(mapped);
      throw mapped;
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

export function toPosition(commit: string | null, prepare: string | null): Position | undefined {
  return commit === null || prepare === null
    ? undefined
    : { commit: BigInt(commit), prepare: BigInt(prepare) };
}
