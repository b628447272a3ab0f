import type Database from 'better-sqlite3';
import type { DeadLetter } from '@rewind/projections';

/** The read-model tables, created when missing. */
export const READ_MODEL_TABLES = `
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
`;

/** A dead letter as stored. */
export interface DeadLetterRow {
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

/** A stored dead letter as the port's {@link DeadLetter}. */
export function toDeadLetter(r: DeadLetterRow): DeadLetter {
  return {
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
  };
}

type S<P extends unknown[], R = unknown> = Database.Statement<P, R>;

/** Every statement the read-model store runs more than once, prepared once per connection. */
export interface ReadModelStatements {
  readonly changeCounters: S<[], [number, number]>;
  readonly get: S<[string, string, string], string>;
  readonly put: S<[string, string, string, string]>;
  readonly delete: S<[string, string, string]>;
  readonly collections: S<[string], { collection: string }>;
  readonly getCheckpoint: S<[string], { commit_pos: string; prepare_pos: string }>;
  readonly setCheckpoint: S<[string, string, string]>;
  readonly getServed: S<[string], { namespace: string }>;
  readonly setServed: S<[string, string]>;
  readonly servedBy: S<[string], { projection: string }>;
  readonly park: S<
    [string, string, string, string, string, string, string, string, string, string, number, number]
  >;
  readonly unpark: S<[string]>;
  readonly retried: S<[string, string]>;
  readonly letters: S<[], DeadLetterRow>;
  readonly lettersIn: S<[string], DeadLetterRow>;
  readonly takeLock: S<[string, string, number, number], { owner: string }>;
  readonly lock: S<[string], { owner: string; expires_at: number }>;
  readonly releaseLock: S<[string, string]>;
  readonly namespaceExists: S<[string, string, string], number>;
  readonly dropDocuments: S<[string]>;
  readonly dropCheckpoint: S<[string]>;
  readonly dropLetters: S<[string]>;
}

/** Prepares {@link ReadModelStatements} on a connection whose tables exist. */
export function prepareReadModelStatements(db: Database.Database): ReadModelStatements {
  return {
    /** Changes by other connections (data_version) and by this one (total_changes). */
    changeCounters: db
      .prepare<[], [number, number]>('SELECT (SELECT data_version FROM pragma_data_version), total_changes()')
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
    retried: db.prepare<[string, string]>(
      'UPDATE rm_dead_letters SET attempts = attempts + 1, error = ? WHERE id = ?',
    ),
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
    namespaceExists: db
      .prepare<[string, string, string], number>(
        `SELECT EXISTS (SELECT 1 FROM rm_documents WHERE namespace = ?)
             OR EXISTS (SELECT 1 FROM rm_checkpoints WHERE namespace = ?)
             OR EXISTS (SELECT 1 FROM rm_dead_letters WHERE namespace = ?)`,
      )
      .pluck(true),
    dropDocuments: db.prepare<[string]>('DELETE FROM rm_documents WHERE namespace = ?'),
    dropCheckpoint: db.prepare<[string]>('DELETE FROM rm_checkpoints WHERE namespace = ?'),
    dropLetters: db.prepare<[string]>('DELETE FROM rm_dead_letters WHERE namespace = ?'),
  };
}
