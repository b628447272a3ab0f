import type { SnapshotStorage, StoredSnapshot } from '@rewind/core';
import type { QueryConfig } from 'pg';
import type { PostgresEventStore } from './postgresEventStore';
import { internalsOf, type EventStoreInternals } from './storeInternals';

interface SnapshotRow {
  revision: string;
  schema_version: number;
  state: string;
  types: string | null;
  taken_at: Date;
}

/**
 * Aggregate snapshots beside the events, in the event store's schema (table `snapshots`, one row per
 * stream; a snapshot never replaces a newer one). Pass it to `createRewind({ snapshots })`.
 *
 * @example
 * const store = await PostgresEventStore.connect({ connectionString });
 * const rewind = createRewind({ eventStore: store, aggregates: [Order], snapshots: new PostgresSnapshotStorage(store) });
 */
export class PostgresSnapshotStorage implements SnapshotStorage {
  private readonly store: EventStoreInternals;

  /** Keeps snapshots in the schema of `eventStore`, through its pool. */
  constructor(eventStore: PostgresEventStore) {
    this.store = internalsOf(eventStore);
  }

  private q(name: string, text: string, values: unknown[]): QueryConfig {
    return this.store.preparedStatements
      ? { name: `rewind_es_${this.store.tables.schemaName}_${name}`, text, values }
      : { text, values };
  }

  /** The stream's latest snapshot, or undefined. */
  async read(streamId: string): Promise<StoredSnapshot | undefined> {
    const rows = await this.store.query<SnapshotRow>(
      `read the snapshot of "${streamId}"`,
      this.q(
        'snapshot_read',
        // state and types as text: a corrupt row surfaces as a parse error, which the SnapshotStore ignores.
        `SELECT revision::text AS revision, schema_version, state::text AS state, types::text AS types, taken_at
           FROM ${this.store.tables.snapshots} WHERE stream_id = $1`,
        [streamId],
      ),
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      streamId,
      revision: BigInt(row.revision),
      schemaVersion: row.schema_version,
      state: JSON.parse(row.state) as unknown,
      ...(row.types ? { $types: JSON.parse(row.types) as Record<string, 'date' | 'bigint'> } : {}),
      takenAt: row.taken_at,
    };
  }

  /** Stores a snapshot unless the stored one is newer. */
  async write(snapshot: StoredSnapshot): Promise<void> {
    await this.store.query(
      `write the snapshot of "${snapshot.streamId}"`,
      this.q(
        'snapshot_write',
        `INSERT INTO ${this.store.tables.snapshots} AS s (stream_id, revision, schema_version, state, types, taken_at)
         VALUES ($1, $2::bigint, $3, $4::json, $5::json, $6)
         ON CONFLICT (stream_id) DO UPDATE SET revision = excluded.revision, schema_version = excluded.schema_version,
           state = excluded.state, types = excluded.types, taken_at = excluded.taken_at
         WHERE excluded.revision >= s.revision`,
        [
          snapshot.streamId,
          snapshot.revision.toString(),
          snapshot.schemaVersion,
          JSON.stringify(snapshot.state),
          snapshot.$types ? JSON.stringify(snapshot.$types) : null,
          snapshot.takenAt,
        ],
      ),
    );
  }
}
