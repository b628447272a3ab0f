import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/** What the config loader takes from a tsconfig.json: where non-relative imports may point. */
export interface PathMapping {
  /** The tsconfig.json it was read from (for messages). */
  readonly file: string;
  /** Absolute `baseUrl`, when set: non-relative imports are also tried against it. */
  readonly baseUrl?: string;
  /** `paths` patterns (`@app/*`) with their targets made absolute. */
  readonly paths: ReadonlyArray<{ readonly pattern: string; readonly targets: readonly string[] }>;
}

/**
 * Parses JSON as TypeScript reads tsconfig files: `//` and `/* *\/` comments and trailing commas are
 * allowed. @throws SyntaxError when what is left is not JSON.
 */
export function parseJsonc(text: string): unknown {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      out += text.slice(start, i + 1);
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 1;
      out += ' ';
    } else out += c;
  }
  return JSON.parse(dropTrailingCommas(out)) as unknown;
}

/** Drops each comma that only blanks separate from a closing bracket, outside strings. */
function dropTrailingCommas(json: string): string {
  let out = '';
  for (let i = 0; i < json.length; i++) {
    const c = json[i]!;
    if (c === '"') {
      const start = i;
      for (i++; i < json.length && json[i] !== '"'; i++) if (json[i] === '\\') i++;
      out += json.slice(start, i + 1);
    } else if (c === ',' && /^\s*[}\]]/.test(json.slice(i + 1))) continue;
    else out += c;
  }
  return out;
}

/** The nearest tsconfig.json in `dir` or a parent directory, or undefined. */
export function findTsconfig(dir: string): string | undefined {
  for (let current = resolve(dir); ; current = dirname(current)) {
    const candidate = join(current, 'tsconfig.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(current) === current) return undefined;
  }
}

interface RawOptions {
  baseUrl?: string;
  paths?: Record<string, string[]>;
}

/**
 * Reads `baseUrl` and `paths` from a tsconfig.json, following `extends` (a relative file, or a
 * package's file when it resolves; a chain; an array) the way TypeScript does: the nearer file wins,
 * `baseUrl` is relative to the file that sets it, `paths` to `baseUrl` or else to the file that sets
 * them. @throws Error naming the file when it cannot be read or parsed.
 */
export function readPathMapping(file: string): PathMapping {
  const { baseUrl, paths, pathsDir } = readOptions(file, new Set());
  return {
    file,
    ...(baseUrl !== undefined ? { baseUrl } : {}),
    paths: Object.entries(paths ?? {}).map(([pattern, targets]) => ({
      pattern,
      targets: targets.map((t) => resolve(baseUrl ?? pathsDir ?? dirname(file), t)),
    })),
  };
}

function readOptions(
  file: string,
  seen: Set<string>,
): { baseUrl?: string; paths?: Record<string, string[]>; pathsDir?: string } {
  if (seen.has(file)) return {};
  seen.add(file);
  let raw: { extends?: string | string[]; compilerOptions?: RawOptions };
  try {
    raw = (parseJsonc(readFileSync(file, 'utf8')) ?? {}) as typeof raw;
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  let result: { baseUrl?: string; paths?: Record<string, string[]>; pathsDir?: string } = {};
  const parents = raw.extends === undefined ? [] : Array.isArray(raw.extends) ? raw.extends : [raw.extends];
  for (const parent of parents) {
    const parentFile = resolveExtends(parent, dirname(file));
    if (parentFile) result = { ...result, ...readOptions(parentFile, seen) };
  }
  const options = raw.compilerOptions ?? {};
  if (typeof options.baseUrl === 'string') result.baseUrl = resolve(dirname(file), options.baseUrl);
  if (options.paths && typeof options.paths === 'object') {
    result.paths = options.paths;
    result.pathsDir = dirname(file);
  }
  return result;
}

/** The file an `extends` names, or undefined when it cannot be found (then it is ignored). */
function resolveExtends(name: string, fromDir: string): string | undefined {
  if (name.startsWith('.') || isAbsolute(name)) {
    const path = resolve(fromDir, name);
    for (const candidate of [path, `${path}.json`, join(path, 'tsconfig.json')])
      if (statSync(candidate, { throwIfNoEntry: false })?.isFile()) return candidate;
    return undefined;
  }
  try {
    return createRequire(join(fromDir, 'tsconfig.json')).resolve(name);
  } catch {
    return undefined;
  }
}

/**
 * The paths a non-relative import may stand for, in the order TypeScript tries them: the targets of
 * the `paths` pattern that matches it most specifically (longest prefix), then `baseUrl`/specifier.
 * Empty when nothing maps it.
 *
 * @example
 * candidates('@app/domain', { file, paths: [{ pattern: '@app/*', targets: ['/p/src/*'] }] });
 * // ['/p/src/domain']
 */
export function candidates(specifier: string, mapping: PathMapping): string[] {
  let best: { prefix: string; star: string; targets: readonly string[] } | undefined;
  for (const { pattern, targets } of mapping.paths) {
    const star = pattern.indexOf('*');
    if (star === -1) {
      if (pattern === specifier) {
        best = { prefix: pattern, star: '', targets };
        break;
      }
      continue;
    }
    const prefix = pattern.slice(0, star);
    const suffix = pattern.slice(star + 1);
    if (
      specifier.length >= prefix.length + suffix.length &&
      specifier.startsWith(prefix) &&
      specifier.endsWith(suffix) &&
      (!best || prefix.length > best.prefix.length)
    )
      best = { prefix, star: specifier.slice(prefix.length, specifier.length - suffix.length), targets };
  }
  const found = best ? best.targets.map((t) => t.replace('*', best.star)) : [];
  if (mapping.baseUrl !== undefined) found.push(resolve(mapping.baseUrl, specifier));
  return found;
}
