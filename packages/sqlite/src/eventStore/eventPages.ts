import {
  EventDecodingError,
  sequencePosition,
  type Position,
  type RecordedEvent,
  type StoredEventMetadata,
} from '@rewind/core';
import type { PackedPage } from './packedPage';
import type { EventRow } from './statements';

/**
 * Events decoded from a page of rows: every event up to the first row that cannot be decoded, and that
 * row's error. Readers deliver `events`, then throw `failure`: one bad row never hides the rows before
 * it, and a read that starts after its position goes on past it.
 */
export interface DecodedPage {
  readonly events: RecordedEvent[];
  readonly failure?: EventDecodingError;
}

/**
 * Turns a page of raw rows into the port's events. Events appended together usually carry the same
 * metadata text (one command, one correlation): consecutive rows with identical text share one parsed,
 * deeply frozen metadata object instead of parsing it again. A row whose data or metadata is not JSON
 * ends the page (see {@link DecodedPage}).
 */
export function decodeRows(rows: readonly EventRow[]): DecodedPage {
  try {
    return { events: toRecordedPage(rows) };
  } catch {
    // Rare: find the first bad row one by one, keep what precedes it.
    const events: RecordedEvent[] = [];
    for (const row of rows) {
      try {
        events.push(toRecordedPage([row])[0]!);
      } catch (error) {
        return { events, failure: undecodable(row, error) };
      }
    }
    return { events };
  }
}

function toRecordedPage(rows: readonly EventRow[]): RecordedEvent[] {
  const out = new Array<RecordedEvent>(rows.length);
  let metadataText = '';
  let metadata: StoredEventMetadata | undefined;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (metadata === undefined || row[6] !== metadataText) {
      metadataText = row[6];
      metadata = deepFreeze(JSON.parse(metadataText) as StoredEventMetadata);
    }
    out[i] = decodedEvent(
      row[3],
      row[1],
      BigInt(row[2]),
      sequencePosition(row[0]),
      row[4],
      JSON.parse(row[5]) as unknown,
      metadata,
      new Date(row[7]),
    );
  }
  return out;
}

function undecodable(row: EventRow, error: unknown): EventDecodingError {
  return new EventDecodingError(
    row[1],
    BigInt(row[2]),
    row[4],
    `its stored data or metadata is not JSON (${(error as Error).message}). The file was changed ` +
      'outside Rewind: restore it from a backup, or skip the event (a projection parks it as a dead letter).',
    { cause: error, position: sequencePosition(row[0]), eventId: row[3] },
  );
}

/**
 * Turns a packed page into the port's events: the same objects {@link decodeRows} builds, from one
 * UTF-8 decode and one JSON parse per page, and one deep freeze per distinct metadata text.
 * @throws SyntaxError when stored data or metadata is not JSON (the caller then decodes the rows one by
 * one).
 */
export function fromPackedPage(page: PackedPage): RecordedEvent[] {
  const { text, numbers } = page;
  const n = numbers.length / 4;
  const parsed = JSON.parse(Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('utf8')) as [
    unknown[],
    StoredEventMetadata[],
  ];
  const [texts, metadata] = parsed;
  // Payloads are joined unchecked: a stored text that is not one JSON value (changed outside Rewind)
  // can still make valid JSON of the whole, with values shifted. Counts and types catch that.
  if (
    parsed.length !== 2 ||
    texts.length !== 4 * n ||
    metadata.length !== (n === 0 ? 0 : numbers[n * 4 - 1]! + 1)
  ) {
    throw new SyntaxError('a stored text is not a single JSON value');
  }
  for (const each of metadata) {
    if (each === null || typeof each !== 'object') throw new SyntaxError('stored metadata is not an object');
    deepFreeze(each);
  }
  const out = new Array<RecordedEvent>(n);
  for (let i = 0; i < n; i++) {
    const streamId = texts[4 * i];
    const id = texts[4 * i + 1];
    const type = texts[4 * i + 2];
    if (typeof streamId !== 'string' || typeof id !== 'string' || typeof type !== 'string') {
      throw new SyntaxError('a stored text is not a single JSON value');
    }
    out[i] = decodedEvent(
      id,
      streamId,
      BigInt(numbers[i * 4 + 1]!),
      sequencePosition(numbers[i * 4]!),
      type,
      texts[4 * i + 3],
      metadata[numbers[i * 4 + 3]!]!,
      new Date(numbers[i * 4 + 2]!),
    );
  }
  return out;
}

/**
 * A decoded event: a plain object, as from every store, but made by `new Object()` and assignments
 * rather than by an object literal. V8 tracks where object literals are allocated, and when a young
 * collection happens to find most of one literal's objects alive (a page decoded and not yet applied,
 * early in a long read), it may allocate every later object of that literal straight in the old
 * generation: every event of the rest of a 1M-event read then died in old space, taking its data and
 * metadata with it (6 MB promoted per young collection, main-thread GC 0.3 s -> 2 s in a third of the
 * runs). Objects made this way are not tracked.
 */
function decodedEvent(
  id: string,
  streamId: string,
  revision: bigint,
  position: Position,
  type: string,
  data: unknown,
  metadata: StoredEventMetadata,
  recordedAt: Date,
): RecordedEvent {
  // Not a literal, on purpose (see above).
  const event = new Object() as { -readonly [K in keyof RecordedEvent]: RecordedEvent[K] };
  event.id = id;
  event.streamId = streamId;
  event.revision = revision;
  event.position = position;
  event.type = type;
  event.data = data;
  event.metadata = metadata;
  event.recordedAt = recordedAt;
  return event;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    // for-in, not Object.keys: JSON values have no inherited enumerable keys, and no array is made.
    for (const key in value) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}
