import type Database from 'better-sqlite3';
import type { EventFilter } from '@rewind/core';
import { COLUMNS, type EventRow } from './statements';

/** A row of a page of the log, whatever its columns: its position comes first. */
export type LogRow = [position: number, ...rest: unknown[]];

/** A filter with its empty lists dropped; undefined when it selects everything. */
export function normalizeFilter(filter: EventFilter | undefined): EventFilter | undefined {
  const eventTypes = filter?.eventTypes?.length ? filter.eventTypes : undefined;
  const streamPrefixes = filter?.streamPrefixes?.length ? filter.streamPrefixes : undefined;
  return eventTypes || streamPrefixes ? { eventTypes, streamPrefixes } : undefined;
}

type Param = string | number;
type LogQuery = 'forwards' | 'backwards';

/**
 * How a page filtered by event type finds its rows:
 * - `index`: through `rewind_events_by_type`, one index range per type, each row then looked up in the
 *   table, and the rows of the types merged by a sort;
 * - `scan`: through the table itself, over the page's range of positions, each row's type tested
 *   (`+type IN (...)` keeps SQLite off the index).
 *
 * Which is cheaper depends on the share of events that match, which SQLite cannot know (the file has
 * no statistics, and they would go stale). Measured over 1M events: when nearly all match, the index
 * costs about twice the scan (~3.2 against ~1.8 µs a row); at one event in seven both cost the same;
 * at one in twenty-five the index is ~3× cheaper. A projection's own filter usually matches most of
 * the log. Readers choose with {@link FilterDensity}.
 */
export type LogAccess = 'index' | 'scan';

/** Start scanning when at least this share of the positions a page spanned matched… */
const SCAN_FROM = 0.25;
/** …and go back to the index when at most this share did (apart, so a read does not flip-flop). */
const INDEX_UP_TO = 0.1;

/**
 * The {@link LogAccess} for the next page of one filtered read, from the pages it has read: the share
 * of the positions each spanned that matched. A read starts on the index, which a sparse filter needs
 * (its pages span up to a whole scan window), and costs a dense one a single page to find out.
 */
export class FilterDensity {
  constructor(private current: LogAccess = 'index') {}

  /** How the next page reads. */
  get access(): LogAccess {
    return this.current;
  }

  /** Records a page: `matched` rows found over `spanned` positions. */
  observe(matched: number, spanned: number): void {
    if (spanned <= 0) return;
    const share = matched / spanned;
    if (this.current === 'index' ? share >= SCAN_FROM : share <= INDEX_UP_TO) {
      this.current = this.current === 'index' ? 'scan' : 'index';
    }
  }
}

/**
 * Statements over the global log, filtered in SQL (`type IN (...)`, stream prefixes), prepared once
 * per shape (direction, access, number of types, number of prefixes) and reused. Every query is
 * bounded to a range of positions, `lower < position < upper` (forwards: `<= upper`): a sparse filter
 * then costs one index range per call, and a dense one never makes SQLite sort a large result for a
 * small page.
 */
export class LogStatements<Row extends LogRow = EventRow> {
  private readonly cache = new Map<string, Database.Statement<Param[]>>();

  /** @param columns what a row holds, its position first (default: an {@link EventRow}). */
  constructor(
    private readonly db: Database.Database,
    private readonly columns: string = COLUMNS,
  ) {}

  /** Matching events with `after < position <= upTo`, oldest first. */
  forwards(
    after: number,
    upTo: number,
    filter: EventFilter | undefined,
    limit: number,
    access: LogAccess,
  ): Row[] {
    return this.run('forwards', after, upTo, filter, limit, access);
  }

  /** Matching events with `above < position < before`, newest first. */
  backwards(
    above: number,
    before: number,
    filter: EventFilter | undefined,
    limit: number,
    access: LogAccess,
  ): Row[] {
    return this.run('backwards', above, before, filter, limit, access);
  }

  private run(
    query: LogQuery,
    lower: number,
    upper: number,
    filter: EventFilter | undefined,
    limit: number,
    access: LogAccess,
  ): Row[] {
    const types = filter?.eventTypes ?? [];
    const prefixes = filter?.streamPrefixes ?? [];
    // Without types to filter on there is no index to choose: one statement serves both accesses.
    const how = types.length > 0 ? access : 'index';
    const key = `${query}:${how}:${types.length}:${prefixes.length}`;
    let statement = this.cache.get(key);
    if (!statement) {
      statement = this.db.prepare<Param[]>(logSql(query, filter, how, this.columns)).raw(true);
      this.cache.set(key, statement);
    }
    return statement.all(...logParams(lower, upper, filter, limit)) as Row[];
  }
}

/** The SQL of a bounded, filtered page of the log (see {@link LogStatements}); also run by read-ahead. */
export function logSql(
  query: LogQuery,
  filter: EventFilter | undefined,
  access: LogAccess,
  columns = COLUMNS,
): string {
  const types = filter?.eventTypes?.length ?? 0;
  return buildSql(query, types, filter?.streamPrefixes?.length ?? 0, access, columns);
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

function buildSql(
  query: LogQuery,
  types: number,
  prefixes: number,
  access: LogAccess,
  columns: string,
): string {
  const range = query === 'forwards' ? 'position > ? AND position <= ?' : 'position > ? AND position < ?';
  const matches: string[] = [];
  const type = access === 'scan' ? '+type' : 'type';
  if (types > 0) matches.push(`${type} IN (${Array.from({ length: types }, () => '?').join(', ')})`);
  for (let i = 0; i < prefixes; i++) matches.push('substr(stream_id, 1, length(?)) = ?');
  const filter = matches.length > 0 ? ` AND (${matches.join(' OR ')})` : '';
  const order = query === 'backwards' ? 'DESC' : 'ASC';
  return `SELECT ${columns} FROM rewind_events WHERE ${range}${filter} ORDER BY position ${order} LIMIT ?`;
}
