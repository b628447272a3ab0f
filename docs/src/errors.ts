// The code behind docs/guides/errors.md. Run by docs/test/errors.unit.spec.ts.
import { isRewindError, type RewindErrorCode } from '@rewind/core';

// #region handle
/** What a caller should do about an error, decided by its stable `code` (never by its message). */
export function adviceFor(
  error: unknown,
): 'fix-input' | 'retry' | 'not-found' | 'refused' | 'fix-code' | 'unknown' {
  if (!isRewindError(error)) return 'unknown';
  const advice: Record<RewindErrorCode, ReturnType<typeof adviceFor>> = {
    VALIDATION: 'fix-input', // error.violations lists each field
    CONCURRENCY: 'retry', // reload and try again (the CommandBus already did, maxRetries times)
    STORE_UNAVAILABLE: 'retry', // the store could not be reached or opened; try later
    AGGREGATE_NOT_FOUND: 'not-found',
    STREAM_NOT_FOUND: 'not-found',
    STREAM_DELETED: 'not-found', // tombstoned on EventStoreDB: use another id
    APPEND_OUTCOME_UNKNOWN: 'retry', // run the same command again with the same commandId
    DOMAIN: 'refused', // a business rule said no: show the message
    HANDLER_NOT_FOUND: 'fix-code',
    CONFIGURATION: 'fix-code',
    EVENT_DECODING: 'fix-code', // a stored event no longer fits the code: add an upcaster
    PROJECTION: 'fix-code',
    STORE: 'unknown', // error.cause holds the store's own error
  };
  return advice[error.code];
}
// #endregion
