import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The monorepo's node_modules, where the workspaces (@rewind/cli, @rewind/core, ...) are linked. */
const NODE_MODULES = join(__dirname, '..', '..', '..', '..', 'node_modules');

/** A throwaway project directory under the OS temp dir. */
export interface TempProject {
  readonly dir: string;
  /** Removes the directory. */
  remove(): void;
}

/**
 * Writes `files` (path relative to the project → content; objects are written as JSON) into a new
 * directory under os.tmpdir(), with node_modules linked to the monorepo's, as an installed project.
 */
export function tempProject(files: Record<string, string | object>): TempProject {
  const dir = mkdtempSync(join(tmpdir(), 'rewind-cli-project-'));
  symlinkSync(NODE_MODULES, join(dir, 'node_modules'), 'dir');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
