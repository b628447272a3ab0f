import { StreamNotFoundError } from '../errors/errors';
import type { EventStore } from '../eventStore/eventStore';
import type { SnapshotStorage, StoredSnapshot } from './snapshotStore';

/** The event type snapshots are stored as. */
export const SNAPSHOT_EVENT_TYPE = 'rewind.snapshot';

interface SnapshotData {
  revision: string;
  schemaVersion: number;
  state: unknown;
  $types?: Record<string, 'date' | 'bigint'>;
  takenAt: string;
}

/**
 * Snapshots kept in the event store itself, for stores without a table of their own (EventStoreDB):
 * each snapshot is an event in a companion stream `<prefix><streamId>` (default prefix `snapshot-`),
 * and the latest one is a single backwards read. Aggregates never see these streams (they are not
 * `<category>-<id>` of any aggregate unless you name one `snapshot`).
 *
 * On EventStoreDB, set `$maxCount = 1` on the `snapshot-` streams (stream metadata, or a `$ce-snapshot`
 * policy) so old snapshots are scavenged; they are only ever read backwards one at a time, so leaving
 * them costs disk, not load time.
 *
 * @example
 * const rewind = createRewind({ eventStore, aggregates: [Order], snapshots: new EventStoreSnapshotStorage(eventStore) });
 */
export class EventStoreSnapshotStorage implements SnapshotStorage {
  constructor(
    private readonly eventStore: EventStore,
    private readonly prefix = 'snapshot-',
  ) {}

  async read(streamId: string): Promise<StoredSnapshot | undefined> {
    try {
      for await (const event of this.eventStore.readStream(this.prefix + streamId, {
        direction: 'backwards',
        maxCount: 1,
      })) {
        const data = event.data as SnapshotData;
        return {
          streamId,
          revision: BigInt(data.revision),
          schemaVersion: data.schemaVersion,
          state: data.state,
          ...(data.$types ? { $types: data.$types } : {}),
          takenAt: new Date(data.takenAt),
        };
      }
      return undefined;
    } catch (error) {
      if (error instanceof StreamNotFoundError) return undefined;
      throw error;
    }
  }

  async write(snapshot: StoredSnapshot): Promise<void> {
    const data: SnapshotData = {
      revision: snapshot.revision.toString(),
      schemaVersion: snapshot.schemaVersion,
      state: snapshot.state,
      ...(snapshot.$types ? { $types: { ...snapshot.$types } } : {}),
      takenAt: snapshot.takenAt.toISOString(),
    };
    await this.eventStore.append(this.prefix + snapshot.streamId, [
      {
        type: SNAPSHOT_EVENT_TYPE,
        data,
        metadata: {
          schemaVersion: 1,
          correlationId: snapshot.streamId,
          causationId: snapshot.streamId,
          occurredAt: data.takenAt,
        },
      },
    ]);
  }
}
