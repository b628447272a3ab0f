import type { SqliteEventStore } from '@rewind/sqlite';
import type { DocumentCollection, DocumentStore } from './documents';

type Connection = SqliteEventStore['database'];

/**
 * Read-model documents and checkpoints in the event store's own SQLite file, in a table of the
 * shop's (never Rewind's tables). A stop-gap until `@rewind/sqlite` ships its read-model store: each
 * write commits on its own, so unlike the real runner a crash between a projector's write and its
 * checkpoint can apply one event twice.
 */
export class SqliteDocumentStore implements DocumentStore {
  private readonly statements;

  constructor(db: Connection) {
    db.exec(`CREATE TABLE IF NOT EXISTS shop_documents (
      namespace TEXT NOT NULL, collection TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL,
      PRIMARY KEY (namespace, collection, key)) WITHOUT ROWID`);
    this.statements = {
      get: db.prepare<[string, string, string], { body: string }>(
        'SELECT body FROM shop_documents WHERE namespace = ? AND collection = ? AND key = ?',
      ),
      put: db.prepare<[string, string, string, string]>(
        'INSERT INTO shop_documents (namespace, collection, key, body) VALUES (?, ?, ?, ?) ' +
          'ON CONFLICT (namespace, collection, key) DO UPDATE SET body = excluded.body',
      ),
      delete: db.prepare<[string, string, string]>(
        'DELETE FROM shop_documents WHERE namespace = ? AND collection = ? AND key = ?',
      ),
      all: db.prepare<[string, string], { body: string }>(
        'SELECT body FROM shop_documents WHERE namespace = ? AND collection = ? ORDER BY key',
      ),
      drop: db.prepare<[string]>('DELETE FROM shop_documents WHERE namespace = ?'),
    };
  }

  collection<T extends object>(namespace: string, name: string): DocumentCollection<T> {
    const s = this.statements;
    const get = (key: string): T | undefined => {
      const row = s.get.get(namespace, name, key);
      return row ? (JSON.parse(row.body) as T) : undefined;
    };
    return {
      get: async (key) => get(key),
      put: async (key, document) => void s.put.run(namespace, name, key, JSON.stringify(document)),
      patch: async (key, changes) => {
        const current = get(key);
        if (current) s.put.run(namespace, name, key, JSON.stringify({ ...current, ...changes }));
      },
      delete: async (key) => void s.delete.run(namespace, name, key),
      find: async (filter = {}) =>
        s.all
          .all(namespace, name)
          .map((row) => JSON.parse(row.body) as T)
          .filter((doc) =>
            Object.entries(filter).every(
              ([field, value]) => (doc as Record<string, unknown>)[field] === value,
            ),
          ),
    };
  }

  async dropNamespace(namespace: string): Promise<void> {
    this.statements.drop.run(namespace);
  }
}
