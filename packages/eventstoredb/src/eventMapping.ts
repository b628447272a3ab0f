import {
  jsonEvent,
  type AppendExpectedRevision,
  type JSONType,
  type ResolvedEvent,
  type AllStreamResolvedEvent,
} from '@eventstore/db-client';
import {
  StoreError,
  type EventToAppend,
  type ExpectedRevision,
  type RecordedEvent,
  type StoredEventMetadata,
} from '@rewind/core';

/** Rewind's expected revision in the client's terms (the same four cases, spelled the same way). */
export function toClientExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  return expected;
}

/** An event to append as the client's JSON event, Rewind's metadata object as its metadata. */
export function toJsonEvent(event: EventToAppend): ReturnType<typeof jsonEvent> {
  return jsonEvent({
    ...(event.id ? { id: event.id } : {}),
    type: event.type,
    data: event.data as JSONType,
    metadata: event.metadata as unknown as JSONType,
  });
}

/** Whether an event is EventStoreDB's own (`$`-prefixed type or stream): left out of every Rewind read. */
export function isSystemEvent(event: { type: string; streamId: string }): boolean {
  return event.type.startsWith('$') || event.streamId.startsWith('$');
}

/**
 * A resolved event from the client as Rewind's RecordedEvent (position from the server, never computed).
 * @throws StoreError when the server sent an event without a position.
 */
export function toRecordedEvent(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent | undefined {
  const event = resolved.event;
  if (!event) return undefined;
  if (!event.position) {
    throw new StoreError(
      `EventStoreDB sent event ${event.streamId}@${event.revision} without a $all position; Rewind needs ` +
        'positions on every event (EventStoreDB 20.6 or later).',
    );
  }
  const metadata = (
    event.metadata && !(event.metadata instanceof Uint8Array) ? event.metadata : {}
  ) as StoredEventMetadata;
  return {
    id: event.id,
    streamId: event.streamId,
    revision: event.revision,
    position: { commit: event.position.commit, prepare: event.position.prepare },
    type: event.type,
    data: event.data,
    metadata,
    recordedAt: event.created,
  };
}
