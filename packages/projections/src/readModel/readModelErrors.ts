import { ProjectionError, ValidationError } from '@rewind/core';
import { SYSTEM_NAMESPACE } from '../runner/namespaces';

/** The runner lost its lease to another process: it must stop writing. */
export class LockLostError extends ProjectionError {
  constructor(
    readonly lock: string,
    readonly owner: string,
  ) {
    super(
      lock,
      `The lock "${lock}" is no longer held by ${owner} (its lease expired and another runner took over). ` +
        'This runner stops; the other one continues from the committed checkpoint.',
    );
  }
}

/** A namespace that was asked for holds nothing: no documents, no checkpoint, no dead letters. */
export class NamespaceNotFoundError extends ProjectionError {
  constructor(
    readonly namespace: string,
    known?: readonly string[],
  ) {
    super(
      namespace,
      `There is no read-model namespace "${namespace}".` +
        (known === undefined
          ? ' List them with "rewind readmodel <projection> --list-namespaces".'
          : known.length
            ? ` Known namespaces: ${known.join(', ')}.`
            : ' The store holds none yet.'),
    );
  }
}

/**
 * A transaction relied on something another writer changed before it could commit (a checkpoint or a
 * served pointer it read); nothing was written. The caller may retry with fresh reads.
 */
export class TransactionConflictError extends ProjectionError {}

/** No parked event has this id: it was retried or skipped already, or the id is mistyped. */
export class DeadLetterNotFoundError extends ProjectionError {
  constructor(readonly id: string) {
    super(
      'dead-letters',
      `No dead letter with id "${id}": it was retried or skipped already, or the id is mistyped. List the parked events to see their ids.`,
    );
  }
}

/**
 * Refuses to drop Rewind's own bookkeeping (served pointers, pause flags, rebuild records).
 * @throws ProjectionError for the system namespace.
 */
export function checkDroppable(namespace: string): void {
  if (namespace === SYSTEM_NAMESPACE) {
    throw new ProjectionError(
      namespace,
      `"${SYSTEM_NAMESPACE}" holds Rewind's own records (which namespace each projection serves, pause flags, rebuilds in progress) and is never dropped. Drop a projection's namespace instead.`,
    );
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;
const SEGMENT = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Checks a collection name: letters, digits, `_` and `-`, starting with a letter or `_`.
 * @throws ValidationError naming the bad name.
 */
export function checkCollectionName(name: string): void {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new ValidationError('collection name', [
      {
        path: 'collection',
        value: name,
        constraints: {
          pattern: `${JSON.stringify(name)} is not a collection name: use letters, digits, "_" and "-" (max 128)`,
        },
      },
    ]);
  }
}

/**
 * Checks a field path (`a.b.c`) and returns its segments.
 * @throws ValidationError naming the bad path.
 */
export function checkFieldPath(path: string): string[] {
  const segments = typeof path === 'string' ? path.split('.') : [];
  if (segments.length === 0 || segments.length > 8 || !segments.every((s) => SEGMENT.test(s))) {
    throw new ValidationError('field path', [
      {
        path: 'field',
        value: path,
        constraints: {
          pattern: `${JSON.stringify(path)} is not a field path: use names of letters, digits and "_" joined by "."`,
        },
      },
    ]);
  }
  return segments;
}

/**
 * Checks a document key: any non-empty string up to 512 characters (keys are always parameters).
 * @throws ValidationError for an empty or over-long key.
 */
export function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > 512) {
    throw new ValidationError('document key', [
      {
        path: 'key',
        value: key,
        constraints: { length: 'a document key must be a string of 1 to 512 characters' },
      },
    ]);
  }
}

/** Checks a namespace name (same rules as collections, plus `@`, `#`, `~`, `.`, `:`). */
export function checkNamespace(namespace: string): void {
  if (typeof namespace !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_@#~.:-]{0,199}$/.test(namespace)) {
    throw new ValidationError('namespace', [
      {
        path: 'namespace',
        value: namespace,
        constraints: { pattern: `${JSON.stringify(namespace)} is not a valid namespace` },
      },
    ]);
  }
}

const OPERATORS = new Set(['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in']);

/** A filter broken into checked conditions. */
export interface ParsedCondition {
  readonly path: string[];
  readonly op: '$eq' | '$ne' | '$gt' | '$gte' | '$lt' | '$lte' | '$in';
  readonly value: unknown;
}

/**
 * Validates a filter and flattens it into conditions (shared by every store). Semantics every store
 * keeps: values are JSON scalars and never match across types (`1` is not `"1"`, `true` is not `1`);
 * `null` matches a null or missing field; `$ne` matches everything else, missing fields included;
 * `$gt`/`$gte`/`$lt`/`$lte` take a string or number and match only fields of that type (strings
 * compare by code unit, like SQL's binary/"C" collation); `$in: []` matches nothing.
 * @throws ValidationError for an unknown operator, a bad path, a non-scalar value or a bad `$in`.
 */
export function parseFilter(filter: Readonly<Record<string, unknown>> = {}): ParsedCondition[] {
  const out: ParsedCondition[] = [];
  for (const [field, condition] of Object.entries(filter)) {
    const path = checkFieldPath(field);
    const isOperatorObject =
      condition !== null &&
      typeof condition === 'object' &&
      !Array.isArray(condition) &&
      Object.keys(condition).some((k) => k.startsWith('$'));
    if (!isOperatorObject) {
      checkScalar(field, condition);
      out.push({ path, op: '$eq', value: condition });
      continue;
    }
    for (const [op, value] of Object.entries(condition as Record<string, unknown>)) {
      if (!OPERATORS.has(op)) {
        throw new ValidationError('filter', [
          {
            path: field,
            value: op,
            constraints: { operator: `unknown operator ${op}: use $eq, $ne, $gt, $gte, $lt, $lte or $in` },
          },
        ]);
      }
      if (op === '$in' && !Array.isArray(value)) {
        throw new ValidationError('filter', [
          { path: field, value, constraints: { $in: '$in takes an array' } },
        ]);
      }
      if (op === '$in') for (const item of value as unknown[]) checkScalar(field, item);
      else if (op === '$eq' || op === '$ne') checkScalar(field, value);
      else if (!(typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)))) {
        throw new ValidationError('filter', [
          { path: field, value, constraints: { [op]: `${op} compares with a string or a finite number` } },
        ]);
      }
      out.push({ path, op: op as ParsedCondition['op'], value });
    }
  }
  return out;
}

/** Filter values are JSON scalars, so every store can match them with parameters and the same meaning. */
function checkScalar(field: string, value: unknown): void {
  const ok =
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value));
  if (!ok) {
    throw new ValidationError('filter', [
      {
        path: field,
        value,
        constraints: {
          scalar: `filter values are strings, finite numbers, booleans or null; for "${field}" use one (or $in with a list of them), or filter on a nested field path such as "${field}.name"`,
        },
      },
    ]);
  }
}

/** Checked {@link FindOptions}: the path to order by (undefined: by key) and the limit. */
export interface ParsedFindOptions {
  readonly orderBy: string[] | undefined;
  readonly descending: boolean;
  readonly limit: number | undefined;
}

/**
 * Validates find options (shared by every store): `orderBy` is a field path, `limit` a whole number
 * from 0. Order: by the field (numbers numerically, strings by code unit), documents without the
 * field last in either direction, ties by key ascending.
 * @throws ValidationError for a bad path, direction or limit.
 */
export function parseFindOptions(
  options: { orderBy?: string; direction?: 'asc' | 'desc'; limit?: number } = {},
): ParsedFindOptions {
  const { orderBy, direction, limit } = options;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
    throw new ValidationError('find options', [
      { path: 'limit', value: limit, constraints: { limit: 'limit is a whole number from 0' } },
    ]);
  }
  if (direction !== undefined && direction !== 'asc' && direction !== 'desc') {
    throw new ValidationError('find options', [
      { path: 'direction', value: direction, constraints: { direction: "direction is 'asc' or 'desc'" } },
    ]);
  }
  return {
    orderBy: orderBy === undefined ? undefined : checkFieldPath(orderBy),
    descending: direction === 'desc',
    limit,
  };
}

/** Reads a nested field of a document. */
export function readPath(doc: unknown, path: readonly string[]): unknown {
  let value = doc;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/** Evaluates parsed conditions against a document (in-memory stores, and overlays of buffered writes). */
export function matchesConditions(doc: unknown, conditions: readonly ParsedCondition[]): boolean {
  for (const { path, op, value } of conditions) {
    const actual = readPath(doc, path);
    switch (op) {
      case '$eq':
        if (!equal(actual, value)) return false;
        break;
      case '$ne':
        if (equal(actual, value)) return false;
        break;
      case '$in':
        if (!(value as unknown[]).some((v) => equal(actual, v))) return false;
        break;
      default: {
        if (actual === undefined || actual === null || typeof actual !== typeof value) return false;
        const a = actual as number | string;
        const b = value as number | string;
        if (op === '$gt' && !(a > b)) return false;
        if (op === '$gte' && !(a >= b)) return false;
        if (op === '$lt' && !(a < b)) return false;
        if (op === '$lte' && !(a <= b)) return false;
      }
    }
  }
  return true;
}

/** Scalar equality where a `null` in the filter also matches a missing field. */
function equal(actual: unknown, expected: unknown): boolean {
  return expected === null ? actual === null || actual === undefined : actual === expected;
}

/**
 * The order every store gives `find` results (shared so stores that sort in memory agree exactly):
 * by the field when `orderBy` is given — numbers numerically, strings by code unit, documents without
 * the field last in either direction, ties by key ascending — otherwise by key ascending (`direction`
 * applies to a field only).
 */
export function compareFound(
  orderBy: readonly string[] | undefined,
  descending: boolean,
): (a: { key: string; doc: unknown }, b: { key: string; doc: unknown }) => number {
  const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  if (!orderBy) return byKey;
  return (a, b) => {
    const x = readPath(a.doc, orderBy);
    const y = readPath(b.doc, orderBy);
    const xMissing = x === undefined || x === null;
    const yMissing = y === undefined || y === null;
    if (xMissing || yMissing) return xMissing && yMissing ? byKey(a, b) : xMissing ? 1 : -1;
    if (x === y) return byKey(a, b);
    return ((x as string) < (y as string) ? -1 : 1) * (descending ? -1 : 1);
  };
}
