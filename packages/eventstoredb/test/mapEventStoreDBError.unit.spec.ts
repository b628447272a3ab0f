import { describe, expect, it } from '@jest/globals';
import {
  AccessDeniedError,
  MaxAppendSizeExceededError,
  StreamNotFoundError as VendorStreamNotFoundError,
  UnavailableError,
  UnknownError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { Metadata, status } from '@grpc/grpc-js';
import {
  ConcurrencyError,
  StoreError,
  StoreUnavailableError,
  StreamNotFoundError,
  ValidationError,
} from '@rewind/core';
import { endpointOf, mapEventStoreDBError } from '@rewind/eventstoredb';

const context = { operation: 'append to "order-1"', endpoint: 'db.example:2113', streamId: 'order-1' };

/** A gRPC error as it reaches the client, with EventStoreDB's `exception` trailer when given. */
function grpcError(code: status, keys: Record<string, string> = {}) {
  const metadata = new Metadata();
  for (const [k, v] of Object.entries(keys)) metadata.set(k, v);
  return Object.assign(new Error(`${code} grpc`), { code, details: 'grpc', metadata });
}

describe(mapEventStoreDBError.name, () => {
  it('turns a wrong expected version into ConcurrencyError with Rewind’s expected revision and the actual one', () => {
    const vendor = new WrongExpectedVersionError(undefined, {
      streamName: 'order-1',
      expected: 'no_stream',
      current: 4n,
    });
    const error = mapEventStoreDBError(vendor, { ...context, expectedRevision: 'no_stream' });
    expect(error).toBeInstanceOf(ConcurrencyError);
    expect(error).toMatchObject({ streamId: 'order-1', expectedRevision: 'no_stream', actualRevision: 4n });
    expect(error.cause).toBe(vendor);
  });

  it('reads "no stream" as the actual revision when the stream does not exist', () => {
    const vendor = new WrongExpectedVersionError(undefined, {
      streamName: 'order-1',
      expected: 3n,
      current: 'no_stream',
    });
    expect(mapEventStoreDBError(vendor, context)).toMatchObject({
      expectedRevision: 3n,
      actualRevision: 'no_stream',
    });
  });

  it('translates the trailer form of a wrong expected version too', () => {
    const raw = grpcError(status.UNKNOWN, {
      exception: 'wrong-expected-version',
      'stream-name': 'order-1',
      'expected-version': '2',
      'actual-version': '5',
    });
    const error = mapEventStoreDBError(raw, context);
    expect(error).toBeInstanceOf(ConcurrencyError);
    expect(error).toMatchObject({ actualRevision: 5n });
    expect(error.cause).toBeInstanceOf(WrongExpectedVersionError);
  });

  it('turns a missing stream into StreamNotFoundError', () => {
    const vendor = new VendorStreamNotFoundError(null as never, 'order-9');
    const error = mapEventStoreDBError(vendor, {
      operation: 'read stream',
      endpoint: 'x:1',
      streamId: 'order-9',
    });
    expect(error).toBeInstanceOf(StreamNotFoundError);
    expect(error).toMatchObject({ streamId: 'order-9' });
  });

  it('turns an unreachable server into StoreUnavailableError naming the host and what to check', () => {
    const raw = grpcError(status.UNAVAILABLE);
    const error = mapEventStoreDBError(raw, context);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error.message).toContain('db.example:2113');
    expect(error.message).toContain('tls=false');
    expect(error.cause).toBeInstanceOf(UnavailableError);
  });

  it('turns "not leader" into StoreUnavailableError naming the leader', () => {
    const raw = grpcError(status.NOT_FOUND, {
      exception: 'not-leader',
      'leader-endpoint-host': 'node-2',
      'leader-endpoint-port': '2113',
    });
    const error = mapEventStoreDBError(raw, context);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error.message).toContain('node-2:2113');
  });

  it('turns access denied into StoreError about credentials', () => {
    const error = mapEventStoreDBError(new AccessDeniedError(), context);
    expect(error).toBeInstanceOf(StoreError);
    expect(error.message).toContain('credentials');
  });

  it('turns an oversized append into ValidationError', () => {
    const error = mapEventStoreDBError(MaxAppendSizeExceededError.fromMaxAppendSize(1024), context);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toContain('1024');
  });

  it('keeps anything else as StoreError with the original as cause', () => {
    const vendor = new UnknownError(undefined, 'boom');
    const error = mapEventStoreDBError(vendor, context);
    expect(error).toBeInstanceOf(StoreError);
    expect(error.cause).toBe(vendor);
    const plain = new Error('socket hang up');
    expect(mapEventStoreDBError(plain, context)).toMatchObject({ code: 'STORE', cause: plain });
  });

  it('returns Rewind errors unchanged', () => {
    const own = new StreamNotFoundError('a-1');
    expect(mapEventStoreDBError(own, context)).toBe(own);
  });
});

describe(endpointOf.name, () => {
  it('keeps hosts and drops scheme, credentials and options', () => {
    expect(endpointOf('esdb://admin:changeit@a:2113,b:2113?tls=true')).toBe('a:2113,b:2113');
    expect(endpointOf('esdb+discover://db.example:2113')).toBe('db.example:2113');
  });
});
