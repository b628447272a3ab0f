import { comparePositions, isAfter, readAllInPages, type Position, type RecordedEvent } from '@rewind/core';
import { TransactionConflictError } from '../readModel/readModelErrors';
import { applyEvents } from '../runner/applyEvents';
import type { Lease } from '../runner/lease';
import type { InlineLogReader } from '../readModel/readModelStore';
import { isInline, type ProjectionEngine } from '../runner/projectionEngine';

/**
 * Serves `namespace` in ONE transaction, fenced by the rebuild's lease, only if it is at least as
 * fresh as the model served now: when the served model's checkpoint is ahead, the events in between
 * (at most one batch) are applied here first, in the same transaction. The served checkpoint is locked
 * or re-checked at commit by the store, so the live runner cannot move it in between.
 * @returns undefined when the gap is larger than a batch or the store saw a conflict: pass again.
 */
export async function swapWhenFresh(
  engine: ProjectionEngine,
  name: string,
  namespace: string,
  lease: Lease,
  checkpoint: Position | undefined,
  batchSize: number,
): Promise<{ replaced: string | undefined; checkpoint: Position | undefined } | undefined> {
  const { store, eventStore, events } = engine.context;
  const definition = engine.definition(name);
  lease.check();
  try {
    return await store.transaction(namespace, async (tx) => {
      await tx.assertLock(lease.lock, lease.owner);
      // An inline projection's appends write the served model in their own transactions: hold them
      // off until this one commits, so none lands in the old namespace or goes missing from the new.
      const readLocked = isInline(definition) ? await store.lockInline!(tx, eventStore, name) : undefined;
      const served = await tx.getServed(name);
      if (served === namespace) return { replaced: undefined, checkpoint };
      const live = served ? await tx.getCheckpoint(served) : undefined;
      let reached = checkpoint;
      if (live && isAfter(live, checkpoint)) {
        const gap: RecordedEvent[] = [];
        const pages = readLocked
          ? lockedPages(readLocked, checkpoint, definition.eventTypes, batchSize)
          : readAllInPages(
              eventStore,
              { ...(checkpoint ? { after: checkpoint } : {}), filter: { eventTypes: definition.eventTypes } },
              batchSize,
            );
        reading: for await (const page of pages) {
          for (const event of page) {
            if (comparePositions(event.position, live) > 0) break reading;
            gap.push(event);
            if (gap.length > batchSize) return undefined; // too far behind for one transaction: pass again
          }
        }
        await applyEvents(definition, events, tx, gap, true);
        await tx.setCheckpoint(live);
        reached = live;
      }
      await tx.setServed(name, namespace);
      return { replaced: served, checkpoint: reached };
    });
  } catch (error) {
    if (error instanceof TransactionConflictError) return undefined;
    throw error;
  }
}

/** Pages of an inline projection's events read on the locked transaction's own connection. */
async function* lockedPages(
  read: InlineLogReader,
  after: Position | undefined,
  types: readonly string[],
  pageSize: number,
): AsyncIterable<readonly RecordedEvent[]> {
  for (;;) {
    const page = await read(after, types, pageSize);
    if (page.length > 0) yield page;
    if (page.length < pageSize) return;
    after = page[page.length - 1]!.position;
  }
}
