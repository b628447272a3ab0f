import { StoreError } from '@rewind/core';
import {
  checkIncrements,
  checkKey,
  incrementDocument,
  parseFilter,
  parseFindOptions,
  type Collection,
  type CollectionReader,
  type Document,
  type Filter,
  type FindOptions,
  type Increments,
  type Keyed,
} from '@rewind/projections';
import type { QueryResultRow } from 'pg';
import { conditionsSql, orderSql, ParameterList } from './filterSql';
import { mapPostgresError, type PostgresTarget } from './postgresErrors';
import type { Tables } from './schema';

/** Anything that runs a parameterized query: the pool or a transaction's client. */
export interface Queryable {
  query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
  query<R extends QueryResultRow>(config: {
    name: string;
    text: string;
    values: unknown[];
  }): Promise<{ rows: R[] }>;
}

/** A buffered write: a whole document (as JSON text), a shallow merge of fields, or a deletion. */
export type Pending =
  | { readonly kind: 'put'; readonly json: string }
  | { readonly kind: 'patch'; readonly fields: Record<string, unknown> }
  | { readonly kind: 'increment'; readonly deltas: Record<string, number> }
  | { readonly kind: 'delete' };

/** What a collection in a transaction needs of it: write-behind of buffered writes. */
export interface WriteBehind {
  /** A write was buffered: send a batch once enough are. */
  noteWrite(): void;
  /** Sends every buffered write and waits for them (before a query that must see them). */
  flush(): Promise<void>;
  /** A statement failed with this error: the transaction keeps a ConfigurationError to report it. */
  failed(error: unknown): void;
  /** A document the transaction knows without a read (its own, or cached and still valid); else undefined. */
  known(collection: string, key: string): Promise<{ json: string | null } | undefined>;
  /** A document read from the database (`null`: absent), for the store's cache. */
  noteRead(collection: string, key: string, json: string | null): void;
}

/** Reads committed documents of one collection (or, on a transaction's client, its own writes too). */
export class DbReader<D extends object> implements CollectionReader<D> {
  constructor(
    protected readonly db: Queryable,
    protected readonly t: Tables,
    protected readonly target: PostgresTarget,
    protected readonly namespace: string,
    protected readonly name: string,
    /** Whether the hot-path read is a named (prepared) statement; false behind a transaction pooler. */
    protected readonly prepared: boolean,
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
    // Behind a transaction pooler (`preparedStatements: false`) an unnamed one: `pg` remembers which
    // statements its connection prepared, but the pooler may run the next transaction on another
    // server session (26000 "does not exist") or hand this session to another client (42P05).
    const text = `SELECT doc FROM ${this.t.documents} WHERE namespace = $1 AND collection = $2 AND key = $3`;
    const values = [this.namespace, this.name, key];
    try {
      const { rows } = this.prepared
        ? await this.db.query<{ doc: Document }>({ name: `rewind-get:${this.t.documents}`, text, values })
        : await this.db.query<{ doc: Document }>(text, values);
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
export class TxCollection<D extends object> extends DbReader<D> implements Collection<D> {
  readonly pending = new Map<string, Pending>();

  constructor(
    private readonly tx: WriteBehind,
    db: Queryable,
    t: Tables,
    target: PostgresTarget,
    namespace: string,
    name: string,
    prepared: boolean,
  ) {
    super(db, t, target, namespace, name, prepared);
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

  async increment(key: string, deltas: Increments): Promise<void> {
    checkKey(key);
    checkIncrements(deltas);
    const current = this.pending.get(key);
    if (current === undefined || current.kind === 'increment') {
      // Added by the database at flush: no read, no round trip now.
      const summed: Record<string, number> = { ...(current?.kind === 'increment' ? current.deltas : {}) };
      for (const field of Object.keys(deltas)) summed[field] = (summed[field] ?? 0) + deltas[field]!;
      this.pending.set(key, { kind: 'increment', deltas: summed });
    } else {
      const base = await this.load(key);
      this.pending.set(key, { kind: 'put', json: toJson(incrementDocument(base, deltas, key)) });
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
    let stored: Document | undefined;
    try {
      // Written or read earlier in this transaction, or cached by the store and still valid: no round trip.
      const known = await this.tx.known(this.name, key);
      if (known) {
        stored = known.json === null ? undefined : (JSON.parse(known.json) as Document);
      } else {
        stored = await super.load(key);
        this.tx.noteRead(this.name, key, stored === undefined ? null : JSON.stringify(stored));
      }
    } catch (error) {
      this.tx.failed(error);
      throw error;
    }
    if (buffered?.kind === 'patch') {
      const merged = { ...stored, ...buffered.fields };
      this.pending.set(key, { kind: 'put', json: JSON.stringify(merged) });
      return JSON.parse(JSON.stringify(merged)) as Document;
    }
    if (buffered?.kind === 'increment') {
      let incremented: Document;
      try {
        incremented = incrementDocument(stored, buffered.deltas, key);
      } catch (error) {
        this.tx.failed(error);
        throw error;
      }
      this.pending.set(key, { kind: 'put', json: JSON.stringify(incremented) });
      return JSON.parse(JSON.stringify(incremented)) as Document;
    }
    return stored;
  }

  protected override async beforeQuery(): Promise<void> {
    await this.tx.flush();
  }

  protected override async query<R extends QueryResultRow>(
    action: string,
    text: string,
    values: unknown[],
  ): Promise<{ rows: R[] }> {
    try {
      return await super.query<R>(action, text, values);
    } catch (error) {
      this.tx.failed(error);
      throw error;
    }
  }
}

export /** JSON text of a document: a private copy with JSON's meaning (toJSON honoured, undefined dropped). */
function toJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (typeof json !== 'string' || !json.startsWith('{')) {
    throw new StoreError(
      `A read-model document must be a JSON object; got ${json === undefined ? typeof value : json.slice(0, 40)}.`,
    );
  }
  return json;
}
