import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..', '..');
const EXAMPLE = join(ROOT, 'examples', 'energy-bar-shop');
const manifest = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
  files: string[];
};

/** The `rewind` npm linked for the example: node_modules/.bin/rewind in it or the nearest parent. */
function linkedBin(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', '.bin', 'rewind');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

function exec(file: string, args: string[], cwd: string): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) =>
    execFile(file, args, { cwd, timeout: 60_000 }, (error, stdout) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout }),
    ),
  );
}

describe('the rewind executable', () => {
  it('is a committed shim (bin/rewind.js), shipped, so npm links it before dist/ is built', () => {
    expect(manifest.bin).toEqual({ rewind: 'bin/rewind.js' });
    expect(manifest.files).toContain('bin');
    expect(readFileSync(join(__dirname, '..', 'bin', 'rewind.js'), 'utf8')).toMatch(
      /^#!\/usr\/bin\/env node\n/,
    );
  });

  it('runs as node_modules/.bin/rewind from the example directory (npx rewind)', async () => {
    const bin = linkedBin(EXAMPLE);
    expect(bin).toBeDefined(); // npm ci links it: the shim exists at install time
    expect(await exec(bin!, ['--version'], EXAMPLE)).toEqual({ code: 0, stdout: `${manifest.version}\n` });
  });
});
