import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { Any } from 'google-protobuf/google/protobuf/any_pb';
import * as shared from '@eventstore/db-client/generated/shared_pb';
import { Status } from '@eventstore/db-client/generated/status_pb';
import { ReadResp } from '@eventstore/db-client/generated/streams_pb';
import type { LogRecord } from './eventStoreDBLog';

/**
 * Typed helpers over the client package's generated protobuf classes: how the test server reads ids
 * and stream names, writes recorded events and raises errors the way EventStoreDB does.
 */

/** Reads a UUID message in either of its forms. */
export function uuidToString(uuid: shared.UUID | undefined): string {
  if (!uuid) return globalThis.crypto.randomUUID();
  if (uuid.hasStructured()) {
    const s = uuid.getStructured()!;
    const hex = (v: string) => BigInt.asUintN(64, BigInt(v)).toString(16).padStart(16, '0');
    const h = hex(s.getMostSignificantBits()) + hex(s.getLeastSignificantBits());
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  return uuid.getString();
}

/** Builds a UUID message, as a string or in EventStoreDB's structured (two int64) form. */
export function uuidMessage(id: string, structured: boolean): shared.UUID {
  const uuid = new shared.UUID();
  if (!structured) return uuid.setString(id);
  const hex = id.replace(/-/g, '');
  const part = (h: string) => BigInt.asIntN(64, BigInt(`0x${h}`)).toString();
  return uuid.setStructured(
    new shared.UUID.Structured()
      .setMostSignificantBits(part(hex.slice(0, 16)))
      .setLeastSignificantBits(part(hex.slice(16))),
  );
}

/** The text of a stream identifier. */
export function streamName(identifier: shared.StreamIdentifier | undefined): string {
  return Buffer.from(identifier?.getStreamName_asU8() ?? new Uint8Array()).toString('utf8');
}

/** A stream identifier message. */
export function streamIdentifier(name: string): shared.StreamIdentifier {
  return new shared.StreamIdentifier().setStreamName(Buffer.from(name, 'utf8'));
}

/** A recorded-event message with `created` in ticks and its `$all` position. */
function recordedEvent(record: LogRecord, structuredIds: boolean): ReadResp.ReadEvent.RecordedEvent {
  const recorded = new ReadResp.ReadEvent.RecordedEvent()
    .setId(uuidMessage(record.id, structuredIds))
    .setStreamIdentifier(streamIdentifier(record.streamId))
    .setStreamRevision(BigInt.asUintN(64, record.revision).toString())
    .setCommitPosition(record.commit.toString())
    .setPreparePosition(record.prepare.toString())
    .setData(record.data)
    .setCustomMetadata(record.metadata);
  const map = recorded.getMetadataMap();
  map.set('type', record.type);
  map.set('content-type', record.contentType);
  map.set('created', record.created.toString());
  return recorded;
}

/**
 * A `ReadResp` carrying one recorded event. With `link`, `record` is the event a `$>` link points at and
 * the link is sent alongside it (a read or subscription with `resolveLinkTos`); the position is the link's.
 */
export function eventResponse(record: LogRecord, structuredIds: boolean, link?: LogRecord): ReadResp {
  const event = new ReadResp.ReadEvent()
    .setEvent(recordedEvent(record, structuredIds))
    .setCommitPosition((link ?? record).commit.toString());
  if (link) event.setLink(recordedEvent(link, structuredIds));
  return new ReadResp().setEvent(event);
}

/**
 * A gRPC error with EventStoreDB's `exception` trailer (the third error channel); an empty `exception`
 * sends none (a plain status, as RpcExceptions.Timeout or a dropped connection).
 */
export function exceptionError(
  code: status,
  exception: string,
  details: string,
  keys: Record<string, string> = {},
): ServiceError {
  const metadata = new Metadata();
  if (exception) metadata.set('exception', exception);
  for (const [key, value] of Object.entries(keys)) metadata.set(key, value);
  return Object.assign(new Error(details), { code, details, metadata });
}

/** The `google.rpc.Status` a BatchAppend response carries for a wrong expected version. */
export function wrongExpectedVersionStatus(
  expected: 'any' | 'no_stream' | 'stream_exists' | bigint,
  actual: bigint | undefined,
): Status {
  const wev = new shared.WrongExpectedVersion();
  if (actual === undefined) wev.setCurrentNoStream(new shared.Empty());
  else wev.setCurrentStreamRevision(actual.toString());
  if (expected === 'any') wev.setExpectedAny(new shared.Empty());
  else if (expected === 'no_stream') wev.setExpectedNoStream(new shared.Empty());
  else if (expected === 'stream_exists') wev.setExpectedStreamExists(new shared.Empty());
  else wev.setExpectedStreamPosition(expected.toString());
  const details = new Any();
  details.pack(wev.serializeBinary(), 'event_store.client.WrongExpectedVersion');
  return new Status()
    .setCode(6) // Grpc/Status.cs WrongExpectedVersion: Code.AlreadyExists
    .setMessage('WrongExpectedVersion')
    .setDetails(details);
}

export { status };

/**
 * Another `google.rpc.Status` a BatchAppend response carries (Grpc/Status.cs): stream deleted
 * (NOT_FOUND), timeout (DEADLINE_EXCEEDED) or maximum append size exceeded (INVALID_ARGUMENT).
 */
export function batchErrorStatus(
  error:
    | { readonly kind: 'stream-deleted'; readonly stream: string }
    | { readonly kind: 'timeout' }
    | { readonly kind: 'max-append-size'; readonly maxAppendSize: number },
): Status {
  const details = new Any();
  switch (error.kind) {
    case 'stream-deleted':
      details.pack(
        new shared.StreamDeleted().setStreamIdentifier(streamIdentifier(error.stream)).serializeBinary(),
        'event_store.client.StreamDeleted',
      );
      return new Status().setCode(5).setMessage('StreamDeleted').setDetails(details);
    case 'timeout':
      details.pack(new shared.Timeout().serializeBinary(), 'event_store.client.Timeout');
      return new Status().setCode(4).setMessage('Timeout').setDetails(details);
    case 'max-append-size':
      details.pack(
        new shared.MaximumAppendSizeExceeded().setMaxappendsize(error.maxAppendSize).serializeBinary(),
        'event_store.client.MaximumAppendSizeExceeded',
      );
      return new Status().setCode(3).setMessage('MaximumAppendSizeExceeded').setDetails(details);
  }
}

/** RpcExceptions.StreamDeleted: FAILED_PRECONDITION with `exception: stream-deleted`. */
export function streamDeletedError(stream: string): Error {
  return exceptionError(
    status.FAILED_PRECONDITION,
    'stream-deleted',
    `Event stream '${stream}' is deleted.`,
    {
      'stream-name': stream,
    },
  );
}
