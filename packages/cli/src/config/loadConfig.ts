import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, extname, isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { transformSync, type Options } from '@swc/core';
import { CliError, EXIT } from '../util/cliError';
import type { RewindConfig } from './defineConfig';
import { candidates, findTsconfig, readPathMapping, type PathMapping } from './tsconfig';

type CompileHook = (
  module: NodeModule & { _compile(code: string, filename: string): void },
  filename: string,
) => void;
type Extensions = Record<string, CompileHook | undefined>;
type ResolveFilename = (request: string, parent: NodeModule | undefined, ...rest: unknown[]) => string;
type ModuleInternals = { _extensions: Extensions; _resolveFilename: ResolveFilename };

/**
 * swc options that keep what TypeScript's `experimentalDecorators` + `emitDecoratorMetadata` give:
 * legacy decorators and `design:type`/`design:paramtypes` metadata (inversify and class-validator need
 * them). esbuild-based loaders drop `emitDecoratorMetadata`, hence swc.
 */
export const SWC_OPTIONS: Options = {
  swcrc: false,
  configFile: false,
  sourceMaps: 'inline',
  jsc: {
    target: 'es2022',
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
};

/** TypeScript extensions the hook compiles, and the JavaScript ones an import of each is written as. */
const TS_FOR_JS: Record<string, string> = { '.js': '.ts', '.mjs': '.mts', '.cjs': '.cts' };
const TS_EXTENSIONS = ['.ts', '.mts', '.cts'];

const isTypeScript = (filename: string | null | undefined): boolean =>
  typeof filename === 'string' &&
  TS_EXTENSIONS.includes(extname(filename)) &&
  !filename.includes(`${'/'}node_modules${'/'}`);

/**
 * Compiles TypeScript (ESM or CommonJS syntax, `.ts`/`.mts`/`.cts`) to CommonJS with swc, which also
 * turns `import.meta.url` and `import.meta.dirname` into their CommonJS equivalents.
 */
export function compileTypeScript(source: string, filename: string): string {
  return transformSync(source, { ...SWC_OPTIONS, filename }).code;
}

/**
 * Resolves an import made by a TypeScript file the hook compiled, the way `tsc` (nodenext) and tsx
 * see it: a `paths`/`baseUrl` mapping of the nearest tsconfig.json first, then Node's resolution; a
 * relative `./x.js` (`.mjs`, `.cjs`) that does not exist is `./x.ts` (`.mts`, `.cts`).
 */
function typeScriptResolver(original: ResolveFilename, mapping: PathMapping | undefined): ResolveFilename {
  const tryResolve = (request: string, parent: NodeModule | undefined, rest: unknown[]) => {
    try {
      return original(request, parent, ...rest);
    } catch (error) {
      if ((error as { code?: string })?.code !== 'MODULE_NOT_FOUND') throw error;
      const ts = TS_FOR_JS[extname(request)];
      if (ts === undefined) throw error;
      try {
        return original(request.slice(0, -extname(request).length) + ts, parent, ...rest);
      } catch {
        throw error;
      }
    }
  };
  return (request, parent, ...rest) => {
    if (!isTypeScript(parent?.filename)) return original(request, parent, ...rest);
    const relative = request.startsWith('./') || request.startsWith('../') || isAbsolute(request);
    if (!relative && mapping && !request.startsWith('node:')) {
      for (const candidate of candidates(request, mapping)) {
        try {
          return tryResolve(candidate, parent, rest);
        } catch {
          // not this one: the next mapping, and in the end node_modules
        }
      }
    }
    return tryResolve(request, parent, rest);
  };
}

/**
 * Runs `work` with `require` hooks that compile `.ts`/`.mts`/`.cts` files (outside node_modules) with
 * swc and resolve their imports as TypeScript does (see {@link typeScriptResolver}; `paths` from the
 * nearest tsconfig.json to `configPath`), then removes the hooks, leaving `require` as it was.
 * @throws Error naming the tsconfig.json when it cannot be read.
 */
export async function withTypeScriptHook<T>(configPath: string, work: () => T | Promise<T>): Promise<T> {
  const internals = Module as unknown as ModuleInternals;
  const tsconfig = findTsconfig(dirname(configPath));
  const mapping = tsconfig ? readPathMapping(tsconfig) : undefined;
  const previous = Object.fromEntries(TS_EXTENSIONS.map((ext) => [ext, internals._extensions[ext]]));
  const previousResolve = internals._resolveFilename;
  for (const ext of TS_EXTENSIONS) {
    internals._extensions[ext] = (module, filename) => {
      const before = previous[ext];
      if (filename.includes(`${'/'}node_modules${'/'}`) && before) return before(module, filename);
      module._compile(compileTypeScript(readFileSync(filename, 'utf8'), filename), filename);
    };
  }
  internals._resolveFilename = typeScriptResolver(previousResolve, mapping);
  try {
    return await work();
  } finally {
    internals._resolveFilename = previousResolve;
    for (const ext of TS_EXTENSIONS) {
      if (previous[ext]) internals._extensions[ext] = previous[ext];
      else delete internals._extensions[ext];
    }
  }
}

/**
 * Loads a config file and checks its shape: TypeScript (`.ts`, `.mts`, `.cts`) through the swc hook,
 * `.cjs` (and `.js` in a CommonJS package) with `require`, `.mjs` (and `.js` in a `"type": "module"`
 * package) with `import()`.
 * @throws CliError when the file fails to load or exports no usable config.
 */
export async function loadConfig(path: string): Promise<RewindConfig> {
  let exported: unknown;
  try {
    exported = await withTypeScriptHook(path, async () => {
      if (extname(path) === '.mjs') return importModule(path);
      try {
        return createRequire(path)(path) as unknown;
      } catch (error) {
        if ((error as { code?: string })?.code === 'ERR_REQUIRE_ESM') return importModule(path);
        throw error;
      }
    });
  } catch (error) {
    throw new CliError(
      `Could not load ${path}: ${((error as Error)?.message ?? String(error)).replace(/\.+$/, '')}. Fix the error in the config (or a module it imports).`,
      EXIT.config,
      { cause: error },
    );
  }
  // `export default` of an ES module, of a compiled one (`exports.default`), or of one imported as a
  // whole (`import()` of CommonJS: `default` is module.exports, which may hold its own `default`).
  let config = exported;
  for (let i = 0; i < 2 && typeof (config as RewindConfig | undefined)?.eventStore !== 'function'; i++)
    config = (config as { default?: unknown } | undefined)?.default ?? config;
  if (typeof (config as RewindConfig | undefined)?.eventStore !== 'function') {
    throw new CliError(
      `${path} does not export a config with an eventStore factory. Export default defineConfig({ eventStore: () => ... }) from "@rewind/cli".`,
      EXIT.config,
    );
  }
  return config as RewindConfig;
}

/** Node's own `import()` (kept as is by tsc in this CommonJS package), for ES module configs. */
async function importModule(path: string): Promise<unknown> {
  return (await import(pathToFileURL(path).href)) as unknown;
}
