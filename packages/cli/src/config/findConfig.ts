import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CliError, EXIT } from '../util/cliError';

/** File names looked for in each directory, in order. */
export const CONFIG_NAMES = [
  'rewind.config.ts',
  'rewind.config.mts',
  'rewind.config.cts',
  'rewind.config.js',
  'rewind.config.mjs',
  'rewind.config.cjs',
] as const;

/**
 * Finds the config: `explicit` when given, else the first `rewind.config.*` walking up from `cwd`.
 * @throws CliError naming every directory searched and how to create a config.
 */
export function findConfig(cwd: string, explicit?: string): string {
  if (explicit !== undefined) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path)) {
      throw new CliError(
        `No config file at ${path} (given with --config). Check the path, or drop --config to search from the working directory.`,
        EXIT.config,
      );
    }
    return path;
  }
  const searched: string[] = [];
  let dir = resolve(cwd);
  for (;;) {
    searched.push(dir);
    for (const name of CONFIG_NAMES) {
      const candidate = join(dir, name);
      if (existsSync(candidate)) return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new CliError(
    `No config file (${CONFIG_NAMES.join(', ')}) found in ${searched[0]} or any parent directory ` +
      `(searched ${searched.length} directories up to ${searched[searched.length - 1]}). ` +
      `Create rewind.config.ts in your project root exporting defineConfig({ eventStore: () => ... }) ` +
      `from "@rewind/cli", or pass --config <path>.`,
    EXIT.config,
  );
}
