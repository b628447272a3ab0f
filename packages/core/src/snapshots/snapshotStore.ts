import { aggregateState, initializeAggregate, type AggregateRoot } from '../aggregates/aggregateRoot';
import { requireAggregateMetadata } from '../aggregates/aggregate.decorator';
import { decodeJson, encodeJson } from '../events/jsonCodec';
import type { Type } from '../metadata/metadataKeys';

/** A snapshot as a store keeps it. */
export interface StoredSnapshot {
  readonly streamId: string;
  /** The revision of the last event the snapshot includes. */
  readonly revision: bigint;
  /** The aggregate's `snapshotVersion` when it was taken. */
  readonly schemaVersion: number;
  /** JSON-safe state (see `$types`). */
  readonly state: unknown;
  readonly $types?: Readonly<Record<string, 'date' | 'bigint'>>;
  readonly takenAt: Date;
}

/** The port for snapshot storage: one latest snapshot per stream is enough. */
export interface SnapshotStorage {
  read(streamId: string): Promise<StoredSnapshot | undefined>;
  write(snapshot: StoredSnapshot): Promise<void>;
}

/** Snapshots kept in memory, for tests. */
export class InMemorySnapshotStorage implements SnapshotStorage {
  private readonly snapshots = new Map<string, StoredSnapshot>();

  async read(streamId: string): Promise<StoredSnapshot | undefined> {
    return this.snapshots.get(streamId);
  }

  async write(snapshot: StoredSnapshot): Promise<void> {
    this.snapshots.set(snapshot.streamId, snapshot);
  }
}

/** Where a load wants to stop, so a snapshot past that point is not used. */
export interface SnapshotBounds {
  readonly maxRevision?: bigint;
  readonly at?: Date;
}

/** Options for {@link SnapshotStore}. */
export interface SnapshotStoreOptions {
  /** Called when a snapshot is ignored (corrupt, or of another schema version). Default: console.warn. */
  readonly onWarning?: (message: string, cause?: unknown) => void;
}

/**
 * Takes and restores snapshots for aggregates declared with `snapshotEvery`. A snapshot of another
 * `snapshotVersion` is never trusted, and one that cannot be restored is ignored with a warning: the
 * aggregate is then loaded from events, which are always the truth.
 */
export class SnapshotStore {
  private readonly warn: (message: string, cause?: unknown) => void;

  constructor(
    private readonly storage: SnapshotStorage,
    options: SnapshotStoreOptions = {},
  ) {
    this.warn = options.onWarning ?? ((message) => console.warn(`[rewind] ${message}`));
  }

  /**
   * Restores the latest usable snapshot into `aggregate`.
   * @returns the snapshot's revision, or undefined when none was used.
   */
  async load(
    aggregate: AggregateRoot,
    aggregateClass: Type<AggregateRoot>,
    streamId: string,
    bounds: SnapshotBounds = {},
  ): Promise<{ revision: bigint } | undefined> {
    const meta = requireAggregateMetadata(aggregateClass);
    if (!meta.snapshotEvery) return undefined;
    let snapshot: StoredSnapshot | undefined;
    try {
      snapshot = await this.storage.read(streamId);
    } catch (error) {
      this.warn(`Could not read the snapshot of "${streamId}"; loading from events.`, error);
      return undefined;
    }
    if (!snapshot) return undefined;
    if (snapshot.schemaVersion !== (meta.snapshotVersion ?? 1)) {
      this.warn(
        `Ignoring the snapshot of "${streamId}": it has snapshot version ${snapshot.schemaVersion}, ` +
          `${aggregateClass.name} is at ${meta.snapshotVersion ?? 1}. Loading from events; a new snapshot follows.`,
      );
      return undefined;
    }
    if (bounds.maxRevision !== undefined && snapshot.revision > bounds.maxRevision) return undefined;
    if (bounds.at !== undefined && snapshot.takenAt > bounds.at) return undefined;
    try {
      const state = decodeJson(structuredClone(snapshot.state), snapshot.$types);
      if (state === null || typeof state !== 'object') throw new Error('state is not an object');
      Object.assign(aggregate, state);
      initializeAggregate(aggregate, aggregate.id, snapshot.revision);
      return { revision: snapshot.revision };
    } catch (error) {
      this.warn(
        `Ignoring a corrupt snapshot of "${streamId}" (${(error as Error).message}); loading from events.`,
        error,
      );
      for (const key of Object.keys(aggregate)) delete (aggregate as unknown as Record<string, unknown>)[key];
      Object.assign(aggregate, new (aggregateClass as unknown as new () => AggregateRoot)());
      initializeAggregate(aggregate, aggregate.id, -1n);
      return undefined;
    }
  }

  /**
   * Takes a snapshot when the aggregate has moved `snapshotEvery` events past the last one.
   * @param snapshotRevision the revision of the snapshot it was loaded from, when known.
   * @param appended how many events were just saved (a save crossing a multiple of N takes one).
   */
  async maybeSave(
    aggregate: AggregateRoot,
    aggregateClass: Type<AggregateRoot>,
    streamId: string,
    snapshotRevision?: bigint,
    appended?: number,
  ): Promise<void> {
    const meta = requireAggregateMetadata(aggregateClass);
    const every = meta.snapshotEvery;
    if (!every || aggregate.revision < 0n) return;
    const count = aggregate.revision + 1n;
    const due =
      appended !== undefined
        ? count / BigInt(every) > (count - BigInt(appended)) / BigInt(every)
        : aggregate.revision - (snapshotRevision ?? -1n) >= BigInt(every);
    if (!due) return;
    try {
      const { json, types } = encodeJson(aggregateState(aggregate), `snapshot of ${streamId}`);
      await this.storage.write({
        streamId,
        revision: aggregate.revision,
        schemaVersion: meta.snapshotVersion ?? 1,
        state: json,
        ...(types ? { $types: types } : {}),
        takenAt: new Date(),
      });
    } catch (error) {
      this.warn(`Could not save a snapshot of "${streamId}"; the aggregate is unaffected.`, error);
    }
  }
}
