import {
  AccessDeniedError,
  CancelledError,
  convertToCommandError,
  DeadlineExceededError,
  InvalidArgumentError,
  MaxAppendSizeExceededError,
  NotLeaderError,
  StreamDeletedError,
  StreamNotFoundError as VendorStreamNotFoundError,
  TimeoutError,
  UnavailableError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import {
  AppendOutcomeUnknownError,
  ConcurrencyError,
  isRewindError,
  StreamDeletedError as RewindStreamDeletedError,
  StoreError,
  StoreUnavailableError,
  StreamNotFoundError,
  ValidationError,
  type ExpectedRevision,
  type RewindError,
} from '@rewind/core';

/** What the adapter was doing when the error happened, so the translated message names it. */
export interface EventStoreDBErrorContext {
  /** e.g. `append to "order-1"`, `read $all`, `subscribe to $all`. */
  readonly operation: string;
  /** The host(s) from the connection string, e.g. `127.0.0.1:2113`. */
  readonly endpoint: string;
  readonly streamId?: string;
  /** Rewind's expected revision for an append (the client may report it in another form). */
  readonly expectedRevision?: ExpectedRevision;
  /**
   * The ids of the events of an append. Set for appends only: a transport failure then means the
   * outcome is unknown (the server may have written them), not merely that the server is unreachable.
   */
  readonly eventIds?: readonly string[];
}

/**
 * Translates every error coming out of `@eventstore/db-client` into the RewindError family, keeping the
 * original as `cause`. The one place vendor errors are interpreted: by class, never by message text.
 */
export function mapEventStoreDBError(error: unknown, context: EventStoreDBErrorContext): RewindError {
  if (isRewindError(error)) return error;
  const vendor: unknown = error instanceof Error ? convertToCommandError(error) : error;
  const options = { cause: vendor };
  const where = `EventStoreDB at ${context.endpoint}`;

  if (vendor instanceof WrongExpectedVersionError) {
    const streamId = context.streamId ?? vendor.streamName;
    const expected = context.expectedRevision ?? fromVendorExpected(vendor.expectedVersion);
    const actual = typeof vendor.actualVersion === 'bigint' ? vendor.actualVersion : 'no_stream';
    return new ConcurrencyError(streamId, expected, actual, options);
  }
  if (vendor instanceof VendorStreamNotFoundError) {
    return new StreamNotFoundError(context.streamId ?? vendor.streamName, options);
  }
  if (vendor instanceof NotLeaderError) {
    return new StoreUnavailableError(
      `${where} is not the leader (${context.operation}); the leader is ${vendor.leader.address}:${vendor.leader.port}. ` +
        'Connect with a cluster connection string (esdb+discover://…) and nodePreference=leader, or to the leader directly.',
      options,
    );
  }
  if (
    vendor instanceof UnavailableError ||
    vendor instanceof DeadlineExceededError ||
    vendor instanceof TimeoutError ||
    vendor instanceof CancelledError
  ) {
    if (context.eventIds && context.streamId !== undefined) {
      // The request may have reached the server and been committed (a dropped connection, a commit
      // timeout): the client cannot tell, so the caller must retry with the same ids.
      return new AppendOutcomeUnknownError(
        context.streamId,
        context.expectedRevision ?? 'any',
        context.eventIds,
        `${where} did not answer (${vendor instanceof Error ? vendor.message : String(vendor)}): it was ` +
          'unreachable, the connection dropped, or its commit timed out',
        options,
      );
    }
    return new StoreUnavailableError(
      `${where} is unreachable (${context.operation}). Check that the server is running and reachable from here, ` +
        'the host and port in the connection string, and its TLS setting (tls=false for an insecure node).',
      options,
    );
  }
  if (vendor instanceof AccessDeniedError) {
    return new StoreError(
      `${where} denied access (${context.operation}). Check the credentials in the connection string ` +
        '(esdb://user:password@host) and the stream ACLs.',
      options,
    );
  }
  if (vendor instanceof MaxAppendSizeExceededError) {
    return new ValidationError(
      `append to "${context.streamId ?? '?'}"`,
      [
        {
          path: 'events',
          constraints: {
            maxAppendSize: `the append is larger than the server's maximum of ${vendor.maxAppendSize} bytes`,
          },
        },
      ],
      { cause: vendor, hint: 'Split the append or raise MaxAppendSize on the server' },
    );
  }
  if (vendor instanceof InvalidArgumentError) {
    return new ValidationError(
      context.operation,
      [{ path: '(arguments)', constraints: { invalid: vendor.errorMessage } }],
      options,
    );
  }
  if (vendor instanceof StreamDeletedError) {
    return new RewindStreamDeletedError(context.streamId ?? vendor.streamName, {
      ...options,
      operation: context.operation,
    });
  }
  const detail = vendor instanceof Error ? vendor.message : String(vendor);
  return new StoreError(`${where} failed (${context.operation}): ${detail}`, options);
}

/** The client's expected-revision form, in Rewind's. */
function fromVendorExpected(value: unknown): ExpectedRevision {
  if (typeof value === 'bigint') return value;
  if (value === 'no_stream' || value === 'stream_exists') return value;
  return 'any';
}

/** Whether a translated error means "try again later" (a subscription then reconnects). */
export function isTransient(error: RewindError): boolean {
  return error.code === 'STORE_UNAVAILABLE';
}
