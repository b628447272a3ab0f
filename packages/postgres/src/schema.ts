import { ValidationError } from '@rewind/core';

/** The schema version this code writes; `migrate()` refuses a database at a newer one. */
export const SCHEMA_VERSION = 1;

/**
 * Checks a schema name strictly (lower-case letters, digits and `_`, starting with a letter or `_`, at
 * most 63 characters) so it can be written into SQL as a quoted identifier. It is configuration, never
 * request input; namespaces, collections and keys are column values, always parameters.
 * @throws ValidationError naming the bad schema.
 */
export function checkSchemaName(schema: string): void {
  if (typeof schema !== 'string' || !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new ValidationError('PostgreSQL schema name', [
      {
        path: 'schema',
        value: schema,
        constraints: {
          pattern: `${JSON.stringify(schema)} is not a schema name: use lower-case letters, digits and "_" (max 63), starting with a letter or "_"`,
        },
      },
    ]);
  }
}

/** Qualified, quoted table names in a checked schema. */
export interface Tables {
  readonly schema: string;
  readonly version: string;
  readonly documents: string;
  readonly checkpoints: string;
  readonly served: string;
  readonly locks: string;
  readonly deadLetters: string;
}

/** Table names for a schema (checked first). */
export function tablesIn(schema: string): Tables {
  checkSchemaName(schema);
  const q = (table: string) => `"${schema}"."${table}"`;
  return {
    schema: `"${schema}"`,
    version: q('schema_version'),
    documents: q('documents'),
    checkpoints: q('checkpoints'),
    served: q('served'),
    locks: q('locks'),
    deadLetters: q('dead_letters'),
  };
}

/**
 * DDL for version 1, idempotent. Text columns that are compared or sorted use the binary "C" collation.
 * Documents leave 30% of each page free so that rewriting a document (the common case: a projection
 * updates the same keys over and over) can stay on its page without touching the index (HOT updates).
 */
export function schemaV1(t: Tables): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${t.documents} (
       namespace text COLLATE "C" NOT NULL,
       collection text COLLATE "C" NOT NULL,
       key text COLLATE "C" NOT NULL,
       doc jsonb NOT NULL,
       PRIMARY KEY (namespace, collection, key))
     WITH (fillfactor = 70)`,
    `CREATE TABLE IF NOT EXISTS ${t.checkpoints} (
       namespace text COLLATE "C" PRIMARY KEY,
       commit_pos numeric(20, 0) NOT NULL,
       prepare_pos numeric(20, 0) NOT NULL,
       updated_at timestamptz NOT NULL DEFAULT now())`,
    `CREATE TABLE IF NOT EXISTS ${t.served} (
       projection text COLLATE "C" PRIMARY KEY,
       namespace text COLLATE "C" NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${t.locks} (
       name text COLLATE "C" PRIMARY KEY,
       owner text NOT NULL,
       expires_at timestamptz NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${t.deadLetters} (
       id text PRIMARY KEY,
       namespace text COLLATE "C" NOT NULL,
       projection text NOT NULL,
       event_id text NOT NULL,
       event_type text NOT NULL,
       stream_id text NOT NULL,
       revision numeric(20, 0) NOT NULL,
       commit_pos numeric(20, 0) NOT NULL,
       prepare_pos numeric(20, 0) NOT NULL,
       error text NOT NULL,
       attempts integer NOT NULL,
       parked_at timestamptz NOT NULL DEFAULT now())`,
    `CREATE INDEX IF NOT EXISTS dead_letters_by_position ON ${t.deadLetters} (namespace, commit_pos, prepare_pos)`,
  ];
}
