import { comparePositions, ProjectionError, type EventStore, type Position } from '@rewind/core';
import type { ProjectionEngine } from '@rewind/projections';

/**
 * Waits until every projection and reactor has applied every event it handles, including the events
 * reactors append meanwhile. It waits for the last *matching* event rather than the head of the log: on
 * EventStoreDB a filtered subscription reports progress past non-matching events only now and then, so
 * a runner's checkpoint may rightly stay behind the head.
 * @throws ProjectionError when a runner fails or does not get there within `timeoutMs`.
 */
export async function settle(
  engine: ProjectionEngine,
  eventStore: EventStore,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const head = await eventStore.headPosition();
    for (const { meta, eventTypes } of engine.definitions) {
      const target = await lastMatching(eventStore, eventTypes);
      if (!target) continue;
      const runner = engine.runner(meta.name);
      for (;;) {
        const { checkpoint, state, lastError } = runner.status();
        if (checkpoint && comparePositions(checkpoint, target) >= 0) break;
        if (state === 'failed' || Date.now() > deadline) {
          throw new ProjectionError(
            meta.name,
            `"${meta.name}" ${state === 'failed' ? 'failed' : `did not catch up within ${timeoutMs} ms (state ${state})`}` +
              `${lastError ? `: ${lastError}` : ''}. See shop.projections.status() and its dead letters.`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    }
    const after = await eventStore.headPosition();
    if (!after || (head && comparePositions(head, after) === 0)) return;
  }
}

async function lastMatching(
  eventStore: EventStore,
  eventTypes: readonly string[],
): Promise<Position | undefined> {
  for await (const event of eventStore.readAll({
    direction: 'backwards',
    filter: { eventTypes },
    maxCount: 1,
  })) {
    return event.position;
  }
  return undefined;
}
