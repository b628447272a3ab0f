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

/** A `ReadResp` carrying one recorded event, with `created` in ticks and its `$all` position. */
export function eventResponse(record: LogRecord, structuredIds: boolean): ReadResp {
  const recorded = new ReadResp.ReadEvent.RecordedEvent()
    .setId(uuidMessage(record.id, structuredIds))
    .setStreamIdentifier(streamIdentifier(record.streamId))
    .setStreamRevision(record.revision.toString())
    .setCommitPosition(record.commit.toString())
    .setPreparePosition(record.prepare.toString())
    .setData(record.data)
    .setCustomMetadata(record.metadata);
  const map = recorded.getMetadataMap();
  map.set('type', record.type);
  map.set('content-type', record.contentType);
  map.set('created', record.created.toString());
  const event = new ReadResp.ReadEvent().setEvent(recorded).setCommitPosition(record.commit.toString());
  return new ReadResp().setEvent(event);
}

/** A gRPC error with EventStoreDB's `exception` trailer (the third error channel). */
export function exceptionError(
  code: status,
  exception: string,
  details: string,
  keys: Record<string, string> = {},
): ServiceError {
  const metadata = new Metadata();
  metadata.set('exception', exception);
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
    .setCode(9) // FAILED_PRECONDITION
    .setMessage('WrongExpectedVersion')
    .setDetails(details);
}

export { status };
