import { ValidationError } from '../errors/errors';

/**
 * A place in the global log (`$all`). Opaque outside adapters: compare, serialize and parse it,
 * never do arithmetic on it. EventStoreDB gives sparse byte offsets (`commit`, `prepare`); the
 * embedded stores give a dense sequence (commit = prepare = sequence number).
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

/** Turns a position into text: `"42"` for a dense position, `"1024/1020"` for commit/prepare. */
export function serializePosition(position: Position): string {
  return position.commit === position.prepare
    ? position.commit.toString()
    : `${position.commit}/${position.prepare}`;
}

/**
 * Parses the text form produced by {@link serializePosition}.
 * @throws ValidationError when the text is not a position.
 */
export function parsePosition(text: string): Position {
  const match = /^\s*(\d+)(?:\/(\d+))?\s*$/.exec(text);
  if (!match) {
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
  const commit = BigInt(match[1]!);
  return { commit, prepare: match[2] === undefined ? commit : BigInt(match[2]) };
}
