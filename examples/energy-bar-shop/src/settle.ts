import { comparePositions, type EventStore } from '@rewind/core';
import type { ProjectionEngine } from '@rewind/projections';

/**
 * Waits until every projection and reactor has applied every event in the log, including the events
 * reactors append meanwhile: `engine.waitForHead()` until the head stops moving. No polling: on every
 * store (EventStoreDB included, where a sparse processor hears of non-matching events only now and
 * then) a runner settles at the head by itself.
 * @throws ProjectionError when a runner fails or does not get there within `timeoutMs`.
 */
export async function settle(
  engine: ProjectionEngine,
  eventStore: EventStore,
  timeoutMs = 30_000,
): Promise<void> {
  for (;;) {
    const head = await eventStore.headPosition();
    await engine.waitForHead(timeoutMs);
    const after = await eventStore.headPosition();
    if (!after || (head && comparePositions(head, after) === 0)) return;
  }
}
