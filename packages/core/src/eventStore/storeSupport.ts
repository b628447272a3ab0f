import { randomUUID } from 'node:crypto';
import { ConcurrencyError, ValidationError } from '../errors/errors';
import type {
  AppendOptions,
  EventFilter,
  EventToAppend,
  ExpectedRevision,
  RecordedEvent,
} from './eventStore';

/**
 * Helpers for EventStore implementations, so every store validates and checks revisions the same way.
 */

/** The largest revision any store can hold: revisions are signed 64-bit integers in every backend. */
export const MAX_REVISION = 2n ** 63n - 1n;

/** A lone surrogate: with the `u` flag, a paired one is part of a code point and does not match. */
const LONE_SURROGATE = /\p{Cs}/u;
/** A control character: C0 (including NUL), DEL and C1. */
const CONTROL = /\p{Cc}/u;

/**
 * Checks a stream name against the one rule every store enforces. A valid stream name is a non-empty
 * string of well-formed Unicode (no lone surrogate: it could not be stored as UTF-8 and would come back
 * altered) without control characters (U+0000–U+001F, U+007F–U+009F: NUL cuts names short in SQL
 * string functions). Names starting with `$` belong to the store (system streams): they may be read,
 * never appended to. Anything else is allowed, e.g. `order-7f3c`, `주문-42`, `cart-⚡`.
 *
 * @param purpose `'append'` also refuses the `$` prefix; `'read'` does not.
 * @throws ValidationError naming the stream and what is wrong with it.
 */
export function validateStreamName(streamId: unknown, purpose: 'append' | 'read' = 'append'): void {
  const refuse = (constraint: string, message: string): never => {
    throw new ValidationError('stream name', [
      { path: 'streamId', value: streamId, constraints: { [constraint]: message } },
    ]);
  };
  if (typeof streamId !== 'string' || streamId.length === 0) {
    refuse('required', 'a stream name must be a non-empty string');
  }
  const name = streamId as string;
  if (LONE_SURROGATE.test(name)) {
    refuse(
      'wellFormed',
      `${JSON.stringify(name)} holds a lone surrogate (half of a UTF-16 pair), which no store can keep as it is; ` +
        'use well-formed Unicode',
    );
  }
  const control = CONTROL.exec(name);
  if (control) {
    const code = control[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    refuse(
      'noControlCharacters',
      `${JSON.stringify(name)} holds the control character U+${code} at index ${control.index}; ` +
        'stream names may not contain control characters (U+0000–U+001F, U+007F–U+009F)',
    );
  }
  if (purpose === 'append' && name.startsWith('$')) {
    refuse('system', `"${name}" starts with "$", which is reserved for system streams`);
  }
}

/**
 * Checks an expected revision given by a caller: `'no_stream'`, `'stream_exists'`, `'any'`, or a
 * revision as a bigint from `0n` to {@link MAX_REVISION}. Anything else (a number, `null`, `-1n`, a
 * typo) is refused, never read as `'any'` and never reported as a conflict.
 * @throws ValidationError naming the value and the accepted forms.
 */
export function validateExpectedRevision(streamId: string, expected: unknown): ExpectedRevision {
  if (expected === 'no_stream' || expected === 'stream_exists' || expected === 'any') return expected;
  if (typeof expected === 'bigint' && expected >= 0n && expected <= MAX_REVISION) return expected;
  const hint =
    typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= 0
      ? `the number ${expected} is not a bigint: pass ${expected}n (or BigInt(${expected}))`
      : typeof expected === 'bigint'
        ? `${expected}n is out of range: a revision is from 0n to ${MAX_REVISION}n`
        : `got ${describeValue(expected)}`;
  throw new ValidationError(`expected revision of an append to "${streamId}"`, [
    {
      path: 'expectedRevision',
      value: expected,
      constraints: {
        expectedRevision:
          `expectedRevision must be 'no_stream', 'stream_exists', 'any' or a revision (a bigint from 0n, ` +
          `e.g. 3n); ${hint}`,
      },
    },
  ]);
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || value === null) return String(value);
  return `a value of type ${typeof value}`;
}

/**
 * Checks an append before anything is written: the stream name ({@link validateStreamName}), the
 * events, and the expected revision ({@link validateExpectedRevision}).
 * @returns the expected revision to check the stream against (`'any'` when none was given).
 * @throws ValidationError naming the field and the fix.
 */
export function validateAppend(
  streamId: string,
  events: readonly EventToAppend[],
  options: AppendOptions = {},
): ExpectedRevision {
  validateStreamName(streamId, 'append');
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
  return options.expectedRevision === undefined
    ? 'any'
    : validateExpectedRevision(streamId, options.expectedRevision);
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

/** An event ready for a store that keeps JSON text: `[id, type, data JSON, metadata JSON]`. */
export type SerializedEvent = readonly [id: string, type: string, data: string, metadata: string];

/**
 * Serializes an append's events to JSON text, each with its id (a new UUID when it has none). Stores
 * call it before an append joins a group commit, so data that is not JSON (a cycle, a bigint) fails
 * this caller with a ValidationError, never the whole batch.
 * @throws ValidationError naming the event and field that cannot be stored as JSON.
 */
export function serializeEvents(streamId: string, events: readonly EventToAppend[]): SerializedEvent[] {
  return events.map((event, index) => {
    const json = (value: unknown, field: 'data' | 'metadata'): string => {
      try {
        return JSON.stringify(value ?? null);
      } catch (error) {
        throw new ValidationError(
          `append to "${streamId}"`,
          [
            {
              path: `events.${index}.${field}`,
              constraints: { json: `cannot be stored as JSON: ${(error as Error).message}` },
            },
          ],
          { cause: error, hint: 'Encode it with encodeJson (Dates, bigints) and remove cycles' },
        );
      }
    };
    return [event.id ?? randomUUID(), event.type, json(event.data, 'data'), json(event.metadata, 'metadata')];
  });
}

/** An append checked and serialized, ready to join a store's group commit. */
export interface PreparedAppend {
  readonly streamId: string;
  readonly expected: ExpectedRevision;
  /** `[id, type, data JSON, metadata JSON]` per event ({@link serializeEvents}). */
  readonly rows: readonly SerializedEvent[];
  /** Whether the caller gave every event's id (only then can the append be a retry of a written one). */
  readonly idsGiven: boolean;
}

/**
 * Checks an append ({@link validateAppend}) and serializes its events ({@link serializeEvents}): what
 * a store that keeps JSON text does before the append joins a group commit.
 * @throws ValidationError for invalid input; nothing is written.
 */
export function prepareAppend(
  streamId: string,
  events: readonly EventToAppend[],
  options: AppendOptions = {},
): PreparedAppend {
  const expected = validateAppend(streamId, events, options);
  return {
    streamId,
    expected,
    rows: serializeEvents(streamId, events),
    idsGiven: events.every((event) => event.id !== undefined),
  };
}
