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

/**
 * An event to append as the client's JSON event (with the id it must keep: a retry reuses it), Rewind's
 * metadata as its metadata, correlation and causation under EventStoreDB's own names
 * (`$correlationId`, `$causationId`), which its `$by_correlation_id` projection reads.
 */
export function toJsonEvent(event: EventToAppend & { readonly id: string }): ReturnType<typeof jsonEvent> {
  const { correlationId, causationId, ...rest } = event.metadata;
  return jsonEvent({
    id: event.id,
    type: event.type,
    data: event.data as JSONType,
    metadata: { ...rest, $correlationId: correlationId, $causationId: causationId } as unknown as JSONType,
  });
}

/**
 * Stored metadata in Rewind's form: `$correlationId`/`$causationId` (written since 0.2) and
 * `correlationId`/`causationId` (written before) both read as `correlationId`/`causationId`.
 */
export function fromStoredMetadata(stored: Record<string, unknown>): StoredEventMetadata {
  const { $correlationId, $causationId, ...rest } = stored;
  return {
    ...rest,
    correlationId: rest['correlationId'] ?? $correlationId,
    causationId: rest['causationId'] ?? $causationId,
  } as StoredEventMetadata;
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
        'positions on every event (EventStoreDB 23.10 or later).',
    );
  }
  const metadata = fromStoredMetadata(
    (event.metadata && !(event.metadata instanceof Uint8Array) ? event.metadata : {}) as Record<
      string,
      unknown
    >,
  );
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
