import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { transformSync, type Options } from '@swc/core';
import { CliError, EXIT } from '../util/cliError';
import type { RewindConfig } from './defineConfig';

type CompileHook = (
  module: NodeModule & { _compile(code: string, filename: string): void },
  filename: string,
) => void;
type Extensions = Record<string, CompileHook | undefined>;

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

/**
 * Runs `work` with a require hook that compiles `.ts` files (outside node_modules) with swc, then
 * removes the hook, leaving `require` as it was.
 */
export function withTypeScriptHook<T>(work: () => T): T {
  const extensions = (Module as unknown as { _extensions: Extensions })._extensions;
  const previous = extensions['.ts'];
  extensions['.ts'] = (module, filename) => {
    if (filename.includes(`${'/'}node_modules${'/'}`) && previous) return previous(module, filename);
    const { code } = transformSync(readFileSync(filename, 'utf8'), { ...SWC_OPTIONS, filename });
    module._compile(code, filename);
  };
  try {
    return work();
  } finally {
    if (previous) extensions['.ts'] = previous;
    else delete extensions['.ts'];
  }
}

/**
 * Loads a config file (`.ts` through the swc hook, `.js`/`.cjs` as is) and checks its shape.
 * @throws CliError when the file fails to load or exports no usable config.
 */
export function loadConfig(path: string): RewindConfig {
  let exported: unknown;
  try {
    const load = createRequire(path);
    exported = withTypeScriptHook(() => load(path) as unknown);
  } catch (error) {
    throw new CliError(
      `Could not load ${path}: ${((error as Error)?.message ?? String(error)).replace(/\.+$/, '')}. Fix the error in the config (or a module it imports).`,
      EXIT.config,
      { cause: error },
    );
  }
  const config = (exported as { default?: unknown })?.default ?? exported;
  if (typeof (config as RewindConfig | undefined)?.eventStore !== 'function') {
    throw new CliError(
      `${path} does not export a config with an eventStore factory. Export default defineConfig({ eventStore: () => ... }) from "@rewind/cli".`,
      EXIT.config,
    );
  }
  return config as RewindConfig;
}
