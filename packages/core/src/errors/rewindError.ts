/** Stable, machine-readable codes for every error Rewind throws. */
export type RewindErrorCode =
  | 'CONCURRENCY'
  | 'VALIDATION'
  | 'AGGREGATE_NOT_FOUND'
  | 'STREAM_NOT_FOUND'
  | 'STREAM_DELETED'
  | 'APPEND_OUTCOME_UNKNOWN'
  | 'HANDLER_NOT_FOUND'
  | 'CONFIGURATION'
  | 'PROJECTION'
  | 'EVENT_DECODING'
  | 'STORE_UNAVAILABLE'
  | 'STORE'
  | 'DOMAIN';

/**
 * The base of every error Rewind throws. `code` is stable for programs; `message` names the culprit
 * and the fix for people; `cause` keeps the original (vendor) error when there is one.
 */
export abstract class RewindError extends Error {
  abstract readonly code: RewindErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Checks whether a value is a Rewind error, optionally of one code. */
export function isRewindError(value: unknown, code?: RewindErrorCode): value is RewindError {
  return value instanceof RewindError && (code === undefined || value.code === code);
}
