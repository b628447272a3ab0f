import type Database from 'better-sqlite3';

/** A row of `rewind_events` as read with `.raw()`: an array, no per-column object. */
export type EventRow = [
  position: number,
  streamId: string,
  revision: number,
  eventId: string,
  type: string,
  data: string,
  metadata: string,
  recordedAt: number,
];

/** The columns of an {@link EventRow}, in order. */
export const COLUMNS = 'position, stream_id, revision, event_id, type, data, metadata, recorded_at';

/**
 * A row of `rewind_events` as the read-ahead worker reads it: its texts but the metadata already
 * joined by SQLite into one piece of a JSON array (see {@link PACKED_COLUMNS}). Two strings per row
 * instead of five: making each column a JavaScript string was most of the worker's cost.
 */
export type PackedRow = [
  position: number,
  revision: number,
  recordedAt: number,
  texts: string,
  metadata: string,
];

/**
 * The columns of a {@link PackedRow}: stream id, event id and type quoted as JSON strings by SQLite
 * (`json_quote`), then the stored payload as it is (it is JSON already), comma-separated.
 */
export const PACKED_COLUMNS =
  "position, revision, recorded_at, json_quote(stream_id) || ',' || json_quote(event_id) || ',' || " +
  "json_quote(type) || ',' || data, metadata";

/** The newest position in the log (NULL when empty). */
export const HEAD_SQL = 'SELECT MAX(position) FROM rewind_events';

/** The statements the event store runs on every call, prepared once per connection. */
export interface EventStatements {
  readonly streamRevision: Database.Statement<[string], { revision: number }>;
  readonly upsertStream: Database.Statement<[string, number]>;
  readonly insert: Database.Statement<[string, number, string, string, string, string, number]>;
  readonly lastRecordedAt: Database.Statement<[], { recorded_at: number }>;
  readonly head: Database.Statement<[], number | null>;
  /** Changes exactly when another connection commits (see `KnownRevisions`). */
  readonly dataVersion: Database.Statement<[], number>;
  readonly revisionAt: Database.Statement<[string, number], number>;
  readonly streamForwards: Database.Statement<[string, number, number, number]>;
  readonly streamBackwards: Database.Statement<[string, number, number, number]>;
  /** Event ids and positions of a stream's revisions from..to, to recognise a retried append. */
  readonly storedIds: Database.Statement<[string, number, number], { event_id: string; position: number }>;
  readonly listStreams: Database.Statement<
    [string, string, string, number],
    { stream_id: string; revision: number }
  >;
}

/** Prepares {@link EventStatements} on a connection whose schema is current. */
export function prepareStatements(db: Database.Database): EventStatements {
  return {
    streamRevision: db.prepare<[string], { revision: number }>(
      'SELECT revision FROM rewind_streams WHERE stream_id = ?',
    ),
    upsertStream: db.prepare<[string, number]>(
      'INSERT INTO rewind_streams (stream_id, revision) VALUES (?, ?) ON CONFLICT (stream_id) DO UPDATE SET revision = excluded.revision',
    ),
    insert: db.prepare<[string, number, string, string, string, string, number]>(
      'INSERT INTO rewind_events (stream_id, revision, event_id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    lastRecordedAt: db.prepare<[], { recorded_at: number }>(
      'SELECT recorded_at FROM rewind_events ORDER BY position DESC LIMIT 1',
    ),
    head: db.prepare<[], number | null>(HEAD_SQL).pluck(true),
    dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(true),
    /** The stream's last revision recorded at or before a moment: one seek on rewind_events_by_stream_time. */
    revisionAt: db
      .prepare<[string, number], number>(
        'SELECT revision FROM rewind_events WHERE stream_id = ? AND recorded_at <= ? ORDER BY recorded_at DESC, revision DESC LIMIT 1',
      )
      .pluck(true),
    streamForwards: db
      .prepare<[string, number, number, number]>(
        `SELECT ${COLUMNS} FROM rewind_events WHERE stream_id = ? AND revision >= ? AND revision <= ? ORDER BY revision LIMIT ?`,
      )
      .raw(true),
    streamBackwards: db
      .prepare<[string, number, number, number]>(
        `SELECT ${COLUMNS} FROM rewind_events WHERE stream_id = ? AND revision <= ? AND revision >= ? ORDER BY revision DESC LIMIT ?`,
      )
      .raw(true),
    storedIds: db.prepare<[string, number, number], { event_id: string; position: number }>(
      'SELECT event_id, position FROM rewind_events WHERE stream_id = ? AND revision BETWEEN ? AND ? ORDER BY revision',
    ),
    listStreams: db.prepare<[string, string, string, number], { stream_id: string; revision: number }>(
      'SELECT stream_id, revision FROM rewind_streams WHERE stream_id > ? AND substr(stream_id, 1, length(?)) = ? ORDER BY stream_id LIMIT ?',
    ),
  };
}
