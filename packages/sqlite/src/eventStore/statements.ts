import type Database from 'better-sqlite3';
import {
  sequencePosition,
  type EventFilter,
  type RecordedEvent,
  type StoredEventMetadata,
} from '@rewind/core';

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

const COLUMNS = 'position, stream_id, revision, event_id, type, data, metadata, recorded_at';

/** The statements the event store runs on every call, prepared once per connection. */
export interface EventStatements {
  readonly streamRevision: Database.Statement<[string], { revision: number }>;
  readonly upsertStream: Database.Statement<[string, number]>;
  readonly insert: Database.Statement<[string, number, string, string, string, string, number]>;
  readonly lastRecordedAt: Database.Statement<[], { recorded_at: number }>;
  readonly head: Database.Statement<[], number | null>;
  readonly revisionAt: Database.Statement<[string, number], number>;
  readonly streamForwards: Database.Statement<[string, number, number, number]>;
  readonly streamBackwards: Database.Statement<[string, number, number, number]>;
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
    head: db.prepare<[], number | null>('SELECT MAX(position) FROM rewind_events').pluck(true),
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
    listStreams: db.prepare<[string, string, string, number], { stream_id: string; revision: number }>(
      'SELECT stream_id, revision FROM rewind_streams WHERE stream_id > ? AND substr(stream_id, 1, length(?)) = ? ORDER BY stream_id LIMIT ?',
    ),
  };
}

/** A filter with its empty lists dropped; undefined when it selects everything. */
export function normalizeFilter(filter: EventFilter | undefined): EventFilter | undefined {
  const eventTypes = filter?.eventTypes?.length ? filter.eventTypes : undefined;
  const streamPrefixes = filter?.streamPrefixes?.length ? filter.streamPrefixes : undefined;
  return eventTypes || streamPrefixes ? { eventTypes, streamPrefixes } : undefined;
}

type Param = string | number;
type LogQuery = 'forwards' | 'backwards';

/**
 * Statements over the global log, filtered in SQL (`type IN (...)`, stream prefixes), prepared once
 * per shape (direction, number of types, number of prefixes) and reused. Every query is bounded to
 * a range of positions, `lower < position < upper` (forwards: `<= upper`): a sparse filter then costs
 * one index range per call, and a dense one never makes SQLite sort a large result for a small page.
 */
export class LogStatements {
  private readonly cache = new Map<string, Database.Statement<Param[]>>();

  constructor(private readonly db: Database.Database) {}

  /** Matching events with `after < position <= upTo`, oldest first. */
  forwards(after: number, upTo: number, filter: EventFilter | undefined, limit: number): EventRow[] {
    return this.run('forwards', after, upTo, filter, limit);
  }

  /** Matching events with `above < position < before`, newest first. */
  backwards(above: number, before: number, filter: EventFilter | undefined, limit: number): EventRow[] {
    return this.run('backwards', above, before, filter, limit);
  }

  private run(
    query: LogQuery,
    lower: number,
    upper: number,
    filter: EventFilter | undefined,
    limit: number,
  ): EventRow[] {
    const types = filter?.eventTypes ?? [];
    const prefixes = filter?.streamPrefixes ?? [];
    const key = `${query}:${types.length}:${prefixes.length}`;
    let statement = this.cache.get(key);
    if (!statement) {
      statement = this.db.prepare<Param[]>(logSql(query, filter)).raw(true);
      this.cache.set(key, statement);
    }
    return statement.all(...logParams(lower, upper, filter, limit)) as EventRow[];
  }
}

/** The SQL of a bounded, filtered page of the log (see {@link LogStatements}); also run by read-ahead. */
export function logSql(query: LogQuery, filter: EventFilter | undefined): string {
  return buildSql(query, filter?.eventTypes?.length ?? 0, filter?.streamPrefixes?.length ?? 0);
}

/** The parameters of {@link logSql}: bounds, filter values, page size. */
export function logParams(
  lower: number,
  upper: number,
  filter: EventFilter | undefined,
  limit: number,
): Param[] {
  const params: Param[] = [lower, upper, ...(filter?.eventTypes ?? [])];
  for (const prefix of filter?.streamPrefixes ?? []) params.push(prefix, prefix);
  params.push(limit);
  return params;
}

function buildSql(query: LogQuery, types: number, prefixes: number): string {
  const range = query === 'forwards' ? 'position > ? AND position <= ?' : 'position > ? AND position < ?';
  const matches: string[] = [];
  if (types > 0) matches.push(`type IN (${Array.from({ length: types }, () => '?').join(', ')})`);
  for (let i = 0; i < prefixes; i++) matches.push('substr(stream_id, 1, length(?)) = ?');
  const filter = matches.length > 0 ? ` AND (${matches.join(' OR ')})` : '';
  const order = query === 'backwards' ? 'DESC' : 'ASC';
  return `SELECT ${COLUMNS} FROM rewind_events WHERE ${range}${filter} ORDER BY position ${order} LIMIT ?`;
}

/**
 * Turns a page of raw rows into the port's events. Events appended together usually carry the same
 * metadata text (one command, one correlation): consecutive rows with identical text share one parsed,
 * deeply frozen metadata object instead of parsing it again.
 */
export function toRecordedPage(rows: readonly EventRow[]): RecordedEvent[] {
  const out = new Array<RecordedEvent>(rows.length);
  let metadataText = '';
  let metadata: StoredEventMetadata | undefined;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (metadata === undefined || row[6] !== metadataText) {
      metadataText = row[6];
      metadata = deepFreeze(JSON.parse(metadataText) as StoredEventMetadata);
    }
    out[i] = {
      id: row[3],
      streamId: row[1],
      revision: BigInt(row[2]),
      position: sequencePosition(row[0]),
      type: row[4],
      data: JSON.parse(row[5]) as unknown,
      metadata,
      recordedAt: new Date(row[7]),
    };
  }
  return out;
}

/** A page as the read-ahead worker packs it (worker/readAhead.js). */
export interface PackedPage {
  readonly data: string;
  readonly strings: string;
  readonly metadata: readonly string[];
  readonly numbers: Float64Array;
}

/**
 * Turns a packed page from the read-ahead worker into the port's events: the same objects
 * {@link toRecordedPage} builds, from two JSON parses per page plus one per distinct metadata text.
 * @throws SyntaxError when stored data is not JSON.
 */
export function fromPackedPage(page: PackedPage): RecordedEvent[] {
  const data = JSON.parse(page.data) as unknown[];
  const strings = JSON.parse(page.strings) as string[];
  const metadata = page.metadata.map((text) => deepFreeze(JSON.parse(text) as StoredEventMetadata));
  const numbers = page.numbers;
  const n = data.length;
  const out = new Array<RecordedEvent>(n);
  for (let i = 0; i < n; i++) {
    out[i] = {
      id: strings[n + i]!,
      streamId: strings[i]!,
      revision: BigInt(numbers[i * 4 + 1]!),
      position: sequencePosition(numbers[i * 4]!),
      type: strings[2 * n + i]!,
      data: data[i],
      metadata: metadata[numbers[i * 4 + 3]!]!,
      recordedAt: new Date(numbers[i * 4 + 2]!),
    };
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}
