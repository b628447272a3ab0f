import { ValidationError } from '../errors/errors';

/** Kinds of values that JSON cannot hold and the codec revives. */
export type RevivedKind = 'date' | 'bigint';

/** A JSON-safe value plus where it held Dates and bigints (JSON pointers). */
export interface EncodedValue {
  readonly json: unknown;
  readonly types: Record<string, RevivedKind> | undefined;
}

/**
 * Turns a value into JSON-safe data, recording the JSON pointer of every Date and bigint so
 * {@link decodeJson} can restore them exactly, without a reviver walking every value on read.
 * @throws ValidationError for values that cannot be stored (functions, symbols, Maps, Sets, NaN...).
 */
export function encodeJson(value: unknown, what = 'value'): EncodedValue {
  const types: Record<string, RevivedKind> = {};
  let found = false;
  const walk = (input: unknown, pointer: string): unknown => {
    if (input === null || typeof input === 'string' || typeof input === 'boolean') return input;
    if (typeof input === 'number') {
      if (!Number.isFinite(input)) fail(pointer, `${input} is not a finite number`);
      return input;
    }
    if (typeof input === 'bigint') {
      types[pointer] = 'bigint';
      found = true;
      return input.toString();
    }
    if (input === undefined) return undefined;
    if (input instanceof Date) {
      if (Number.isNaN(input.getTime())) fail(pointer, 'is an invalid Date');
      types[pointer] = 'date';
      found = true;
      return input.toISOString();
    }
    if (Array.isArray(input)) return input.map((item, i) => walk(item, `${pointer}/${i}`) ?? null);
    if (typeof input === 'object') {
      if (input instanceof Map || input instanceof Set)
        fail(pointer, 'is a Map or Set: store an array or a plain object');
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(input)) {
        const v = walk((input as Record<string, unknown>)[key], `${pointer}/${escape(key)}`);
        if (v !== undefined) out[key] = v;
      }
      return out;
    }
    return fail(pointer, `is a ${typeof input}, which cannot be stored`);
  };
  const fail = (pointer: string, problem: string): never => {
    throw new ValidationError(what, [
      {
        path: pointer.slice(1).replace(/\//g, '.') || '(root)',
        constraints: { serializable: `${pointer || '(root)'} ${problem}` },
      },
    ]);
  };
  const json = walk(value, '');
  return { json, types: found ? types : undefined };
}

/** Restores the Dates and bigints recorded by {@link encodeJson}, in place. */
export function decodeJson<T>(json: T, types: Readonly<Record<string, RevivedKind>> | undefined): T {
  if (!types) return json;
  let root: unknown = json;
  for (const pointer in types) {
    const kind = types[pointer];
    const revive = (v: unknown) => (kind === 'date' ? new Date(v as string) : BigInt(v as string));
    if (pointer === '') {
      root = revive(root);
      continue;
    }
    const parts = pointer.slice(1).split('/').map(unescape);
    let parent = root as Record<string, unknown>;
    for (let i = 0; i < parts.length - 1 && parent != null; i++)
      parent = parent[parts[i]!] as Record<string, unknown>;
    const last = parts[parts.length - 1]!;
    if (parent != null && parent[last] != null) parent[last] = revive(parent[last]);
  }
  return root as T;
}

const escape = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');
const unescape = (key: string) => key.replace(/~1/g, '/').replace(/~0/g, '~');
