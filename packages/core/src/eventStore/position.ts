import { ValidationError } from '../errors/errors';

/**
 * A place in the global log (`$all`). Opaque outside adapters: compare, serialize and parse it,
 * never do arithmetic on it. EventStoreDB gives sparse byte offsets (`commit`, `prepare`); the
 * embedded stores give a dense sequence (commit = prepare = sequence number).
 *
 * It is a plain object, so `${position}` prints `[object Object]`: print it with
 * {@link serializePosition} (`"42"`, or `"1024/1020"` on EventStoreDB) and read that text back with
 * {@link parsePosition}. The `rewind` CLI prints and accepts the same form.
 */
export interface Position {
  readonly commit: bigint;
  readonly prepare: bigint;
}

/** Builds a position from a dense sequence number (embedded stores). */
export function sequencePosition(sequence: bigint | number): Position {
  const n = BigInt(sequence);
  return { commit: n, prepare: n };
}

/** Orders two positions: negative when `a` is before `b`, 0 when equal, positive after. */
export function comparePositions(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

/** Whether `a` lies strictly after `b` (`b` undefined means "before the start"). */
export function isAfter(a: Position, b: Position | undefined): boolean {
  return b === undefined || comparePositions(a, b) > 0;
}

/**
 * The text form of a position, for messages, logs, URLs and the CLI: `"42"` for a dense position,
 * `"1024/1020"` for commit/prepare. {@link parsePosition} reads it back.
 */
export function serializePosition(position: Position): string {
  return position.commit === position.prepare
    ? position.commit.toString()
    : `${position.commit}/${position.prepare}`;
}

/** Whether a value is a {@link Position} (two bigints, `commit` and `prepare`, and nothing else). */
export function isPosition(value: unknown): value is Position {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.keys(value).length === 2 &&
    typeof (value as Position).commit === 'bigint' &&
    typeof (value as Position).prepare === 'bigint'
  );
}

/**
 * Parses the text form produced by {@link serializePosition}, or returns undefined when the text is not
 * one (e.g. to tell a position from a time in one argument).
 */
export function tryParsePosition(text: string): Position | undefined {
  const match = /^\s*(\d+)(?:\/(\d+))?\s*$/.exec(text);
  if (!match) return undefined;
  const commit = BigInt(match[1]!);
  return { commit, prepare: match[2] === undefined ? commit : BigInt(match[2]) };
}

/**
 * Parses the text form produced by {@link serializePosition}.
 * @example parsePosition('42') // { commit: 42n, prepare: 42n }; parsePosition('1024/1020') on EventStoreDB
 * @throws ValidationError when the text is not a position.
 */
export function parsePosition(text: string): Position {
  const position = tryParsePosition(text);
  if (!position) {
    throw new ValidationError('position', [
      {
        path: 'position',
        value: text,
        constraints: {
          format: `"${text}" is not a position: use a number such as "42" or "commit/prepare" such as "1024/1020"`,
        },
      },
    ]);
  }
  return position;
}
