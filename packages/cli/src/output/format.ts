import { isPosition, serializePosition } from '@rewind/core';
import { palette } from './color';

/** Makes a value JSON-safe: bigint → string, positions → their text form, Date → ISO, Map → object. */
export function toPlain(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (isPosition(value)) return serializePosition(value);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), toPlain(v)]));
  if (value instanceof Set) return [...value].map(toPlain);
  if (Array.isArray(value)) return value.map(toPlain);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toPlain(v)]));
  }
  return value;
}

/** One value as a short readable string (strings quoted, objects as compact JSON). */
export function show(value: unknown): string {
  const plain = toPlain(value);
  if (plain === undefined) return 'undefined';
  return JSON.stringify(plain);
}

/** Aligned columns; the first row is the header. */
export function table(rows: readonly (readonly string[])[], bold: (s: string) => string = (s) => s): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((row, i) => {
      const line = row
        .map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]!)))
        .join('  ')
        .trimEnd();
      return i === 0 ? bold(line) : line;
    })
    .join('\n');
}

/** A microdiff-style change (as `repository.history` yields them). */
export interface StateChange {
  readonly type: 'CREATE' | 'REMOVE' | 'CHANGE';
  readonly path: readonly (string | number)[];
  readonly value?: unknown;
  readonly oldValue?: unknown;
}

/** Joins a change path: `items[0].qty`. */
export function formatPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** State changes as lines: `+ field: value`, `- field`, `~ field: old → new`. */
export function formatChanges(changes: readonly StateChange[], colors = palette(false)): string[] {
  return changes.map((change) => {
    const path = formatPath(change.path);
    if (change.type === 'CREATE') return colors.green(`+ ${path}: ${show(change.value)}`);
    if (change.type === 'REMOVE') return colors.red(`- ${path}`);
    return colors.yellow(`~ ${path}: ${show(change.oldValue)} → ${show(change.value)}`);
  });
}
