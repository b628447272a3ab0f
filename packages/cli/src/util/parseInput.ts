import { tryParsePosition, type Position } from '@rewind/core';
import { CliError, EXIT } from './cliError';

/** Date, optional time (minutes, seconds and a fraction optional), optional zone: `Z`, `+02:00`, `-0130`. */
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Parses an ISO 8601 time (`2026-05-01`, `2026-05-01T12:00:00Z`, with an offset). A time without a zone
 * is read as UTC, so the same command means the same moment on every machine. Strict: a date or time
 * that does not exist (`2026-02-30`, `24:00`, `12:60`) is refused, never rolled over into another one.
 * @throws CliError (usage) for anything else.
 */
export function parseTime(text: string, option = '--at'): Date {
  const date = strictIso(text.trim());
  if (date) return date;
  throw new CliError(
    `${option} "${text}" is not a valid ISO 8601 time. Use e.g. 2026-05-01T12:00:00Z (no zone means UTC).`,
    EXIT.usage,
  );
}

/** The moment an ISO 8601 text names, or undefined when it is malformed or names no real date and time. */
function strictIso(text: string): Date | undefined {
  const match = ISO.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone = 'Z'] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1) return undefined;
  if (day > (month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1]!)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const [offsetHours, offsetRest] = [Number(zone.slice(1, 3)), Number(zone.slice(-2))];
    if (offsetHours > 23 || offsetRest > 59) return undefined;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (offsetHours * 60 + offsetRest);
  }
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, Number(fraction.padEnd(3, '0').slice(0, 3)));
  return new Date(date.getTime() - offsetMinutes * 60_000);
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Parses a non-negative integer option (a revision, a count). @throws CliError (usage). */
export function parseNonNegative(text: string, option: string): bigint {
  if (!/^\s*\d+\s*$/.test(text)) {
    throw new CliError(
      `${option} "${text}" is not a non-negative integer. Use e.g. ${option} 3.`,
      EXIT.usage,
    );
  }
  return BigInt(text.trim());
}

/** Parses a positive integer option (a count such as `--limit`). @throws CliError (usage) naming the option and the value. */
export function parsePositive(text: string, option: string): number {
  const value = /^\s*\d+\s*$/.test(text) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new CliError(`${option} "${text}" is not a positive integer. Use e.g. ${option} 20.`, EXIT.usage);
  }
  return value;
}

/**
 * Parses `--until`/`--as-of`: a position in the text form of `serializePosition` (`42`, or
 * `commit/prepare` on EventStoreDB; parsed by core's `tryParsePosition`) or an ISO time.
 * @throws CliError (usage) for anything else.
 */
export function parsePositionOrTime(text: string, option: string): Position | Date {
  const position = tryParsePosition(text);
  if (position) return position;
  try {
    return parseTime(text, option);
  } catch {
    throw new CliError(
      `${option} "${text}" is neither a log position (e.g. 1200, or 1200/1180 on EventStoreDB) nor an ISO 8601 time (e.g. 2026-05-01T12:00:00Z).`,
      EXIT.usage,
    );
  }
}
