// The copy of a log from one event store into another, behind `rewind copy` (copyActions.ts).
import { isDeepStrictEqual } from 'node:util';
import {
  isAfter,
  readAllInPages,
  serializePosition,
  type EventStore,
  type ExpectedRevision,
  type Position,
  type RecordedEvent,
} from '@rewind/core';

/** Events per append at most (consecutive events of one stream go in one append). */
export const DEFAULT_COPY_BATCH = 500;

/** Options of {@link copyLog}. */
export interface CopyLogOptions {
  /** Copy only the source's events strictly after this position. */
  readonly after?: Position;
  /** Events per append at most (default {@link DEFAULT_COPY_BATCH}). */
  readonly batchSize?: number;
  /** Told after each append. */
  readonly onProgress?: (progress: CopyProgress) => void;
}

/** How far a copy is. */
export interface CopyProgress {
  /** Source events handled: written to the target, or found there already. */
  readonly events: number;
  /** Of them, written by this run. */
  readonly written: number;
  /** Of them, already in the target (an earlier, interrupted run copied them). */
  readonly alreadyThere: number;
  /** Source position of the last event handled: pass it to `--after` to go on from there. */
  readonly position: Position | undefined;
  readonly eventsPerSecond: number;
}

/** What a copy did. */
export interface CopyLogResult extends CopyProgress {
  /** Streams written to (or found complete). */
  readonly streams: number;
  readonly durationMs: number;
}

/**
 * A target stream holds a different event than the source at a revision, or lacks the events before the
 * first one to copy. Nothing of the batch was written.
 */
export class CopyConflictError extends Error {
  readonly code = 'COPY_CONFLICT' as const;
  constructor(
    readonly streamId: string,
    readonly revision: bigint,
    message: string,
    /** The source position of the last event found in the target (or copied) before the conflict. */
    readonly lastPosition: Position | undefined,
  ) {
    super(message);
    this.name = 'CopyConflictError';
  }
}

/**
 * Copies every event of `source`'s log (after `options.after`) into `target`, keeping stream ids,
 * revisions, event ids, types, data and metadata; recorded times and global positions are the target's.
 * Consecutive events of one stream go in one append, expecting the revision before them (`'no_stream'`
 * for revision 0). Appends are idempotent, so events an earlier run copied are found there and nothing
 * is written again: a copy that stopped can be run again from the start (or from `--after`).
 * @throws CopyConflictError when a target stream holds other events at those revisions.
 */
export async function copyLog(
  source: EventStore,
  target: EventStore,
  options: CopyLogOptions = {},
): Promise<CopyLogResult> {
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_COPY_BATCH);
  const started = Date.now();
  let targetHead = await target.headPosition();
  const streams = new Set<string>();
  let events = 0;
  let written = 0;
  let alreadyThere = 0;
  let position: Position | undefined = options.after;
  const progress = (): CopyProgress => {
    const seconds = (Date.now() - started) / 1000;
    return { events, written, alreadyThere, position, eventsPerSecond: seconds > 0 ? events / seconds : 0 };
  };

  const appendBatch = async (batch: readonly RecordedEvent[]): Promise<void> => {
    const first = batch[0]!;
    const toAppend = batch.map((e) => ({ id: e.id, type: e.type, data: e.data, metadata: e.metadata }));
    let fresh: number;
    try {
      const result = await target.append(first.streamId, toAppend, {
        expectedRevision: before(first.revision),
      });
      // A retry of an append already made answers with the events already stored: at or before the head.
      if (isAfter(result.position, targetHead)) {
        targetHead = result.position;
        fresh = batch.length;
      } else {
        // The store recognised the ids only: check that type, data and metadata are the same too.
        await checkStored(target, batch, position);
        fresh = 0;
      }
    } catch (error) {
      if ((error as { code?: unknown })?.code !== 'CONCURRENCY') throw error;
      fresh = await appendRest(target, batch, position);
      if (fresh > 0) targetHead = (await target.headPosition()) ?? targetHead;
    }
    streams.add(first.streamId);
    events += batch.length;
    written += fresh;
    alreadyThere += batch.length - fresh;
    position = batch[batch.length - 1]!.position;
    options.onProgress?.(progress());
  };

  let batch: RecordedEvent[] = [];
  for await (const page of readAllInPages(source, options.after ? { after: options.after } : {})) {
    for (const event of page) {
      const last = batch[batch.length - 1];
      if (
        last &&
        (last.streamId !== event.streamId ||
          last.revision + 1n !== event.revision ||
          batch.length >= batchSize)
      ) {
        await appendBatch(batch);
        batch = [];
      }
      batch.push(event);
    }
  }
  if (batch.length > 0) await appendBatch(batch);
  return { ...progress(), streams: streams.size, durationMs: Date.now() - started };
}

function before(revision: bigint): ExpectedRevision {
  return revision === 0n ? 'no_stream' : revision - 1n;
}

/**
 * Checks that the target holds exactly the batch's events at their revisions (an append found them there).
 * @throws CopyConflictError at the first that differs.
 */
async function checkStored(
  target: EventStore,
  batch: readonly RecordedEvent[],
  lastPosition: Position | undefined,
): Promise<void> {
  const stored = await readStored(target, batch);
  for (const [i, wanted] of batch.entries()) {
    const there = stored?.[i];
    if (!there) {
      throw new CopyConflictError(
        wanted.streamId,
        wanted.revision,
        `The target's stream "${wanted.streamId}" has no revision ${wanted.revision}, though the store took the append as already made.`,
        lastPosition,
      );
    }
    if (!sameEvent(there, wanted)) throw conflict(there, wanted, batch[i - 1]?.position ?? lastPosition);
  }
}

/** The target's events at the batch's revisions (fewer where the stream ends; none when it does not exist). */
async function readStored(
  target: EventStore,
  batch: readonly RecordedEvent[],
): Promise<RecordedEvent[] | undefined> {
  const first = batch[0]!;
  const stored: RecordedEvent[] = [];
  try {
    for await (const e of target.readStream(first.streamId, {
      fromRevision: first.revision,
      maxCount: batch.length,
    }))
      stored.push(e);
  } catch (error) {
    if ((error as { code?: unknown })?.code !== 'STREAM_NOT_FOUND') throw error;
    return undefined;
  }
  return stored;
}

function conflict(
  there: RecordedEvent,
  wanted: RecordedEvent,
  lastPosition: Position | undefined,
): CopyConflictError {
  return new CopyConflictError(
    wanted.streamId,
    wanted.revision,
    `Conflict in stream "${wanted.streamId}" at revision ${wanted.revision}: the target holds event ` +
      `${there.id} (${there.type}) there, the source ${wanted.id} (${wanted.type})` +
      `${there.id === wanted.id ? ' with other type, data or metadata' : ''}. The target holds events ` +
      'this copy did not write; copy into an empty store (or the one an interrupted copy left).',
    lastPosition,
  );
}

/**
 * After the target refused a batch: compares what the target stream holds at those revisions with the
 * batch, and appends the events after the ones found there (an earlier run copied a part of it).
 * @returns how many events were written.
 * @throws CopyConflictError when the stream holds other events there, or lacks the ones before.
 */
async function appendRest(
  target: EventStore,
  batch: readonly RecordedEvent[],
  lastPosition: Position | undefined,
): Promise<number> {
  const first = batch[0]!;
  const found = await readStored(target, batch);
  if (!found || (found.length === 0 && first.revision > 0n)) {
    const at = found ? await lastRevision(target, first.streamId) : undefined;
    throw new CopyConflictError(
      first.streamId,
      first.revision,
      `The target's stream "${first.streamId}" ${at === undefined ? 'does not exist' : `ends at revision ${at}`}, ` +
        `but the next event to copy is its revision ${first.revision}: the events before it are not in the target. ` +
        'Copy from an earlier source position (without --after, or an earlier one).',
      lastPosition,
    );
  }
  const stored = found;
  for (const [i, there] of stored.entries()) {
    const wanted = batch[i]!;
    if (!sameEvent(there, wanted)) throw conflict(there, wanted, batch[i - 1]?.position ?? lastPosition);
  }
  const rest = batch.slice(stored.length);
  if (rest.length === 0) return 0;
  const next = rest[0]!;
  await target.append(
    next.streamId,
    rest.map((e) => ({ id: e.id, type: e.type, data: e.data, metadata: e.metadata })),
    { expectedRevision: before(next.revision) },
  );
  return rest.length;
}

async function lastRevision(store: EventStore, streamId: string): Promise<bigint | undefined> {
  try {
    for await (const e of store.readStream(streamId, { direction: 'backwards', maxCount: 1 }))
      return e.revision;
  } catch (error) {
    if ((error as { code?: unknown })?.code !== 'STREAM_NOT_FOUND') throw error;
  }
  return undefined;
}

function sameEvent(a: RecordedEvent, b: RecordedEvent): boolean {
  return (
    a.id === b.id &&
    a.type === b.type &&
    isDeepStrictEqual(a.data, b.data) &&
    isDeepStrictEqual(a.metadata, b.metadata)
  );
}

/** A position for messages. */
export function showPosition(position: Position | undefined): string {
  return position ? serializePosition(position) : '-';
}
