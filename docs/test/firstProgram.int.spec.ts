// The complete program of docs/getting-started.md ("Run it"), run as the page says: built (`tsc -b`,
// docs/dist/firstProgram.js) and started with node in an empty directory, twice.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const program = join(__dirname, '..', 'dist', 'firstProgram.js');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rewind-first-program-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const run = () => promisify(execFile)(process.execPath, [program], { cwd: dir });

describe('the getting-started program', () => {
  it('is built (npm run build) before this suite runs', () => {
    expect(existsSync(program)).toBe(true);
  });

  it('prints the cart now and at revision 0, and the read model, with its files in the working directory', async () => {
    const { stdout, stderr } = await run();
    expect(stderr).toBe('');
    expect(stdout).toBe(
      "now: { 'energy-bar': 2, 'energy-gel': 1 } at revision 0: { 'energy-bar': 2 }\n" +
        'read model: { items: 3 }\n',
    );
    expect(existsSync(join(dir, 'events.db'))).toBe(true);
    expect(existsSync(join(dir, 'read-models.db'))).toBe(true);
  });

  it('runs again on the same files: a new cart, the projection going on from its checkpoint', async () => {
    await run();
    const { stdout } = await run();
    expect(stdout).toContain('read model: { items: 3 }');
  });
});
