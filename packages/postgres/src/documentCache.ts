/**
 * The SQL expression that identifies one version of a namespace's checkpoint row (on a table aliased
 * or named `cp`): its creating transaction id (`xmin`, new at every update), the position and the time.
 * Every PostgreSQL read-model transaction that changes documents updates that row (it writes the
 * checkpoint, or touches `updated_at` when it has none to write), so while the token is unchanged no
 * other transaction changed a document of the namespace.
 */
export const CACHE_TOKEN_SQL = `cp.xmin::text || ':' || cp.commit_pos::text || ':' || cp.prepare_pos::text || ':' || cp.updated_at::text`;

/** What a transaction learnt about one document: its JSON, `null` when absent, `undefined` when unknown. */
export interface StagedDocument {
  /** The document's JSON text, `null` when it does not exist, `undefined` when not known here (merged in SQL). */
  readonly json: string | null | undefined;
  /** True for the transaction's own write, false for a read. */
  readonly written: boolean;
}

interface Entry {
  readonly generation: number;
  readonly json: string | null;
  readonly bytes: number;
}

interface NamespaceState {
  /** The checkpoint row's token the entries are valid for; undefined: none are. */
  token: string | undefined;
  generation: number;
}

/** Bytes an entry costs besides its JSON (the key, the map slot). */
const OVERHEAD = 64;

/**
 * Documents a {@link PostgresReadModelStore} read or committed, kept across its transactions so a
 * projection's `get` of a document it wrote in an earlier batch needs no round trip. Bounded by
 * bytes (oldest entries evicted first). Sound by construction: entries of a namespace are served only
 * inside a transaction that checked, in the database, that the namespace's checkpoint row is still the
 * version this store committed (or validated) last — see {@link CACHE_TOKEN_SQL}.
 */
export class DocumentCache {
  private readonly entries = new Map<string, Entry>();
  private readonly namespaces = new Map<string, NamespaceState>();
  /** Namespaces a handler read documents in: only their transactions stage and cache. */
  private readonly reading = new Set<string>();
  private bytes = 0;

  /** @param maxBytes the budget (UTF-16 size of the JSON plus a fixed overhead per entry). */
  constructor(readonly maxBytes: number) {}

  /** Bytes held now (stale entries included until evicted). */
  get size(): number {
    return this.bytes;
  }

  /** A handler read a document in `namespace`: its next transactions use the cache. */
  want(namespace: string): void {
    this.reading.add(namespace);
  }

  /** Whether transactions of `namespace` use the cache (a write-only projection's never pay for it). */
  wants(namespace: string): boolean {
    return this.reading.has(namespace);
  }

  /** The token this store's entries of `namespace` are valid for, if any. */
  token(namespace: string): string | undefined {
    return this.namespaces.get(namespace)?.token;
  }

  /**
   * A transaction read the namespace's token in the database: unless it is the one the entries are
   * valid for, drops them and starts over at this token (none for a missing row).
   * @returns whether entries may be served and added under this token.
   */
  validate(namespace: string, token: string | null): boolean {
    const state = this.state(namespace);
    if (token !== null && state.token === token) return true;
    this.reset(namespace, token ?? undefined);
    return token !== null;
  }

  /** A cached document's JSON (`null`: known absent), or undefined when not cached. */
  get(namespace: string, id: string): string | null | undefined {
    const state = this.namespaces.get(namespace);
    if (state?.token === undefined) return undefined;
    const entry = this.entries.get(cacheKey(namespace, id));
    return entry && entry.generation === state.generation ? entry.json : undefined;
  }

  /** Forgets every document of `namespace`; entries become valid again only under `token`. */
  reset(namespace: string, token?: string): void {
    const state = this.state(namespace);
    state.generation++;
    state.token = token;
  }

  /** Forgets everything (raw SQL ran: any namespace may have changed). */
  clear(): void {
    this.entries.clear();
    this.namespaces.clear();
    this.bytes = 0;
  }

  /**
   * A transaction of `namespace` committed. `prior` is the checkpoint row's token its last statement
   * replaced (null: no row), `token` the one it left (null: no row), `reference` the token its reads
   * were valid for. Entries stay only when nothing else changed the namespace in between.
   */
  committed(
    namespace: string,
    staged: ReadonlyMap<string, StagedDocument>,
    reference: string | undefined,
    prior: string | null,
    token: string | null,
  ): void {
    const unchanged = prior !== null && prior === reference && this.token(namespace) === reference;
    if (!unchanged) this.reset(namespace);
    if (token === null) return;
    this.state(namespace).token = token;
    for (const [id, document] of staged) {
      if (document.written || unchanged) this.set(namespace, id, document.json);
    }
  }

  /** Adds a read-only transaction's reads, if the entries are still valid for the token it checked. */
  read(namespace: string, staged: ReadonlyMap<string, StagedDocument>, reference: string | undefined): void {
    if (reference === undefined || this.token(namespace) !== reference) return;
    for (const [id, document] of staged) this.set(namespace, id, document.json);
  }

  private set(namespace: string, id: string, json: string | null | undefined): void {
    const key = cacheKey(namespace, id);
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.bytes -= old.bytes;
    }
    if (json === undefined) return;
    const bytes = OVERHEAD + 2 * (key.length + (json?.length ?? 0));
    if (bytes > this.maxBytes) return;
    this.entries.set(key, { generation: this.state(namespace).generation, json, bytes });
    this.bytes += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.bytes;
    }
  }

  private state(namespace: string): NamespaceState {
    let state = this.namespaces.get(namespace);
    if (!state) {
      state = { token: undefined, generation: 0 };
      this.namespaces.set(namespace, state);
    }
    return state;
  }
}

/** A document's id within its namespace in the cache and in a transaction's staging. */
export function documentId(collection: string, key: string): string {
  return `${collection}\u0000${key}`;
}

function cacheKey(namespace: string, id: string): string {
  return `${namespace}\u0000${id}`;
}
