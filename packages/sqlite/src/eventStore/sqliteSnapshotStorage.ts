import type { SnapshotStorage, StoredSnapshot } from '@rewind/core';
import type { SqliteEventStore } from './sqliteEventStore';
import { mapSqliteError } from './sqliteErrors';

interface SnapshotRow {
  revision: number;
  schema_version: number;
  state: string;
  types: string | null;
  taken_at: number;
}

/**
 * Aggregate snapshots in the event store's own file (table `rewind_snapshots`, one row per stream).
 * Pass it to `createRewind({ snapshots })`.
 *
 * @example
 * const store = SqliteEventStore.open('.data/events.db');
 * const rewind = createRewind({ eventStore: store, aggregates: [Order], snapshots: new SqliteSnapshotStorage(store) });
 */
export class SqliteSnapshotStorage implements SnapshotStorage {
  private readonly readStatement;
  private readonly writeStatement;

  constructor(private readonly store: SqliteEventStore) {
    const db = store.database;
    this.readStatement = db.prepare<[string], SnapshotRow>(
      'SELECT revision, schema_version, state, types, taken_at FROM rewind_snapshots WHERE stream_id = ?',
    );
    this.writeStatement = db.prepare<[string, number, number, string, string | null, number]>(
      `INSERT INTO rewind_snapshots (stream_id, revision, schema_version, state, types, taken_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (stream_id) DO UPDATE SET revision = excluded.revision, schema_version = excluded.schema_version,
         state = excluded.state, types = excluded.types, taken_at = excluded.taken_at
       WHERE excluded.revision >= rewind_snapshots.revision`,
    );
  }

  async read(streamId: string): Promise<StoredSnapshot | undefined> {
    let row: SnapshotRow | undefined;
    try {
      row = this.readStatement.get(streamId);
    } catch (error) {
      throw mapSqliteError(error, this.store.path, `read the snapshot of "${streamId}"`);
    }
    if (!row) return undefined;
    return {
      streamId,
      revision: BigInt(row.revision),
      schemaVersion: row.schema_version,
      // A corrupt row surfaces here as a parse error; the SnapshotStore then ignores it with a warning.
      state: JSON.parse(row.state) as unknown,
      ...(row.types ? { $types: JSON.parse(row.types) as Record<string, 'date' | 'bigint'> } : {}),
      takenAt: new Date(row.taken_at),
    };
  }

  async write(snapshot: StoredSnapshot): Promise<void> {
    try {
      this.writeStatement.run(
        snapshot.streamId,
        Number(snapshot.revision),
        snapshot.schemaVersion,
        JSON.stringify(snapshot.state),
        snapshot.$types ? JSON.stringify(snapshot.$types) : null,
        snapshot.takenAt.getTime(),
      );
    } catch (error) {
      throw mapSqliteError(error, this.store.path, `write the snapshot of "${snapshot.streamId}"`);
    }
  }
}
