import type { QueryConfig } from 'pg';
import type { EventStoreTables } from './eventStoreSchema';

/** The columns every event read selects, in this order (see {@link EventRow}). */
export const EVENT_COLUMNS =
  'e.transaction_id::text AS tx, e.seq::text AS seq, e.stream_id, e.revision::text AS revision, e.event_id, e.type, e.data, e.metadata, e.recorded_at';

/** An event row as `pg` returns {@link EVENT_COLUMNS}. */
export interface EventRow {
  readonly tx: string;
  readonly seq: string;
  readonly stream_id: string;
  readonly revision: string;
  readonly event_id: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: unknown;
  readonly recorded_at: Date;
}

/** The oldest transaction id still running: every row below it is final (see postgresEventStore.ts). */
export const VISIBLE = 'pg_snapshot_xmin(pg_current_snapshot())';

/**
 * The SQL expression of an inline projection's advisory lock key, from an SQL text expression naming
 * the projection (a column or a `$n` parameter). Transaction-scoped locks only: they hold behind a
 * pooler in transaction mode, and end with the transaction.
 */
export function inlineLockKey(t: EventStoreTables, nameSql: string): string {
  return `hashtextextended('rewind-inline:${t.schemaName}:' || ${nameSql}, 0)`;
}

/** Hot statements, named (prepared once per connection) unless prepared statements are off. */
export class EventStatements {
  constructor(
    private readonly t: EventStoreTables,
    private readonly prepared: boolean,
  ) {}

  /** A query config: named when prepared statements are on (the name carries the schema). */
  q(name: string, text: string, values: unknown[]): QueryConfig {
    return this.prepared
      ? { name: `rewind_es_${this.t.schemaName}_${name}`, text, values }
      : { text, values };
  }

  /**
   * Starts the batch's transaction and, in the same round trip, creates missing stream rows (revision
   * -1; `DO NOTHING` waits for a concurrent creator to finish) and locks every stream of the batch
   * with `FOR UPDATE`, in one sorted order (so two batches never deadlock), reading each one's last
   * revision as committed (a locked row is re-read after the writer before us commits). Locking
   * with `SELECT … FOR UPDATE` instead of an upsert writes no new row version per stream. A
   * simple-protocol query (two statements cannot share one extended-protocol message), so the ids are
   * written as escaped string literals (`E'…'`; stream names hold no NUL).
   *
   * Rows are created only for `create` (default: all): streams this process saw committed with a
   * revision are never deleted, so the store skips their insert.
   *
   * Before anything is written (so before the transaction gets its id), it takes the advisory lock of
   * every inline projection that handles one of `eventTypes`, in name order: the transactions that
   * write events of an inline projection get their ids, and commit, in the order they took its lock.
   */
  beginAndLock(
    streamIds: readonly string[],
    eventTypes: readonly string[],
    create: readonly string[] = streamIds,
  ): string {
    const literal = (value: string) => `E'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
    const literals = streamIds.map(literal).join(', ');
    const types = eventTypes.map(literal).join(', ');
    const insert =
      create.length === 0
        ? ''
        : `INSERT INTO ${this.t.streams} (stream_id, revision)
       SELECT id, -1 FROM unnest(ARRAY[${create.map(literal).join(', ')}]::text[]) AS u(id) ORDER BY id COLLATE "C"
       ON CONFLICT (stream_id) DO NOTHING;`;
    return `BEGIN;
     SELECT s.name FROM (SELECT name FROM ${this.t.inline} WHERE event_types && ARRAY[${types}]::text[]
                          ORDER BY name COLLATE "C") s
       CROSS JOIN LATERAL (SELECT pg_advisory_xact_lock(${inlineLockKey(this.t, 's.name')})) l;
     ${insert}
     SELECT stream_id, revision::text AS revision FROM ${this.t.streams}
      WHERE stream_id = ANY(ARRAY[${literals}]::text[]) ORDER BY stream_id COLLATE "C" FOR UPDATE`;
  }

  /** Ids and positions of events in revision ranges (for idempotent appends). */
  storedIds(streamIds: string[], from: string[], to: string[]): QueryConfig {
    return this.q(
      'stored_ids',
      `SELECT e.stream_id, e.revision::text AS revision, e.event_id, e.transaction_id::text AS tx, e.seq::text AS seq
         FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS r(id, f, t)
         JOIN ${this.t.events} e ON e.stream_id = r.id AND e.revision BETWEEN r.f AND r.t
        ORDER BY e.stream_id, e.revision`,
      [streamIds, from, to],
    );
  }

  /**
   * Writes a batch in one statement: inserts its events in order (returning each one's position), sets
   * the streams' last revisions, drops the placeholder rows of streams a failed append would have
   * created, and notifies listeners (delivered at commit).
   */
  write(
    columns: [string[], string[], string[], string[], string[], string[]],
    streamIds: string[],
    revisions: string[],
  ): QueryConfig {
    // Placeholder rows to drop only when an append that created one failed: otherwise no DELETE.
    const drop = revisions.some((r) => r.startsWith('-'));
    return this.q(
      drop ? 'write' : 'write_keep',
      `WITH ins AS (
         INSERT INTO ${this.t.events} (stream_id, revision, event_id, type, data, metadata)
         SELECT s, r, i, ty, d, m
           FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::json[], $6::json[])
                WITH ORDINALITY AS u(s, r, i, ty, d, m, n)
          ORDER BY n
         RETURNING stream_id, revision::text AS revision, transaction_id::text AS tx, seq::text AS seq),
       u AS (SELECT * FROM unnest($7::text[], $8::bigint[]) AS u(id, r)),
       up AS (UPDATE ${this.t.streams} s SET revision = u.r FROM u WHERE s.stream_id = u.id AND u.r >= 0),
       ${drop ? `del AS (DELETE FROM ${this.t.streams} s USING u WHERE s.stream_id = u.id AND u.r < 0 AND s.revision < 0),` : ''}
       n AS (SELECT pg_notify($9, '') AS notified)
       SELECT ins.* FROM ins, n`,
      [...columns, streamIds, revisions, this.t.channel],
    );
  }

  /** Sets the streams' last revisions and drops the placeholder rows of streams nothing was written to. */
  updateStreams(streamIds: string[], revisions: string[]): QueryConfig {
    return this.q(
      'update_streams',
      `WITH u AS (SELECT * FROM unnest($1::text[], $2::bigint[]) AS u(id, r)),
            up AS (UPDATE ${this.t.streams} s SET revision = u.r FROM u WHERE s.stream_id = u.id AND u.r >= 0)
       DELETE FROM ${this.t.streams} s USING u WHERE s.stream_id = u.id AND u.r < 0 AND s.revision < 0`,
      [streamIds, revisions],
    );
  }

  /** The visibility horizon and the newest visible event, in one snapshot. */
  head(): QueryConfig {
    return this.q(
      'head',
      `SELECT x.xmin::text AS xmin, h.tx, h.seq
         FROM (SELECT ${VISIBLE} AS xmin) x
         LEFT JOIN LATERAL (SELECT e.transaction_id::text AS tx, e.seq::text AS seq FROM ${this.t.events} e
                             WHERE e.transaction_id < x.xmin ORDER BY e.transaction_id DESC, e.seq DESC LIMIT 1) h ON true`,
      [],
    );
  }

  streamRevision(streamId: string): QueryConfig {
    return this.q(
      'stream_revision',
      `SELECT revision::text AS revision FROM ${this.t.streams} WHERE stream_id = $1 AND revision >= 0`,
      [streamId],
    );
  }

  readStream(
    backwards: boolean,
    streamId: string,
    low: string,
    high: string,
    until: Date | null,
    limit: number,
  ): QueryConfig {
    return this.q(
      backwards ? 'stream_backwards' : 'stream_forwards',
      `SELECT ${EVENT_COLUMNS} FROM ${this.t.events} e
        WHERE e.stream_id = $1 AND e.revision BETWEEN $2::bigint AND $3::bigint AND ($4::timestamptz IS NULL OR e.recorded_at <= $4)
        ORDER BY e.revision ${backwards ? 'DESC' : 'ASC'} LIMIT $5`,
      [streamId, low, high, until, limit],
    );
  }

  /**
   * A page of the log after (or before) a position, below the visibility horizon `xmin`, matching a
   * filter (types OR stream prefixes; both empty = everything).
   */
  readLog(
    backwards: boolean,
    from: { tx: string; seq: string },
    xmin: string,
    types: readonly string[],
    prefixes: readonly string[],
    limit: number,
    upTo?: { tx: string; seq: string },
  ): QueryConfig {
    const filtered = types.length > 0 || prefixes.length > 0;
    const values: unknown[] = [from.tx, from.seq, xmin, limit];
    const param = (value: unknown) => `$${values.push(value)}`;
    const filter = filtered
      ? `AND (e.type = ANY(${param(types)}::text[]) OR e.stream_id LIKE ANY(${param(prefixes.map(likePrefix))}::text[]))`
      : '';
    const bound = upTo
      ? `AND (e.transaction_id, e.seq) <= (${param(upTo.tx)}::xid8, ${param(upTo.seq)}::bigint)`
      : '';
    return this.q(
      `log_${backwards ? 'b' : 'f'}${filtered ? 'f' : ''}${upTo ? 'u' : ''}`,
      `SELECT ${EVENT_COLUMNS} FROM ${this.t.events} e
        WHERE (e.transaction_id, e.seq) ${backwards ? '<' : '>'} ($1::xid8, $2::bigint) AND e.transaction_id < $3::xid8
        ${filter} ${bound}
        ORDER BY e.transaction_id ${backwards ? 'DESC' : 'ASC'}, e.seq ${backwards ? 'DESC' : 'ASC'} LIMIT $4`,
      values,
    );
  }

  /**
   * The position `window` events after `after` (below the horizon), or nothing when fewer remain: the
   * end of the stretch a filtered subscription page scans, so a rare filter never reads the whole
   * backlog in one statement (an index-only walk of the primary key).
   */
  windowEnd(after: { tx: string; seq: string }, xmin: string, window: number): QueryConfig {
    return this.q(
      'window_end',
      `SELECT e.transaction_id::text AS tx, e.seq::text AS seq FROM ${this.t.events} e
        WHERE (e.transaction_id, e.seq) > ($1::xid8, $2::bigint) AND e.transaction_id < $3::xid8
        ORDER BY e.transaction_id, e.seq OFFSET $4 LIMIT 1`,
      [after.tx, after.seq, xmin, window - 1],
    );
  }

  count(
    after: { tx: string; seq: string },
    types: readonly string[],
    prefixes: readonly string[],
  ): QueryConfig {
    const filtered = types.length > 0 || prefixes.length > 0;
    return this.q(
      `count${filtered ? '_f' : ''}`,
      `SELECT count(*)::text AS n FROM ${this.t.events}
        WHERE (transaction_id, seq) > ($1::xid8, $2::bigint) AND transaction_id < ${VISIBLE}
        ${filtered ? 'AND (type = ANY($3::text[]) OR stream_id LIKE ANY($4::text[]))' : ''}`,
      [after.tx, after.seq, ...(filtered ? [types, prefixes.map(likePrefix)] : [])],
    );
  }

  listStreams(after: string, prefix: string, limit: number): QueryConfig {
    return this.q(
      'list_streams',
      `SELECT stream_id, revision::text AS revision FROM ${this.t.streams}
        WHERE stream_id > $1 AND stream_id >= $2 AND stream_id LIKE $3 AND revision >= 0
        ORDER BY stream_id LIMIT $4`,
      [after, prefix, likePrefix(prefix), limit],
    );
  }
}

/** A LIKE pattern matching names that start with `prefix` (its `%`, `_` and `\` escaped). */
export function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
