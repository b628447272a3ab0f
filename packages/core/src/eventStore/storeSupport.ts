import { ConcurrencyError, ValidationError } from '../errors/errors';
import type { EventFilter, EventToAppend, ExpectedRevision, RecordedEvent } from './eventStore';

/**
 * Helpers for EventStore implementations, so every store validates and checks revisions the same way.
 */

/**
 * Checks a stream id and the events of an append before anything is written.
 * @throws ValidationError naming the field and the fix.
 */
export function validateAppend(streamId: string, events: readonly EventToAppend[]): void {
  if (typeof streamId !== 'string' || streamId.length === 0) {
    throw new ValidationError('stream name', [
      {
        path: 'streamId',
        value: streamId,
        constraints: { required: 'a stream name must be a non-empty string' },
      },
    ]);
  }
  if (streamId.startsWith('$')) {
    throw new ValidationError('stream name', [
      {
        path: 'streamId',
        value: streamId,
        constraints: { system: `"${streamId}" starts with "$", which is reserved for system streams` },
      },
    ]);
  }
  if (!Array.isArray(events) || events.length === 0) {
    throw new ValidationError(`append to "${streamId}"`, [
      { path: 'events', constraints: { notEmpty: 'an append needs at least one event' } },
    ]);
  }
  events.forEach((event, index) => {
    if (typeof event.type !== 'string' || event.type.length === 0) {
      throw new ValidationError(`append to "${streamId}"`, [
        {
          path: `events.${index}.type`,
          value: event.type,
          constraints: { required: 'event type must be a non-empty string' },
        },
      ]);
    }
    if (event.type.startsWith('$')) {
      throw new ValidationError(`append to "${streamId}"`, [
        {
          path: `events.${index}.type`,
          value: event.type,
          constraints: { system: 'event types starting with "$" are reserved' },
        },
      ]);
    }
  });
}

/**
 * Compares an expected revision with the stream's actual last revision (`undefined` = no stream).
 * @throws ConcurrencyError when they do not match.
 */
export function checkExpectedRevision(
  streamId: string,
  expected: ExpectedRevision,
  actual: bigint | undefined,
): void {
  const ok =
    expected === 'any' ||
    (expected === 'no_stream' && actual === undefined) ||
    (expected === 'stream_exists' && actual !== undefined) ||
    (typeof expected === 'bigint' && actual === expected);
  if (!ok) throw new ConcurrencyError(streamId, expected, actual ?? 'no_stream');
}

/** Whether an event passes a filter (no filter, or an empty one, passes everything). */
export function matchesFilter(
  event: Pick<RecordedEvent, 'type' | 'streamId'>,
  filter?: EventFilter,
): boolean {
  if (!filter) return true;
  const types = filter.eventTypes;
  const prefixes = filter.streamPrefixes;
  const hasTypes = types !== undefined && types.length > 0;
  const hasPrefixes = prefixes !== undefined && prefixes.length > 0;
  if (!hasTypes && !hasPrefixes) return true;
  if (hasTypes && types.includes(event.type)) return true;
  if (hasPrefixes && prefixes.some((p) => event.streamId.startsWith(p))) return true;
  return false;
}
