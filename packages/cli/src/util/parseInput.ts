import { parsePosition, type Position } from '@rewind/core';
import { CliError, EXIT } from './cliError';

const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Parses an ISO 8601 time (`2026-05-01`, `2026-05-01T12:00:00Z`, with an offset). A time without a zone
 * is read as UTC, so the same command means the same moment on every machine.
 * @throws CliError (usage) for anything else.
 */
export function parseTime(text: string, option = '--at'): Date {
  const trimmed = text.trim();
  if (ISO.test(trimmed)) {
    const hasZone = /(Z|[+-]\d{2}:?\d{2})$/.test(trimmed) && trimmed.length > 10;
    const normalized = trimmed.replace(' ', 'T');
    const date = new Date(hasZone || normalized.length === 10 ? normalized : `${normalized}Z`);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new CliError(
    `${option} "${text}" is not a valid ISO 8601 time. Use e.g. 2026-05-01T12:00:00Z (no zone means UTC).`,
    EXIT.usage,
  );
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

/**
 * Parses `--until`/`--as-of`: a position (`42`, or `commit/prepare` on EventStoreDB) or an ISO time.
 * @throws CliError (usage) for anything else.
 */
export function parsePositionOrTime(text: string, option: string): Position | Date {
  if (/^\s*\d+(\/\d+)?\s*$/.test(text)) return parsePosition(text);
  try {
    return parseTime(text, option);
  } catch {
    throw new CliError(
      `${option} "${text}" is neither a log position (e.g. 1200, or 1200/1180 on EventStoreDB) nor an ISO 8601 time (e.g. 2026-05-01T12:00:00Z).`,
      EXIT.usage,
    );
  }
}
