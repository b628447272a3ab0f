/**
 * A deep copy of `value` as `JSON.parse(JSON.stringify(value))` would give it — `toJSON` honoured,
 * `undefined`, functions and symbols dropped from objects and `null` in arrays, non-finite numbers
 * `null`, boxed primitives unwrapped — without the text in between: what a store that buffers
 * documents as objects keeps of a `put`. Throws what `JSON.stringify` throws (a `bigint`, a cycle).
 * For read-model store implementations (the SQLite store buffers documents this way).
 */
export function jsonCopy(value: unknown): unknown {
  try {
    return copy(value, '');
  } catch (error) {
    // A cycle overflows the stack here; let JSON.stringify say what it says about it.
    if (error instanceof RangeError) JSON.stringify(value);
    throw error;
  }
}

function copy(value: unknown, key: string): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value + 0 : null; // -0 + 0 is 0, as in JSON text
    case 'bigint':
      throw new TypeError('Do not know how to serialize a BigInt');
    case 'object': {
      if (value === null) return null;
      const toJSON = (value as { toJSON?: (key: string) => unknown }).toJSON;
      if (typeof toJSON === 'function') return copy(toJSON.call(value, key), key);
      if (value instanceof Number || value instanceof String || value instanceof Boolean)
        return copy(value.valueOf(), key);
      if (Array.isArray(value)) {
        const out: unknown[] = new Array(value.length);
        for (let i = 0; i < value.length; i++) {
          const item = copy(value[i] as unknown, String(i));
          out[i] = item === undefined ? null : item;
        }
        return out;
      }
      const out: Record<string, unknown> = {};
      for (const field of Object.keys(value)) {
        const item = copy((value as Record<string, unknown>)[field], field);
        if (item !== undefined) setField(out, field, item);
      }
      return out;
    }
    default:
      return undefined; // undefined, functions, symbols
  }
}

/**
 * A fresh, mutable deep copy of a document that is JSON already (as {@link jsonCopy} made it, or
 * `JSON.parse` did): plain objects, arrays and primitives only.
 * For read-model store implementations (the SQLite store buffers documents this way).
 */
export function cloneJson<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = cloneJson(value[i] as unknown);
    return out as T;
  }
  // A spread copies a plain object's own fields in one step (a field named `__proto__` included, as a
  // field); only nested objects and arrays then need copies of their own.
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const field of Object.keys(out)) {
    const item = out[field];
    if (item !== null && typeof item === 'object') out[field] = cloneJson(item);
  }
  return out as T;
}

/** `out[field] = item`, except that a field named `__proto__` stays a field (as JSON.parse makes it). */
export function setField(out: Record<string, unknown>, field: string, item: unknown): void {
  if (field === '__proto__')
    Object.defineProperty(out, field, { value: item, enumerable: true, writable: true, configurable: true });
  else out[field] = item;
}

/** The fields and values {@link overwriteFlat} checked, read once each (reused: no array per call). */
const flatFields: string[] = [];
const flatValues: Array<string | number | boolean | null> = [];

/**
 * Writes the fields of `doc` (the object given to a `put`) straight over `target` (a store's private,
 * mutable copy of the document it replaces), when `doc` is a plain object whose values are all
 * strings, numbers, booleans or null — a document of counters, the usual case — and its fields are
 * `target`'s, in the same order. Numbers are written as they are, or with `numbers: 'json'` as JSON
 * text would give them back (a non-finite number becomes null). Says whether it wrote; when it did
 * not, `target` is unchanged and the store makes a copy as usual.
 *
 * A store that keeps one private copy per document and writes puts over it, rather than a new copy
 * per put, keeps a document put again and again in a long transaction as one long-lived object: new
 * copies outlive a young collection or two and die in the old generation.
 * For read-model store implementations (the SQLite and in-memory stores).
 */
export function overwriteFlat(
  target: Record<string, unknown>,
  doc: object,
  numbers: 'json' | 'as-is' = 'json',
): boolean {
  if (Object.getPrototypeOf(doc) !== Object.prototype) return false;
  if (typeof (doc as { toJSON?: unknown }).toJSON === 'function') return false;
  let n = 0;
  // for-in, not Object.keys (no array per call): it gives a plain object's own fields, in order, as
  // long as Object.prototype has no enumerable field of its own (checked before writing).
  for (const field in doc) {
    const value = (doc as Record<string, unknown>)[field];
    switch (typeof value) {
      case 'string':
      case 'boolean':
        flatValues[n] = value;
        break;
      case 'number':
        // -0 + 0 is 0, as in JSON text
        flatValues[n] = numbers === 'as-is' ? value : Number.isFinite(value) ? value + 0 : null;
        break;
      default:
        if (value !== null) return false;
        flatValues[n] = null;
    }
    flatFields[n++] = field;
  }
  if (Array.isArray(target)) return false;
  let i = 0;
  for (const field in target) {
    if (i === n || flatFields[i] !== field || field === '__proto__') return false;
    i++;
  }
  if (i !== n || inheritsEnumerableFields()) return false;
  for (let j = 0; j < n; j++) target[flatFields[j]!] = flatValues[j]!;
  return true;
}

/** Whether something added an enumerable field to Object.prototype (for-in would then list it). */
function inheritsEnumerableFields(): boolean {
  for (const _ in Object.prototype) return true;
  return false;
}
