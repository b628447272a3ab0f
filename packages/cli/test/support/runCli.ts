import { execFile } from 'node:child_process';
import { join } from 'node:path';

/** The built CLI (run `npx tsc -b packages/cli` before the e2e tests). */
export const BIN = join(__dirname, '..', '..', 'dist', 'bin.js');
/** The fixture project's config. */
export const FIXTURE_CONFIG = join(__dirname, '..', 'fixtures', 'shop', 'rewind.config.ts');

/** What a finished `rewind` process left. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node dist/bin.js ...args` to completion (killed after 60 s) and returns its exit code and output. */
export function runCli(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: options.cwd ?? __dirname,
        env: { ...process.env, NO_COLOR: '1', ...options.env },
        timeout: 60_000,
        killSignal: 'SIGKILL',
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
