import type Database from 'better-sqlite3';
import type { EventFilter } from '@rewind/core';
import { COLUMNS, type EventRow } from './statements';

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
