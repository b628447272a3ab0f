import { ConfigurationError, StoreError } from '@rewind/core';
import type { ClientBase } from 'pg';
import { checkSchemaName } from '../schema';

/** The event-store schema version this code writes (tracked apart from the read-model tables'). */
export const EVENT_STORE_SCHEMA_VERSION = 2;

/** The oldest PostgreSQL the event store runs on: `xid8` and `pg_current_xact_id()` came in 13. */
export const MIN_SERVER_VERSION_NUM = 130000;

/** The comment Rewind puts on its event-store tables, to tell them from someone else's. */
export const TABLE_MARKER = 'rewind event store';

/** Qualified, quoted names of the event-store tables in a checked schema. */
export interface EventStoreTables {
  readonly schema: string;
  /** The schema name unquoted (for catalog lookups and statement names). */
  readonly schemaName: string;
  readonly version: string;
  readonly events: string;
  readonly streams: string;
  readonly snapshots: string;
  /** Projections applied inline, in the append's transaction, and the event types each handles. */
  readonly inline: string;
  /** The LISTEN/NOTIFY channel appends notify on. */
  readonly channel: string;
}

/** Table names for a schema (checked first). They do not clash with the read-model store's. */
export function eventStoreTablesIn(schema: string): EventStoreTables {
  checkSchemaName(schema);
  const q = (table: string) => `"${schema}"."${table}"`;
  return {
    schema: `"${schema}"`,
    schemaName: schema,
    version: q('event_store_version'),
    events: q('events'),
    streams: q('streams'),
    snapshots: q('snapshots'),
    inline: q('inline_projections'),
    channel: `rewind_events_${schema}`.slice(0, 63),
  };
}

/**
 * Checks `server_version_num` (e.g. `"150004"`): the server must be PostgreSQL 13 or newer.
 * @throws ConfigurationError naming the version found and the floor.
 */
export function checkServerVersion(serverVersionNum: string | undefined, where: string): void {
  const num = Number(serverVersionNum);
  if (!serverVersionNum || !Number.isInteger(num) || num <= 0) {
    throw new ConfigurationError(
      `${where} does not report a PostgreSQL server_version_num (${JSON.stringify(serverVersionNum)}): the ` +
        'Rewind event store needs PostgreSQL 13 or newer. Point the connection string at a PostgreSQL server.',
    );
  }
  if (num < MIN_SERVER_VERSION_NUM) {
    const major =
      num >= 100000 ? Math.floor(num / 10000) : `${Math.floor(num / 10000)}.${Math.floor(num / 100) % 100}`;
    throw new ConfigurationError(
      `${where} runs PostgreSQL ${major} (server_version_num ${num}); the Rewind event store needs PostgreSQL 13 ` +
        'or newer (server_version_num >= 130000) for its 64-bit transaction ids (xid8). Upgrade the server.',
    );
  }
}

/**
 * DDL of version 1, run inside the migration transaction.
 *
 * `events` is the log. Its order is `(transaction_id, seq)`: `transaction_id` is the appending
 * transaction's 64-bit id, `seq` an identity drawn at insert. Readers only read rows whose transaction
 * id is below the oldest transaction still running (see postgresEventStore.ts), so the order can only
 * grow at its end. Text columns that are compared or sorted use the binary "C" collation.
 */
export function eventStoreSchemaV1(t: EventStoreTables): string[] {
  return [
    `CREATE TABLE ${t.streams} (
       stream_id text COLLATE "C" PRIMARY KEY,
       revision bigint NOT NULL)`,
    `CREATE TABLE ${t.events} (
       transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
       seq bigint GENERATED ALWAYS AS IDENTITY,
       stream_id text COLLATE "C" NOT NULL,
       revision bigint NOT NULL,
       event_id text NOT NULL,
       type text COLLATE "C" NOT NULL,
       data json NOT NULL,
       metadata json NOT NULL,
       recorded_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (transaction_id, seq),
       UNIQUE (stream_id, revision))`,
    `CREATE INDEX events_by_type ON ${t.events} (type, transaction_id, seq)`,
    `CREATE TABLE ${t.snapshots} (
       stream_id text COLLATE "C" PRIMARY KEY,
       revision bigint NOT NULL,
       schema_version integer NOT NULL,
       state json NOT NULL,
       types json,
       taken_at timestamptz NOT NULL)`,
    `COMMENT ON TABLE ${t.streams} IS '${TABLE_MARKER}'`,
    `COMMENT ON TABLE ${t.events} IS '${TABLE_MARKER}'`,
    `COMMENT ON TABLE ${t.snapshots} IS '${TABLE_MARKER}'`,
  ];
}

/**
 * DDL of version 2: the registry of inline projections. Every appender reads it in its transaction's
 * first statement and takes the transaction-scoped advisory lock of each inline projection whose event
 * types the batch holds (see `inlineProjections.ts`), so the processes that do not run a projection
 * still serialize with those that do.
 */
export function eventStoreSchemaV2(t: EventStoreTables): string[] {
  return [
    `CREATE TABLE ${t.inline} (
       name text COLLATE "C" PRIMARY KEY,
       event_types text[] NOT NULL,
       registered_at timestamptz NOT NULL DEFAULT now())`,
    `COMMENT ON TABLE ${t.inline} IS '${TABLE_MARKER}'`,
  ];
}

/**
 * Creates or upgrades the event-store tables in one transaction, serialized across processes by a
 * transaction-scoped advisory lock (safe behind PgBouncer in transaction mode). Nothing is modified
 * when a table of the same name exists that Rewind did not create, or the schema is newer.
 * @throws ConfigurationError naming a foreign table and the fix; StoreError for a newer schema version.
 */
export async function migrateEventStore(
  client: ClientBase,
  t: EventStoreTables,
  where: string,
): Promise<{ readonly from: number; readonly to: number }> {
  await client.query('BEGIN');
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtext('rewind-schema:' || $1::text))", [
      t.schemaName,
    ]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${t.schema}`);
    const { rows } = await client.query<{ relname: string; comment: string | null }>(
      `SELECT c.relname, obj_description(c.oid, 'pg_class') AS comment FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relname = ANY($2::text[])`,
      [t.schemaName, ['event_store_version', 'events', 'streams', 'snapshots', 'inline_projections']],
    );
    const found = new Map(rows.map((row) => [row.relname, row.comment]));
    for (const name of ['events', 'streams', 'snapshots', 'inline_projections']) {
      if (found.has(name) && found.get(name) !== TABLE_MARKER) {
        throw new ConfigurationError(
          `${where}: schema "${t.schemaName}" already holds a table "${name}" that the Rewind event store did ` +
            `not create. Nothing was changed. Give the event store a schema of its own (option \`schema\`), ` +
            'or rename that table.',
        );
      }
    }
    if (!found.has('event_store_version')) {
      if (found.size > 0) {
        throw new ConfigurationError(
          `${where}: schema "${t.schemaName}" holds event-store tables without their version table ` +
            '"event_store_version". Nothing was changed. Restore the table from a backup or use another schema.',
        );
      }
      await client.query(`CREATE TABLE ${t.version} (version integer NOT NULL)`);
      await client.query(`COMMENT ON TABLE ${t.version} IS '${TABLE_MARKER}'`);
    }
    const version = await client.query<{ version: number | null }>(
      `SELECT max(version) AS version FROM ${t.version}`,
    );
    const current = version.rows[0]?.version ?? 0;
    if (current > EVENT_STORE_SCHEMA_VERSION) {
      throw new StoreError(
        `${where}: the event-store schema "${t.schemaName}" is at version ${current}, newer than this ` +
          `@rewind/postgres knows (${EVENT_STORE_SCHEMA_VERSION}). Upgrade @rewind/postgres; do not point an older version at it.`,
      );
    }
    if (current < 1) {
      for (const statement of eventStoreSchemaV1(t)) await client.query(statement);
      await client.query(`INSERT INTO ${t.version} (version) VALUES (1)`);
    }
    if (current < 2) {
      for (const statement of eventStoreSchemaV2(t)) await client.query(statement);
      await client.query(`INSERT INTO ${t.version} (version) VALUES (2)`);
    }
    await client.query('COMMIT');
    return { from: current, to: EVENT_STORE_SCHEMA_VERSION };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
