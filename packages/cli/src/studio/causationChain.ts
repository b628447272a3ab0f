import type { EventStore, RecordedEvent } from '@rewind/core';
import { CliError, EXIT } from '../util/cliError';

/** How far Rewind Studio looks for events of the same correlation: this many events each side of the one asked about. */
export const CAUSATION_WINDOW = 10_000;

/** One event of a causation chain. */
export interface ChainLink {
  readonly event: RecordedEvent;
  /** The id of the event in the chain that caused it; undefined for the first (caused by a command). */
  readonly parentId: string | undefined;
  /** Steps from the chain's first event. */
  readonly depth: number;
  /** How it relates to the event asked about. */
  readonly role: 'cause' | 'self' | 'effect' | 'sibling';
}

/** What {@link causationChain} finds. */
export interface CausationChain {
  readonly correlationId: string;
  /** The events sharing the correlation id, in log order. */
  readonly links: readonly ChainLink[];
  /** Whether the scan stopped at {@link CAUSATION_WINDOW} on either side (older or newer events may belong too). */
  readonly truncated: boolean;
}

/**
 * From one event, the chain it belongs to: the events that led to it (through `causationId`), the ones
 * it set off, and the others of the same correlation id. Events are found by scanning the log around
 * the event, at most `window` events each way, so the cost stays bounded on a big log.
 * @throws CliError (not found) when the stream has no such revision.
 */
export async function causationChain(
  store: EventStore,
  streamId: string,
  revision: bigint,
  window = CAUSATION_WINDOW,
): Promise<CausationChain> {
  let origin: RecordedEvent | undefined;
  for await (const event of store.readStream(streamId, { fromRevision: revision, maxCount: 1 })) {
    if (event.revision === revision) origin = event;
  }
  if (!origin) throw new CliError(`Stream "${streamId}" has no revision ${revision}.`, EXIT.notFound);
  const { correlationId } = origin.metadata;
  const before: RecordedEvent[] = [];
  const after: RecordedEvent[] = [];
  let scannedBefore = 0;
  let scannedAfter = 0;
  for await (const event of store.readAll({
    direction: 'backwards',
    before: origin.position,
    maxCount: window,
  })) {
    scannedBefore++;
    if (event.metadata.correlationId === correlationId) before.push(event);
  }
  for await (const event of store.readAll({ after: origin.position, maxCount: window })) {
    scannedAfter++;
    if (event.metadata.correlationId === correlationId) after.push(event);
  }
  const events = [...before.reverse(), origin, ...after];
  const byId = new Map(events.map((e) => [e.id, e]));
  const parent = (e: RecordedEvent): RecordedEvent | undefined => {
    const cause = byId.get(e.metadata.causationId);
    return cause === e ? undefined : cause;
  };
  const causes = new Set<string>();
  for (let e = parent(origin); e && !causes.has(e.id); e = parent(e)) causes.add(e.id);
  const effects = new Set<string>();
  for (const e of events) {
    // Log order: a cause is appended before what it causes, so one pass finds every descendant.
    const p = parent(e);
    if (p && (p.id === origin.id || effects.has(p.id))) effects.add(e.id);
  }
  const depths = new Map<string, number>();
  const links = events.map((event): ChainLink => {
    const p = parent(event);
    const depth = p ? (depths.get(p.id) ?? 0) + 1 : 0;
    depths.set(event.id, depth);
    return {
      event,
      parentId: p?.id,
      depth,
      role:
        event.id === origin.id
          ? 'self'
          : causes.has(event.id)
            ? 'cause'
            : effects.has(event.id)
              ? 'effect'
              : 'sibling',
    };
  });
  return { correlationId, links, truncated: scannedBefore >= window || scannedAfter >= window };
}
