import type { Document } from '@rewind/projections';

/** A cached document (parsed, never handed out: readers get copies) and the length of its text. */
export interface CachedDocument {
  doc: Document;
  size: number;
}

/**
 * Documents by (namespace, collection, key); `null` caches "no such document". Bounded by the bytes
 * of their text; when full, the entries cached first go first (a document committed again is updated
 * where it is). Valid only while the file's change signature (see `validate`) is the one recorded
 * after this store's last commit.
 * @internal
 */
export class DocumentCache {
  /** `namespace \0 collection` → key → text: lookups hash the short key only. */
  private readonly collections = new Map<string, Map<string, CachedDocument | null>>();
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
  collection(namespace: string, collection: string): Map<string, CachedDocument | null> {
    const id = `${namespace}\u0000${collection}`;
    let entries = this.collections.get(id);
    if (!entries) this.collections.set(id, (entries = new Map()));
    return entries;
  }

  set(entries: Map<string, CachedDocument | null>, key: string, json: CachedDocument | null): void {
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

  /**
   * Caches what this store just committed under `key` (`null`: deleted). An entry already cached is
   * updated in place: a catch-up window rewrites thousands of documents per commit, and replacing
   * each entry made as many objects to collect, and re-hashed the map as often.
   */
  committed(
    entries: Map<string, CachedDocument | null>,
    key: string,
    doc: Document | null,
    size: number,
  ): void {
    if (this.maxBytes <= 0) return;
    const previous = entries.get(key);
    if (!previous || !doc || entryCost(key, size) > this.maxBytes / 16) {
      this.set(entries, key, doc ? { doc, size } : null);
      return;
    }
    this.bytes += size - previous.size;
    previous.doc = doc;
    previous.size = size;
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

/** Approximate bytes an entry holds: its document's text plus Map and string overhead. */
function cost(key: string, json: CachedDocument | null): number {
  return entryCost(key, json?.size ?? 0);
}

/** The bytes an entry of a document whose text is `size` long counts for. */
function entryCost(key: string, size: number): number {
  return key.length + size + 64;
}
