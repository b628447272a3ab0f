/** A collection of JSON documents by key: what projectors write and queries read. */
export interface DocumentCollection<T extends object> {
  get(key: string): Promise<T | undefined>;
  put(key: string, document: T): Promise<void>;
  /** Merges top-level fields into an existing document (no-op when it is missing). */
  patch(key: string, changes: Partial<T>): Promise<void>;
  delete(key: string): Promise<void>;
  /** Every document whose fields equal the filter's (all of them without a filter), by key order. */
  find(filter?: Partial<T>): Promise<T[]>;
}

/** Collections grouped by namespace (one namespace per projection version). */
export interface DocumentStore {
  collection<T extends object>(namespace: string, name: string): DocumentCollection<T>;
  /** Drops every collection of a namespace. */
  dropNamespace(namespace: string): Promise<void>;
}

/**
 * Documents held in memory. Values are copied on the way in and out, as a real store would, so
 * projectors cannot change a read model by mutating what they read.
 */
export class InMemoryDocumentStore implements DocumentStore {
  private readonly data = new Map<string, Map<string, string>>();

  collection<T extends object>(namespace: string, name: string): DocumentCollection<T> {
    const id = `${namespace}/${name}`;
    const table = (): Map<string, string> => {
      let table = this.data.get(id);
      if (!table) this.data.set(id, (table = new Map()));
      return table;
    };
    const read = (json: string | undefined) => (json === undefined ? undefined : (JSON.parse(json) as T));
    return {
      get: async (key) => read(table().get(key)),
      put: async (key, document) => void table().set(key, JSON.stringify(document)),
      patch: async (key, changes) => {
        const current = read(table().get(key));
        if (current) table().set(key, JSON.stringify({ ...current, ...changes }));
      },
      delete: async (key) => void table().delete(key),
      find: async (filter = {}) =>
        [...table().entries()]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([, json]) => JSON.parse(json) as T)
          .filter((doc) =>
            Object.entries(filter).every(
              ([field, value]) => (doc as Record<string, unknown>)[field] === value,
            ),
          ),
    };
  }

  async dropNamespace(namespace: string): Promise<void> {
    for (const id of [...this.data.keys()]) if (id.startsWith(`${namespace}/`)) this.data.delete(id);
  }
}
