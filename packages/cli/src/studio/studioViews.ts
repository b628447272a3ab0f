// How Rewind Studio shows a stored event and a history entry (JSON-safe through toPlain).
import type { HistoryEntry, RecordedEvent } from '@rewind/core';
import { eventSummary } from '../commands/aggregateActions';

/** A stored event as the API lists it: where it stands, when, why (correlation, causation) and what. */
export function eventRow(event: RecordedEvent): Record<string, unknown> {
  return {
    streamId: event.streamId,
    revision: event.revision,
    position: event.position,
    eventId: event.id,
    type: event.type,
    recordedAt: event.recordedAt,
    occurredAt: event.metadata.occurredAt,
    correlationId: event.metadata.correlationId,
    causationId: event.metadata.causationId,
    metadata: event.metadata,
    data: event.data,
  };
}

/** One timeline entry: `rewind history --json`'s entry, with the metadata and without the full state. */
export function timelineRow(entry: HistoryEntry): Record<string, unknown> {
  const { metadata } = entry.envelope;
  return {
    ...eventSummary(entry),
    correlationId: metadata.correlationId,
    causationId: metadata.causationId,
    metadata: { schemaVersion: metadata.schemaVersion, ...metadata.custom },
    changes: entry.changes,
  };
}
